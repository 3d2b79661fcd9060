# ctest driver of the install_consumer test (cmake -P). Installs the build
# tree JR_BUILD_DIR into a scratch prefix, then:
#   1. the installed jreview runs (finds its library and the bundled data);
#   2. tests/consumer (find_package + target_link_libraries) configures,
#      builds and runs against that prefix only;
#   3. consumer.c builds with pkg-config's flags and runs.
# Variables: JR_BUILD_DIR JR_WORK_DIR JR_CONSUMER_SOURCE JR_SHARED JR_VERSION
#            JR_GENERATOR JR_C_COMPILER JR_CXX_COMPILER
foreach(v JR_BUILD_DIR JR_WORK_DIR JR_CONSUMER_SOURCE JR_VERSION JR_GENERATOR JR_C_COMPILER JR_CXX_COMPILER)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run.cmake: ${v} is not set")
  endif()
endforeach()

set(prefix ${JR_WORK_DIR}/prefix)
set(data ${prefix}/share/jointreview/workflows)
file(REMOVE_RECURSE ${JR_WORK_DIR})
file(MAKE_DIRECTORY ${JR_WORK_DIR})

function(run what)
  cmake_parse_arguments(R "" "EXPECT;WORKING_DIRECTORY" "COMMAND;ENV" ${ARGN})
  if(NOT R_WORKING_DIRECTORY)
    set(R_WORKING_DIRECTORY ${JR_WORK_DIR})
  endif()
  if(R_ENV)
    set(cmd ${CMAKE_COMMAND} -E env ${R_ENV} ${R_COMMAND})
  else()
    set(cmd ${R_COMMAND})
  endif()
  execute_process(COMMAND ${cmd} WORKING_DIRECTORY ${R_WORKING_DIRECTORY}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${cmd}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  if(R_EXPECT AND NOT out MATCHES "${R_EXPECT}")
    message(FATAL_ERROR "${what}: output does not match '${R_EXPECT}':\n${out}")
  endif()
  message(STATUS "${what}: ok")
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

# ---- install
run("cmake --install" COMMAND ${CMAKE_COMMAND} --install ${JR_BUILD_DIR} --prefix ${prefix})
foreach(f include/jointreview/jointreview.h include/jointreview/engine.h
          share/jointreview/workflows/four-certificates.yaml
          share/jointreview/workflows/calendars/cn.yaml
          share/jointreview/workflows/items/tax-change.yaml)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(GLOB cfg ${prefix}/lib*/cmake/jointreview/jointreviewConfig.cmake
              ${prefix}/lib*/*/cmake/jointreview/jointreviewConfig.cmake)
file(GLOB pc ${prefix}/lib*/pkgconfig/jointreview.pc ${prefix}/lib*/*/pkgconfig/jointreview.pc)
if(NOT cfg OR NOT pc)
  message(FATAL_ERROR "jointreviewConfig.cmake or jointreview.pc not installed under ${prefix}")
endif()
get_filename_component(pcdir ${pc} DIRECTORY)
get_filename_component(libdir ${pcdir} DIRECTORY)

# ---- 1. the installed command
run("installed jreview" COMMAND ${prefix}/bin/jreview validate ${data}/four-certificates.yaml)
run("installed jreview plan" COMMAND ${prefix}/bin/jreview plan ${data}/four-certificates.yaml --format json
    EXPECT "\"total_days\": 68")

# The prefix is relocatable: moved elsewhere, the command and its library
# still find the bundled calendars (beside the library, not where the build
# configured them, and never in the source tree).
set(moved ${JR_WORK_DIR}/moved)
file(REMOVE_RECURSE ${moved})
file(COPY ${prefix}/ DESTINATION ${moved})
file(RENAME ${prefix} ${JR_WORK_DIR}/prefix.away)
file(MAKE_DIRECTORY ${JR_WORK_DIR}/bare)
file(COPY ${moved}/share/jointreview/workflows/four-certificates.yaml DESTINATION ${JR_WORK_DIR}/bare)
# A calendar only the moved prefix has: listing it proves where the data came from.
file(READ ${moved}/share/jointreview/workflows/calendars/cn.yaml cn_text)
string(REPLACE "\nid: cn\n" "\nid: relocated\n" cn_text "${cn_text}")
file(WRITE ${moved}/share/jointreview/workflows/calendars/relocated.yaml "${cn_text}")
run("moved jreview calendar list" COMMAND ${moved}/bin/jreview calendar list EXPECT "relocated  2025-2026")
run("moved jreview calendar add" COMMAND ${moved}/bin/jreview calendar add 2026-02-13 1 EXPECT "2026-02-14")
run("moved jreview plan (calendar from the moved prefix)"
    COMMAND ${moved}/bin/jreview plan ${JR_WORK_DIR}/bare/four-certificates.yaml --start 2026-03-02 --format json
    EXPECT "\"total_days\": 68")
file(REMOVE_RECURSE ${moved})
file(RENAME ${JR_WORK_DIR}/prefix.away ${prefix})

# ---- 2. find_package
run("consumer configure"
    COMMAND ${CMAKE_COMMAND} -S ${JR_CONSUMER_SOURCE} -B ${JR_WORK_DIR}/build -G ${JR_GENERATOR}
            -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
            -DCMAKE_CXX_COMPILER=${JR_CXX_COMPILER} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run("consumer build" COMMAND ${CMAKE_COMMAND} --build ${JR_WORK_DIR}/build)
run("consumer run"
    COMMAND ${JR_WORK_DIR}/build/consumer ${data}/four-certificates.yaml ${JR_WORK_DIR}/consumer.db
    EXPECT "four-certificates: 11 steps, 68 working days\nversion ${JR_VERSION}\ninstance [^:]+: running, filing submitted")

# A version the package does not satisfy must be refused.
file(MAKE_DIRECTORY ${JR_WORK_DIR}/toonew)
file(WRITE ${JR_WORK_DIR}/toonew/CMakeLists.txt
     "cmake_minimum_required(VERSION 3.20)\nproject(toonew LANGUAGES NONE)\nfind_package(jointreview 99 CONFIG REQUIRED)\n")
execute_process(COMMAND ${CMAKE_COMMAND} -S ${JR_WORK_DIR}/toonew -B ${JR_WORK_DIR}/toonew/build
                        -DCMAKE_PREFIX_PATH=${prefix}
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "version")
  message(FATAL_ERROR "find_package(jointreview 99) should fail on the version:\n${err}")
endif()
message(STATUS "version check: ok")

# ---- 3. pkg-config
find_program(PKG_CONFIG pkg-config)
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "pkg-config not found")
endif()
if(JR_SHARED)
  # Only this prefix: the shared library needs nothing else.
  set(pkgenv PKG_CONFIG_PATH=${pcdir} PKG_CONFIG_LIBDIR=${pcdir})
  set(static_flag "")
else()
  # A static library requires its dependencies' .pc files (the system's).
  set(pkgenv PKG_CONFIG_PATH=${pcdir})
  set(static_flag --static)
endif()
run("pkg-config --modversion" ENV ${pkgenv} COMMAND ${PKG_CONFIG} --modversion jointreview EXPECT "^${JR_VERSION}")
run("pkg-config --cflags" ENV ${pkgenv} COMMAND ${PKG_CONFIG} --cflags jointreview)
string(STRIP "${run_output}" cflags)
run("pkg-config --libs" ENV ${pkgenv} COMMAND ${PKG_CONFIG} ${static_flag} --libs jointreview)
string(STRIP "${run_output}" libs)
separate_arguments(cflags UNIX_COMMAND "${cflags}")
separate_arguments(libs UNIX_COMMAND "${libs}")
if(JR_SHARED)
  set(link ${JR_C_COMPILER})
else()
  set(link ${JR_CXX_COMPILER})  # a static C++ library is linked by the C++ driver
endif()
run("pkg-config compile (C)"
    COMMAND ${JR_C_COMPILER} -std=c99 -Wall -Wextra -Werror ${cflags} -c ${JR_CONSUMER_SOURCE}/consumer.c
            -o ${JR_WORK_DIR}/consumer_c.o)
run("pkg-config link" COMMAND ${link} ${JR_WORK_DIR}/consumer_c.o ${libs} -o ${JR_WORK_DIR}/consumer_c)
run("pkg-config run" ENV LD_LIBRARY_PATH=${libdir}
    COMMAND ${JR_WORK_DIR}/consumer_c ${data}/four-certificates.yaml
    EXPECT "jointreview ${JR_VERSION} \\(C, pkg-config\\): four-certificates, 11 steps")
