/* The public C header must compile alone as strict C99 (see tests/CMakeLists.txt). */
#include "callmem/callmem.h"
#include "callmem/json.h"

int callmem_header_check_status(void) { return CALLMEM_OK + CALLMEM_ESTORE; }
