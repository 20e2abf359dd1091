// The C++ API of callmem, in one include.
#ifndef CALLMEM_HPP
#define CALLMEM_HPP

#include "callmem/error.hpp"
#include "callmem/types.hpp"
#include "callmem/version.h"

#endif
