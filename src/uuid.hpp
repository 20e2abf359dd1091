// Random (version 4) UUIDs for customer_ref and merge_id.
#ifndef CALLMEM_UUID_HPP
#define CALLMEM_UUID_HPP

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace callmem {

// "a1b2c3d4-e5f6-4890-abcd-ef1234567890": 122 random bits from the kernel's
// CSPRNG (getrandom), so that refs seen by a caller never tell the next ones
// (a ref given back as a hint is strong evidence, and the key of get, export
// and forget). The kernel's state is not copied by fork: forked processes
// make refs of their own. Throws Error(Status::error) when the kernel gives
// no random bytes, rather than make a predictable ref.
std::string uuid_v4();

// Fills buf with n bytes from `source` (getrandom's signature), across short
// reads and EINTR; throws Error(Status::error) when it fails.
using RandomSource = ssize_t (*)(void* buf, std::size_t n, unsigned flags);
void random_bytes(void* buf, std::size_t n, RandomSource source);

}  // namespace callmem

#endif
