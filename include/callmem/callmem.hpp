// The C++ API of callmem, in one include: a header-only layer over the C ABI
// (callmem/call_memory.hpp says why), the value types and the exception.
#ifndef CALLMEM_HPP
#define CALLMEM_HPP

#include "callmem/call_memory.hpp"
#include "callmem/error.hpp"
#include "callmem/types.hpp"
#include "callmem/version.h"

#endif
