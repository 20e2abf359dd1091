// A request's fingerprint: what makes a retried start, end or feedback a
// replay (the same canonical request) rather than a conflict.
#ifndef CALLMEM_CALLS_FINGERPRINT_HPP
#define CALLMEM_CALLS_FINGERPRINT_HPP

#include <cstdint>
#include <string>

namespace callmem::calls {

// FNV-1a, 64 bits, of the request's canonical form (json::canonical); never
// 0, which marks "no such request" in the store.
inline std::uint64_t fingerprint(const std::string& canonical) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : canonical) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

}  // namespace callmem::calls

#endif
