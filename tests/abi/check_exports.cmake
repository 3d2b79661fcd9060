# ctest driver (cmake -P): the shared library exports its API and nothing
# else. Every defined dynamic symbol, demangled, must be a C API function
# (jr_*) or belong to namespace jointreview (its functions, or the type
# information and virtual table of one of its classes).
# Variables: LIB (the library file), NM (the nm program).
execute_process(COMMAND ${NM} -D --defined-only -C ${LIB}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}: ${err}")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(bad "")
set(count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  # "ADDRESS TYPE NAME": the name is what follows the type letter.
  string(REGEX REPLACE "^[0-9a-fA-F]+ [A-Za-z] " "" name "${line}")
  math(EXPR count "${count} + 1")
  if(NOT name MATCHES "^(jr_[a-z0-9_]+|jointreview::.+|(typeinfo|typeinfo name|vtable) for jointreview::.+)$")
    string(APPEND bad "  ${name}\n")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "${LIB} exports symbols outside its API (see engine/jointreview.map and JR_EXPORT):\n${bad}")
endif()
if(count LESS 50)
  message(FATAL_ERROR "${LIB} exports only ${count} symbols: is the C API missing?")
endif()
message(STATUS "${count} exported symbols, all jr_* or jointreview::")
