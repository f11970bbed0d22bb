# FindZooKeeperC
# Finds the ZooKeeper C client, multi-threaded flavour, in one of two builds chosen by ZKX_ZOOKEEPER_CLIENT:
#  - "system":  Debian's libzookeeper-mt-dev (shared; built without OpenSSL and without Cyrus SASL), which ships
#               neither a CMake config nor a pkg-config file;
#  - "bundled": Debian's own source of the same client built WITH OpenSSL and Cyrus SASL by
#               scripts/build-zk-client.sh into a cache outside the build tree (a static archive). The script's
#               --print-prefix names the cache entry; configuring fails with a clear message when it is not built.
#               The archive's one SSL_connect call is renamed to zkx_zookeeper_ssl_connect (host-name check, see
#               zk/tls_connect_hook.h), and it calls FIPS_mode(), which OpenSSL 3 no longer has: its users also
#               link zkx_zk_tls_hook (zk/CMakeLists.txt), which defines both.
#
# Imported target:  ZooKeeperC::zookeeper_mt  (defines THREADED for the sync API)
# Result variables: ZooKeeperC_FOUND, ZooKeeperC_INCLUDE_DIR, ZooKeeperC_LIBRARY, ZooKeeperC_VERSION
#                   ZooKeeperC_HAS_SSL (the linked library exports zookeeper_init_ssl)
#                   ZooKeeperC_HAS_SASL (the linked library exports zookeeper_init_sasl)
#                   ZooKeeperC_BUNDLED (the bundled build was found)
# The imported target also defines ZKX_ZOOKEEPER_HAS_SSL=0|1 and ZKX_ZOOKEEPER_HAS_SASL=0|1 for its users, and
# ZooKeeperC_COMPILE_DEFINITIONS holds the same two for targets that report them without linking the client.
# Debian 12's libzookeeper-mt 3.8.0 is built without OpenSSL and without Cyrus SASL: both are 0 there.

if(NOT ZKX_ZOOKEEPER_CLIENT)
  set(ZKX_ZOOKEEPER_CLIENT system)
endif()
set(ZooKeeperC_BUNDLED FALSE)
if(ZKX_ZOOKEEPER_CLIENT STREQUAL "bundled")
  execute_process(
    COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/../scripts/build-zk-client.sh" --print-prefix
    OUTPUT_VARIABLE _zkc_prefix OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _zkc_rc)
  if(NOT _zkc_rc EQUAL 0 OR NOT EXISTS "${_zkc_prefix}/.complete")
    message(FATAL_ERROR "ZKX_ZOOKEEPER_CLIENT=bundled: the ZooKeeper C client with TLS and SASL is not built "
                        "(expected in '${_zkc_prefix}'). Run scripts/build-zk-client.sh first, or configure "
                        "with -DZKX_ZOOKEEPER_CLIENT=system.")
  endif()
  unset(ZooKeeperC_INCLUDE_DIR CACHE)
  unset(ZooKeeperC_LIBRARY CACHE)
  find_path(ZooKeeperC_INCLUDE_DIR NAMES zookeeper/zookeeper.h PATHS "${_zkc_prefix}/include" NO_DEFAULT_PATH)
  find_library(ZooKeeperC_LIBRARY NAMES libzookeeper_mt.a PATHS "${_zkc_prefix}/lib" NO_DEFAULT_PATH)
  find_package(OpenSSL REQUIRED)
  find_library(ZooKeeperC_SASL2_LIBRARY NAMES sasl2)
  if(NOT ZooKeeperC_SASL2_LIBRARY)
    message(FATAL_ERROR "ZKX_ZOOKEEPER_CLIENT=bundled needs libsasl2 (Debian: libsasl2-dev)")
  endif()
  set(ZooKeeperC_BUNDLED TRUE)
elseif(NOT ZKX_ZOOKEEPER_CLIENT STREQUAL "system")
  message(FATAL_ERROR "ZKX_ZOOKEEPER_CLIENT must be 'system' or 'bundled', not '${ZKX_ZOOKEEPER_CLIENT}'")
endif()

find_path(ZooKeeperC_INCLUDE_DIR NAMES zookeeper/zookeeper.h)
find_library(ZooKeeperC_LIBRARY NAMES zookeeper_mt)

