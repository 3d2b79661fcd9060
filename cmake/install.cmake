# Install rules and the package files (included from the top-level
# CMakeLists.txt when JR_INSTALL is on):
#   include/jointreview/*.h            the C++ and C headers
#   lib/libjointreview.so|.a           the library (JR_SHARED)
#   bin/jreview                        the command (when JR_BUILD_CLI)
#   lib/cmake/jointreview/             jointreviewConfig.cmake, version, targets
#   lib/pkgconfig/jointreview.pc
#   share/jointreview/workflows/       bundled workflows, items/ and calendars/
include(CMakePackageConfigHelpers)

set(JR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/jointreview)

install(TARGETS jointreview
        EXPORT jointreviewTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/include/jointreview
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

if(TARGET jreview)
  install(TARGETS jreview RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The bundled workflows and calendars; the library searches
# ${JR_INSTALL_DATA_SUBDIR}/calendars under the configured prefix.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/workflows/
        DESTINATION ${JR_INSTALL_DATA_SUBDIR}
        FILES_MATCHING PATTERN "*.yaml" PATTERN "*.md")

install(EXPORT jointreviewTargets
        NAMESPACE jointreview::
        DESTINATION ${JR_CMAKE_DIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/jointreviewConfig.cmake.in
  ${PROJECT_BINARY_DIR}/jointreviewConfig.cmake
  INSTALL_DESTINATION ${JR_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR JR_INSTALL_DATA_SUBDIR)
# 0.x: every minor release may add to the API, so only the same minor is
# compatible; from 1.0 on, SameMajorVersion.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_jr_compat SameMinorVersion)
else()
  set(_jr_compat SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/jointreviewConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${_jr_compat})
install(FILES ${PROJECT_BINARY_DIR}/jointreviewConfig.cmake
              ${PROJECT_BINARY_DIR}/jointreviewConfigVersion.cmake
        DESTINATION ${JR_CMAKE_DIR})

# pkg-config: paths relative to the .pc file, so that
# `cmake --install build --prefix ANY` gives a working file.
file(RELATIVE_PATH JR_PC_RELATIVE_PREFIX
     /jr_prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /jr_prefix)
string(REGEX REPLACE "/$" "" JR_PC_RELATIVE_PREFIX "${JR_PC_RELATIVE_PREFIX}")
if(JR_SHARED)
  set(JR_PC_PRIVATE "")
else()
  # A static library brings its dependencies to the consumer's link line.
  set(JR_PC_PRIVATE
"Requires.private: yaml-cpp sqlite3 fmt libcrypto
Libs.private: -lboost_graph -lpthread -lstdc++ -lm")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/jointreview.pc.in
               ${PROJECT_BINARY_DIR}/jointreview.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/jointreview.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The licence (Apache-2.0) beside the documentation of the installed package.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/jointreview)
