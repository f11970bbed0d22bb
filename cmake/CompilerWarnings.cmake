# zkx_set_warnings(<target>): the project's warning set, errors when ZKX_WERROR is ON (CI).
function(zkx_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion -Wdouble-promotion
    -Wformat=2 -Wimplicit-fallthrough)
  if(ZKX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # The `tsa` preset: clang's thread-safety analysis of base/thread_annotations.h, its findings errors.
  if(ZKX_THREAD_SAFETY)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "ZKX_THREAD_SAFETY=ON needs clang: CC=clang CXX=clang++ (the tsa preset sets them)")
    endif()
    target_compile_options(${target} PRIVATE -Wthread-safety -Werror=thread-safety)
  endif()
endfunction()
# Not -Wnull-dereference: GCC 12 at -O2 reports false positives inside libstdc++ and CLI11 headers.
