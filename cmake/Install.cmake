# Install and packaging: the public headers, libcallmem.so (callmem::callmem),
# libcallmem.a (callmem::callmem_static), the CMake package (callmemConfig.cmake,
# callmemConfigVersion.cmake, the exported targets) and callmem.pc.
# Included by the root CMakeLists.txt when CALLMEM_INSTALL is ON.
#
#   cmake --install build --prefix /opt/callmem
#
# Everything lands under GNUInstallDirs' directories, which may be absolute.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_callmem_root "${CMAKE_CURRENT_LIST_DIR}/..")

# libcallmem.a: the C ABI and the core's objects in one archive, so a static
# consumer (C or C++) links one library. callmem_core alone is internal and lacks
# the C ABI. The core's private dependencies become the archive's link
# dependencies; keep them in step with callmem_core's in the root CMakeLists.txt,
# with Requires / Libs in callmem-static.pc.in and with the find_dependency
# lines of callmemConfig.cmake.in.
add_library(callmem_static STATIC ${_callmem_root}/capi/callmem.cpp ${_callmem_root}/capi/json.cpp ${_callmem_root}/capi/last_error.cpp $<TARGET_OBJECTS:callmem_core>)
target_include_directories(callmem_static
  PUBLIC
    $<BUILD_INTERFACE:${_callmem_root}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
  PRIVATE ${_callmem_root}/src ${RAPIDJSON_INCLUDE_DIR})
target_compile_definitions(callmem_static PRIVATE CALLMEM_BUILDING)
# Debian's libphonenumber ships no CMake or pkg-config file, nor does liblz4 a
# CMake one: installed consumers get them (and protobuf, which libphonenumber's
# headers call) by name from the linker's path.
target_link_libraries(callmem_static PRIVATE
  $<BUILD_INTERFACE:PkgConfig::SQLite3> $<INSTALL_INTERFACE:SQLite::SQLite3>
  $<BUILD_INTERFACE:PkgConfig::LZ4> $<INSTALL_INTERFACE:lz4>
  fmt::fmt
  $<BUILD_INTERFACE:${PHONENUMBER_LIBRARY}> $<INSTALL_INTERFACE:phonenumber>
  $<BUILD_INTERFACE:${PROTOBUF_LIBRARY}> $<INSTALL_INTERFACE:protobuf>
  Threads::Threads
  # A C program links with the C driver, which does not add the C++ runtime.
  $<$<LINK_LANGUAGE:C>:stdc++> $<$<LINK_LANGUAGE:C>:m>)
# The PostgreSQL store loads libpq.so.5 itself when it first opens
# (src/store/postgres/libpq.hpp): nothing to link but the loader (in glibc's
# libc since 2.34).
if(CALLMEM_WITH_POSTGRES)
  target_link_libraries(callmem_static PRIVATE ${CMAKE_DL_LIBS})
endif()
set_target_properties(callmem_static PROPERTIES OUTPUT_NAME callmem EXPORT_NAME callmem_static)
callmem_warnings(callmem_static)
add_library(callmem::callmem_static ALIAS callmem_static)

# Headers: include/callmem/*.h and *.hpp, and the generated version.h.
install(DIRECTORY ${_callmem_root}/include/callmem
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT devel
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/callmem/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/callmem
  COMPONENT devel)

# Libraries, in two export sets: a consumer of libcallmem.so needs none of the
# static archive's dependencies, so callmemConfig.cmake loads the static target
# only when they are found (or COMPONENTS static asks for it).
install(TARGETS callmem EXPORT callmemTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT devel
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS callmem_static EXPORT callmemStaticTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The CMake package: find_package(callmem) gives callmem::callmem and, when
# its dependencies are found, callmem::callmem_static.
set(CALLMEM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/callmem)
install(EXPORT callmemTargets NAMESPACE callmem:: DESTINATION ${CALLMEM_CMAKE_DIR} COMPONENT devel)
install(EXPORT callmemStaticTargets NAMESPACE callmem:: DESTINATION ${CALLMEM_CMAKE_DIR} COMPONENT devel)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/callmemConfig.cmake.in
  ${PROJECT_BINARY_DIR}/callmemConfig.cmake
  INSTALL_DESTINATION ${CALLMEM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/callmemConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/callmemConfig.cmake ${PROJECT_BINARY_DIR}/callmemConfigVersion.cmake
  DESTINATION ${CALLMEM_CMAKE_DIR} COMPONENT devel)

# callmem.pc. libdir and includedir follow ${prefix} unless CMAKE_INSTALL_LIBDIR
# or CMAKE_INSTALL_INCLUDEDIR is absolute (as {fmt}'s join_paths does); the
# prefix itself is written at install time, so `cmake --install --prefix DIR`
# gives a callmem.pc that points into DIR.
function(callmem_join_paths out base path)
  if(IS_ABSOLUTE "${path}")
    set(${out} "${path}" PARENT_SCOPE)
  else()
    set(${out} "${base}/${path}" PARENT_SCOPE)
  endif()
endfunction()
callmem_join_paths(CALLMEM_PC_LIBDIR "\${exec_prefix}" "${CMAKE_INSTALL_LIBDIR}")
callmem_join_paths(CALLMEM_PC_INCLUDEDIR "\${prefix}" "${CMAKE_INSTALL_INCLUDEDIR}")
# The prefix, and whether libdir needs an rpath, are written at install time,
# so that `cmake --install --prefix DIR` gives .pc files that point into DIR.
set(CALLMEM_PC_PREFIX "@CMAKE_INSTALL_PREFIX@")
set(CALLMEM_PC_RPATH "@CALLMEM_PC_RPATH@")
foreach(pc callmem callmem-static)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc.install @ONLY)
endforeach()
install(CODE "
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_LIBDIR}\")
    set(_libdir \"${CMAKE_INSTALL_LIBDIR}\")
  else()
    set(_libdir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}\")
  endif()
  # The loader's own directories need no rpath; any other does.
  if(_libdir MATCHES \"^/(usr/)?lib(32|64|x32)?(/[^/]*-linux-gnu[^/]*)?/?$\")
    set(CALLMEM_PC_RPATH \"\")
  else()
    set(CALLMEM_PC_RPATH \"-Wl,-rpath,\\\${libdir} \")
  endif()
  foreach(pc callmem callmem-static)
    configure_file(\"${PROJECT_BINARY_DIR}/\${pc}.pc.install\" \"${PROJECT_BINARY_DIR}/\${pc}.pc\" @ONLY)
  endforeach()"
  COMPONENT devel)
install(FILES ${PROJECT_BINARY_DIR}/callmem.pc ${PROJECT_BINARY_DIR}/callmem-static.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT devel)

# The callmem program (serve, keys, ...), when it is built.
if(TARGET callmem_cli)
  install(TARGETS callmem_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()
