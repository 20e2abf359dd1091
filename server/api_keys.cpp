#include "api_keys.hpp"

#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace callmem::server {
namespace {

void random_bytes(unsigned char* out, std::size_t n) {
  while (n > 0) {
    const ssize_t got = getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");
    }
    out += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

std::string base32(const unsigned char* p, std::size_t n) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string s;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    buffer = (buffer << 8) | p[i];
    bits += 8;
    while (bits >= 5) {
      s += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) s += alphabet[(buffer << (5 - bits)) & 31];
  return s;
}

}  // namespace

NewKey make_key() {
  unsigned char secret[32];
  unsigned char id[8];
  random_bytes(secret, sizeof secret);
  random_bytes(id, sizeof id);
  NewKey k;
  k.key = std::string(kKeyPrefix) + base32(secret, sizeof secret);
  k.key_id = "key_" + hex(id, sizeof id);
  k.hash = hash_key(k.key);
  return k;
}

std::string hash_key(std::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(key.data(), key.size(), digest, &n, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return hex(digest, n);
}

Bearer parse_bearer(std::string_view header, std::string_view& key) {
  if (header.empty()) return Bearer::missing;
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size()) return Bearer::malformed;
  for (std::size_t i = 0; i < scheme.size() - 1; ++i)  // the scheme is case-insensitive (RFC 9110)
    if ((header[i] | 0x20) != (scheme[i] | 0x20)) return Bearer::malformed;
  if (header[scheme.size() - 1] != ' ') return Bearer::malformed;
  std::string_view k = header.substr(scheme.size());
  while (!k.empty() && k.front() == ' ') k.remove_prefix(1);
  while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
  if (k.empty() || k.find(' ') != std::string_view::npos) return Bearer::malformed;
  key = k;
  return Bearer::key;
}

}  // namespace callmem::server
