// Small helpers on ASCII text. They touch ASCII bytes only, whatever the C
// locale (<cctype> would follow it: in a Latin-1 locale tolower() changes the
// bytes of UTF-8 characters), so UTF-8 text passes through intact.
#ifndef CALLMEM_TEXT_HPP
#define CALLMEM_TEXT_HPP

#include <string>
#include <string_view>

namespace callmem {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

inline bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

inline bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

inline bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

}  // namespace callmem

#endif
