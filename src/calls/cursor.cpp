// The cursor of call history, encoded and decoded.
#include "calls/cursor.hpp"

#include <fmt/format.h>

#include "callmem/error.hpp"

namespace callmem::calls {

std::string encode_cursor(const CallRow& last) {
  return fmt::format("c1:{}:{}", last.started_at, last.call_id);
}

std::optional<CallCursor> decode_cursor(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const auto bad = [] { return invalid_field({"cursor"}, "cursor is not one this library returned"); };
  if (s.rfind("c1:", 0) != 0) throw bad();
  const auto colon = s.find(':', 3);
  if (colon == std::string::npos || colon == 3 || colon - 3 > 18) throw bad();
  Millis t = 0;
  for (std::size_t i = 3; i < colon; ++i) {
    if (s[i] < '0' || s[i] > '9') throw bad();
    t = t * 10 + (s[i] - '0');
  }
  return CallCursor{t, s.substr(colon + 1)};
}

}  // namespace callmem::calls
