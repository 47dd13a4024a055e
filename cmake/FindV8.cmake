# Finds V8 as Debian's libnode ships it (V8 10.2 of Node 18, with libplatform) and defines
# the imported target V8::V8.
#
# Looked for first under KREPIS_LIBNODE_ROOT (default: <build>/deps/libnode), where
# scripts/bootstrap unpacks libnode108 and libnode-dev when apt cannot install them, then in
# the system (/usr/include/node, the multiarch library folder).
#
# Sets V8_FOUND, V8_INCLUDE_DIR, V8_LIBRARY, V8_LIBRARY_DIR. The library folder is what the
# krepis binary records as its RPATH, so no LD_LIBRARY_PATH is ever needed.

set(KREPIS_LIBNODE_ROOT "${CMAKE_BINARY_DIR}/deps/libnode"
    CACHE PATH "Folder where libnode108/libnode-dev were unpacked with dpkg -x")

set(_v8_arch "${CMAKE_LIBRARY_ARCHITECTURE}")
find_path(V8_INCLUDE_DIR v8.h
  PATHS "${KREPIS_LIBNODE_ROOT}/usr/include/node"
  NO_DEFAULT_PATH)
find_path(V8_INCLUDE_DIR v8.h PATH_SUFFIXES node)
find_library(V8_LIBRARY NAMES node.108 libnode.so.108 node
  PATHS "${KREPIS_LIBNODE_ROOT}/usr/lib/${_v8_arch}"
  NO_DEFAULT_PATH)
find_library(V8_LIBRARY NAMES node.108 libnode.so.108 node)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(V8
  REQUIRED_VARS V8_LIBRARY V8_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "run scripts/bootstrap first: it installs or unpacks libnode-dev")

if(V8_FOUND AND NOT TARGET V8::V8)
  get_filename_component(V8_LIBRARY_DIR "${V8_LIBRARY}" DIRECTORY)
  add_library(V8::V8 SHARED IMPORTED)
  set_target_properties(V8::V8 PROPERTIES
    IMPORTED_LOCATION "${V8_LIBRARY}"
    # SYSTEM: V8's headers are not ours to keep free of -Wextra warnings.
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}"
    INTERFACE_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}")
endif()
mark_as_advanced(V8_INCLUDE_DIR V8_LIBRARY)
