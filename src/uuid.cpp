// Random (version 4) UUIDs from the kernel's CSPRNG (uuid.hpp).
#include "uuid.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "callmem/error.hpp"

namespace callmem {

void random_bytes(void* buf, std::size_t n, RandomSource source) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    const ssize_t got = source(p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw Error(Status::error,
                  std::string("getrandom failed: ") + (got < 0 ? std::strerror(errno) : "no bytes"));
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::string uuid_v4() {
  unsigned char b[16];
  random_bytes(b, sizeof b, ::getrandom);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10
  static const char kHex[] = "0123456789abcdef";
  std::string s(36, '-');
  std::size_t pos = 0;
  for (unsigned char byte : b) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
    s[pos++] = kHex[byte >> 4];
    s[pos++] = kHex[byte & 0xf];
  }
  return s;
}

}  // namespace callmem
