// Random (version 4) UUIDs for customer_ref.
#ifndef CALLMEM_UUID_HPP
#define CALLMEM_UUID_HPP

#include <string>

namespace callmem {

// "a1b2c3d4-e5f6-4890-abcd-ef1234567890": 122 random bits from a per-thread
// generator seeded by the operating system's entropy.
std::string uuid_v4();

}  // namespace callmem

#endif
