// UTF-8 as the codec checks it: strict validity, counting characters, and
// making any bytes safe for an error body.
#ifndef CALLMEM_JSON_UTF8_HPP
#define CALLMEM_JSON_UTF8_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace callmem::json {

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
// (RapidJSON validates raw bytes, but decodes a lone "\udc00" escape into a
// surrogate; this catches that too.)
bool valid_utf8(std::string_view s);

// Text for an error body: invalid bytes become U+FFFD.
std::string sanitize(std::string_view s);

// The characters (Unicode code points) of valid UTF-8.
inline std::size_t characters(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace callmem::json

#endif
