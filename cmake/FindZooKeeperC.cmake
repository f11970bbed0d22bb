# FindZooKeeperC
# Finds the ZooKeeper C client, multi-threaded flavour (Debian: libzookeeper-mt-dev),
# which ships neither a CMake config nor a pkg-config file.
#
# Imported target:  ZooKeeperC::zookeeper_mt  (defines THREADED for the sync API)
# Result variables: ZooKeeperC_FOUND, ZooKeeperC_INCLUDE_DIR, ZooKeeperC_LIBRARY, ZooKeeperC_VERSION
#                   ZooKeeperC_HAS_SSL (the linked library exports zookeeper_init_ssl)

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
  include(CheckFunctionExists)
  check_function_exists(zookeeper_init_ssl ZooKeeperC_HAS_SSL)
  cmake_pop_check_state()

  if(NOT TARGET ZooKeeperC::zookeeper_mt)
    add_library(ZooKeeperC::zookeeper_mt UNKNOWN IMPORTED)
    set_target_properties(ZooKeeperC::zookeeper_mt PROPERTIES
      IMPORTED_LOCATION "${ZooKeeperC_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${ZooKeeperC_INCLUDE_DIR}"
      INTERFACE_COMPILE_DEFINITIONS "THREADED")
  endif()
endif()
mark_as_advanced(ZooKeeperC_INCLUDE_DIR ZooKeeperC_LIBRARY)
