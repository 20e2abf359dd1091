// Every value type of the call memory contract (docs/contract.md), in one
// include. Each concept has a header of its own; include only the ones a
// file uses, or this one.
#ifndef CALLMEM_TYPES_HPP
#define CALLMEM_TYPES_HPP

#include "callmem/billing.hpp"
#include "callmem/calls.hpp"
#include "callmem/customers.hpp"
#include "callmem/enums.hpp"
#include "callmem/feedback.hpp"
#include "callmem/identity.hpp"
#include "callmem/settings.hpp"
#include "callmem/values.hpp"

#endif