if(ZooKeeperC_INCLUDE_DIR AND EXISTS "${ZooKeeperC_INCLUDE_DIR}/zookeeper/zookeeper_version.h")
  file(STRINGS "${ZooKeeperC_INCLUDE_DIR}/zookeeper/zookeeper_version.h" _zkc_version_line
       REGEX "^#define ZOO_VERSION \"[^\"]+\"")
  string(REGEX REPLACE "^#define ZOO_VERSION \"([^\"]+)\".*" "\\1" ZooKeeperC_VERSION "${_zkc_version_line}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ZooKeeperC
  REQUIRED_VARS ZooKeeperC_LIBRARY ZooKeeperC_INCLUDE_DIR
  VERSION_VAR ZooKeeperC_VERSION)

if(ZooKeeperC_FOUND)
  include(CheckSymbolExists)
  include(CMakePushCheckState)
  cmake_push_check_state(RESET)
  set(CMAKE_REQUIRED_LIBRARIES "${ZooKeeperC_LIBRARY}")
  set(CMAKE_REQUIRED_INCLUDES "${ZooKeeperC_INCLUDE_DIR}")
  set(CMAKE_REQUIRED_DEFINITIONS -DTHREADED)
  set(CMAKE_REQUIRED_QUIET ON)
  # The header declares zookeeper_init_ssl only when HAVE_OPENSSL_H is defined; check the library itself.
  # The program defines what zkx_zk_tls_hook gives the bundled archive (renamed SSL_connect; FIPS_mode, gone from
  # OpenSSL 3): harmless for the system library.
  include(CheckCSourceCompiles)
  if(ZooKeeperC_BUNDLED)
    list(APPEND CMAKE_REQUIRED_LIBRARIES OpenSSL::SSL OpenSSL::Crypto "${ZooKeeperC_SASL2_LIBRARY}" pthread m rt)
  endif()
  foreach(_zkc_fn zookeeper_init_ssl zookeeper_init_sasl)
    unset(ZooKeeperC_LINKS_${_zkc_fn} CACHE)  # switching ZKX_ZOOKEEPER_CLIENT in a build tree re-checks
    check_c_source_compiles("
      char ${_zkc_fn}(void);
      int zkx_zookeeper_ssl_connect(void* ssl) { (void)ssl; return -1; }
      int FIPS_mode(void) { return 0; }
      int main(void) { return (int)${_zkc_fn}(); }" ZooKeeperC_LINKS_${_zkc_fn})
  endforeach()
  set(ZooKeeperC_HAS_SSL ${ZooKeeperC_LINKS_zookeeper_init_ssl})
  set(ZooKeeperC_HAS_SASL ${ZooKeeperC_LINKS_zookeeper_init_sasl})
  cmake_pop_check_state()
  if(ZooKeeperC_HAS_SSL)
    set(_zkc_has_ssl 1)
  else()
    set(_zkc_has_ssl 0)
  endif()
  if(ZooKeeperC_HAS_SASL)
    set(_zkc_has_sasl 1)
  else()
    set(_zkc_has_sasl 0)
  endif()
  set(ZooKeeperC_COMPILE_DEFINITIONS ZKX_ZOOKEEPER_HAS_SSL=${_zkc_has_ssl} ZKX_ZOOKEEPER_HAS_SASL=${_zkc_has_sasl})

  if(NOT TARGET ZooKeeperC::zookeeper_mt)
    if(ZooKeeperC_BUNDLED)
      add_library(ZooKeeperC::zookeeper_mt STATIC IMPORTED)
      # zkx_zk_tls_hook (zk/) defines zkx_zookeeper_ssl_connect; it comes after the archive on the link line.
      set_target_properties(ZooKeeperC::zookeeper_mt PROPERTIES
        IMPORTED_LOCATION "${ZooKeeperC_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${ZooKeeperC_INCLUDE_DIR}"
        INTERFACE_COMPILE_DEFINITIONS
          "THREADED;HAVE_OPENSSL_H;HAVE_CYRUS_SASL_H;ZKX_ZOOKEEPER_BUNDLED=1;${ZooKeeperC_COMPILE_DEFINITIONS}"
        INTERFACE_LINK_LIBRARIES
          "zkx_zk_tls_hook;OpenSSL::SSL;OpenSSL::Crypto;${ZooKeeperC_SASL2_LIBRARY};Threads::Threads;m;rt")
    else()
      add_library(ZooKeeperC::zookeeper_mt UNKNOWN IMPORTED)
      set_target_properties(ZooKeeperC::zookeeper_mt PROPERTIES
        IMPORTED_LOCATION "${ZooKeeperC_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${ZooKeeperC_INCLUDE_DIR}"
        INTERFACE_COMPILE_DEFINITIONS "THREADED;${ZooKeeperC_COMPILE_DEFINITIONS}")
    endif()
  endif()
endif()
mark_as_advanced(ZooKeeperC_INCLUDE_DIR ZooKeeperC_LIBRARY)
