// The C++ API of callmem, in one include: a header-only layer over the C ABI
// (callmem/call_memory.hpp says why), the value types, one header per concept,
// and the exception.
#ifndef CALLMEM_HPP
#define CALLMEM_HPP

#include "callmem/billing.hpp"
#include "callmem/call_memory.hpp"
#include "callmem/calls.hpp"
#include "callmem/customers.hpp"
#include "callmem/enums.hpp"
#include "callmem/error.hpp"
#include "callmem/feedback.hpp"
#include "callmem/identity.hpp"
#include "callmem/settings.hpp"
#include "callmem/types.hpp"
#include "callmem/values.hpp"
#include "callmem/version.h"

#endif
