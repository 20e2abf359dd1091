# Fails if LIB loads libpq, directly or through another library: the
# PostgreSQL store loads it only when it first opens, and a build with
# CALLMEM_WITH_POSTGRES=OFF never.
execute_process(COMMAND ldd ${LIB} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ldd failed on ${LIB}")
endif()
if(out MATCHES "libpq\\.so")
  message(FATAL_ERROR "${LIB} loads libpq:\n${out}")
endif()
if(NOT out MATCHES "libsqlite3\\.so")
  message(FATAL_ERROR "ldd ${LIB} lists no libsqlite3, so its output is not what this check reads:\n${out}")
endif()
message(STATUS "${LIB} does not load libpq")
