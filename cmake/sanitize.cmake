# Sanitizer and fuzzing builds (docs/fuzzing.md, issue 14 items 7 and 8).
#
#   -DJR_SANITIZE=address,undefined   ASan + UBSan on every target
#   -DJR_SANITIZE=thread              TSan on every target
#   -DJR_FUZZ=ON                      the libFuzzer targets of fuzz/ (clang
#                                     only), with ASan + UBSan unless
#                                     JR_SANITIZE names others
#
# Every target (library, CLI, tests, examples, C or C++) is compiled with the
# sanitizers at -O1 -g with frame pointers; UBSan stops at its first report
# (-fno-sanitize-recover=all), so a finding fails the test that hit it.
# JR_SANITIZE is also defined for the sources: util/attributes.h then drops
# [[gnu::flatten]], without which such a build is feasible.

set(JR_SANITIZE "" CACHE STRING
    "Sanitizers for every target, as -fsanitize= takes them: address,undefined or thread (empty: none)")
option(JR_FUZZ "Build the libFuzzer targets of fuzz/ (needs clang; implies ASan + UBSan)" OFF)

set(JR_SANITIZERS "${JR_SANITIZE}")
if(JR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "JR_FUZZ needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang "
                        "-DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT JR_SANITIZERS)
    set(JR_SANITIZERS address,undefined)
  endif()
endif()

if(JR_SANITIZERS)
  if(JR_SANITIZERS MATCHES "thread" AND JR_SANITIZERS MATCHES "address")
    message(FATAL_ERROR "JR_SANITIZE=${JR_SANITIZERS}: ThreadSanitizer cannot be combined with AddressSanitizer")
  endif()
  set(JR_SAN_FLAGS -fsanitize=${JR_SANITIZERS} -fno-omit-frame-pointer -g -O1)
  if(JR_SANITIZERS MATCHES "undefined")
    list(APPEND JR_SAN_FLAGS -fno-sanitize-recover=all)
    # UBSan's vptr check references the typeinfo of each polymorphic class it
    # checks, and the shared library hides its own (hidden visibility, a
    # version script): a program outside the library that uses, say,
    # FakeClock would not link. The folder of such programs (examples/)
    # compiles without that one check; the library, the CLI and the tests keep
    # it.
    set(JR_SAN_OUTSIDE_FLAGS -fno-sanitize=vptr)
  endif()
  if(JR_FUZZ)
    # Coverage for libFuzzer in every object; only fuzz/ links its main().
    list(APPEND JR_SAN_FLAGS -fsanitize=fuzzer-no-link)
  endif()
  # A program that is not built here but loads the library (python3 for
  # examples/embed_python.py, the install test's consumer built without the
  # flags) needs the ASan runtime loaded first: these tests get it preloaded,
  # without leak checks (the interpreter's and the compilers' own leaks are
  # not the library's; every other test checks leaks).
  set(JR_SAN_PRELOAD_ENV)
  if(JR_SANITIZERS MATCHES "address" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                    OUTPUT_VARIABLE jr_asan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(JR_SAN_PRELOAD_ENV "LD_PRELOAD=${jr_asan_runtime}" "ASAN_OPTIONS=detect_leaks=0")
  endif()
  # The threaded tests under TSan (ctest -L threads) stop at the first report
  # and skip the known false positives of the uninstrumented libstdc++
  # (tests/tsan.supp).
  set(JR_SAN_TSAN_ENV)
  if(JR_SANITIZERS MATCHES "thread")
    set(JR_SAN_TSAN_ENV
        "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=${PROJECT_SOURCE_DIR}/tests/tsan.supp")
  endif()
  # After the build type's flags on the command line, so -O1 wins over -O3.
  add_compile_options(${JR_SAN_FLAGS})
  add_link_options(-fsanitize=${JR_SANITIZERS})
  add_compile_definitions(JR_SANITIZE)
  message(STATUS "JointReview: sanitizers ${JR_SANITIZERS} on every target (-O1 -g, no flatten)")
endif()
