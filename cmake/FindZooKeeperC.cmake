# FindZooKeeperC
# Finds the ZooKeeper C client, multi-threaded flavour (Debian: libzookeeper-mt-dev),
# which ships neither a CMake config nor a pkg-config file.
#
# Imported target:  ZooKeeperC::zookeeper_mt  (defines THREADED for the sync API)
# Result variables: ZooKeeperC_FOUND, ZooKeeperC_INCLUDE_DIR, ZooKeeperC_LIBRARY, ZooKeeperC_VERSION
#                   ZooKeeperC_HAS_SSL (the linked library exports zookeeper_init_ssl)
#                   ZooKeeperC_HAS_SASL (the linked library exports zookeeper_init_sasl)
# The imported target also defines ZKX_ZOOKEEPER_HAS_SSL=0|1 and ZKX_ZOOKEEPER_HAS_SASL=0|1 for its users, and
# ZooKeeperC_COMPILE_DEFINITIONS holds the same two for targets that report them without linking the client.
# Debian 12's libzookeeper-mt 3.8.0 is built without OpenSSL and without Cyrus SASL: both are 0 there.

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
  check_function_exists(zookeeper_init_sasl ZooKeeperC_HAS_SASL)
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
    add_library(ZooKeeperC::zookeeper_mt UNKNOWN IMPORTED)
    set_target_properties(ZooKeeperC::zookeeper_mt PROPERTIES
      IMPORTED_LOCATION "${ZooKeeperC_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${ZooKeeperC_INCLUDE_DIR}"
      INTERFACE_COMPILE_DEFINITIONS "THREADED;${ZooKeeperC_COMPILE_DEFINITIONS}")
  endif()
endif()
mark_as_advanced(ZooKeeperC_INCLUDE_DIR ZooKeeperC_LIBRARY)
