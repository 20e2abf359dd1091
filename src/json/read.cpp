// The primitives that read one field of a document and name it in an issue
// when it is wrong; the labels of field paths.
#include "json/read.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "json/utf8.hpp"
#include "time.hpp"

namespace callmem::json {

std::string label(const Path& path) {
  if (path.empty()) return "request";
  std::string out;
  for (const auto& p : path) {
    if (!out.empty()) out += '.';
    out += p;
  }
  return out;
}

std::string key_label(std::string_view key) {
  if (!valid_utf8(key)) return "<invalid UTF-8>";
  return std::string(key);
}

void fail(Path path, std::string message) { throw invalid_field(std::move(path), std::move(message)); }

bool check_text(std::string_view s, const Path& path, std::size_t min, std::size_t max, Issues& is) {
  if (!valid_utf8(s)) {
    is.add(path, fmt::format("{} must be valid UTF-8", label(path)));
    return false;
  }
  const std::size_t n = characters(s);
  if (n < min) {
    is.add(path, min == 1 ? fmt::format("{} must not be empty", label(path))
                          : fmt::format("{} must be at least {} characters", label(path), min));
  } else if (n > max) {
    is.add(path, fmt::format("{} must be at most {} characters", label(path), max));
  } else if (s.find('\0') != std::string_view::npos) {
    is.add(path, fmt::format("{} must not contain a NUL character", label(path)));
  } else {
    return true;
  }
  return false;
}

std::optional<std::string> read_text(const Value& v, const Path& path, std::size_t min, std::size_t max,
                                     Issues& is) {
  if (!v.IsString()) {
    is.add(path, fmt::format("{} must be a string", label(path)));
    return std::nullopt;
  }
  if (!check_text(view(v), path, min, max, is)) return std::nullopt;
  return std::string(view(v));
}

std::optional<std::int64_t> read_int(const Value& v, const Path& path, std::int64_t min, std::int64_t max,
                                     Issues& is) {
  if (!v.IsNumber() || (!v.IsInt64() && !v.IsUint64())) {
    is.add(path, fmt::format("{} must be an integer", label(path)));
    return std::nullopt;
  }
  if (!v.IsInt64() || v.GetInt64() < min || v.GetInt64() > max) {
    is.add(path, fmt::format("{} must be an integer from {} to {}", label(path), min, max));
    return std::nullopt;
  }
  return v.GetInt64();
}

std::optional<double> read_unit(const Value& v, const Path& path, Issues& is) {
  if (!v.IsNumber()) {
    is.add(path, fmt::format("{} must be a number", label(path)));
    return std::nullopt;
  }
  const double d = v.GetDouble();
  if (!std::isfinite(d) || d < 0 || d > 1) {
    is.add(path, fmt::format("{} must be a number from 0 to 1", label(path)));
    return std::nullopt;
  }
  return d;
}

std::optional<bool> read_bool(const Value& v, const Path& path, Issues& is) {
  if (!v.IsBool()) {
    is.add(path, fmt::format("{} must be true or false", label(path)));
    return std::nullopt;
  }
  return v.GetBool();
}

std::optional<Millis> read_time(const Value& v, const Path& path, Issues& is, Millis earliest) {
  if (!v.IsString()) {
    is.add(path, fmt::format("{} must be an ISO-8601 timestamp string", label(path)));
    return std::nullopt;
  }
  const auto t = view(v).size() <= 64 ? parse_iso(view(v)) : std::nullopt;
  if (!t || *t < earliest) {
    is.add(path, fmt::format("{} must be an ISO-8601 timestamp after 1970-01-01T00:00:00.000Z, like "
                             "2026-02-07T10:30:00.000Z",
                             label(path)));
    return std::nullopt;
  }
  return t;
}

std::optional<std::string> read_enum(const Value& v, const Path& path,
                                     std::initializer_list<const char*> allowed, Issues& is) {
  if (v.IsString()) {
    for (const char* a : allowed)
      if (view(v) == a) return std::string(a);
  }
  std::string list;
  for (const char* a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  is.add(path, fmt::format("{} must be one of: {}", label(path), list));
  return std::nullopt;
}

void add_not_one_of(const Path& path, const std::string_view* spellings, std::size_t n, Issues& is) {
  std::string list;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) list += ", ";
    list += spellings[i];
  }
  is.add(path, fmt::format("{} must be one of: {}", label(path), list));
}

bool check_int(std::int64_t v, const Path& path, std::int64_t min, std::int64_t max, Issues& is) {
  if (v >= min && v <= max) return true;
  is.add(path, fmt::format("{} must be an integer from {} to {}", label(path), min, max));
  return false;
}

bool check_time(Millis t, const Path& path, Issues& is) {
  // parse_iso reads years 1970 to 9999: the last millisecond of 9999.
  constexpr Millis kLatest = 253402300799999;
  if (t >= 1 && t <= kLatest) return true;
  is.add(path, fmt::format("{} must be an ISO-8601 timestamp after 1970-01-01T00:00:00.000Z, like "
                           "2026-02-07T10:30:00.000Z",
                           label(path)));
  return false;
}

bool check_object(const Value& v, const Path& path, Issues& is) {
  if (v.IsObject()) return true;
  is.add(path, fmt::format("{} must be an object", label(path)));
  return false;
}

bool check_object(const Value& v, const Path& path, std::size_t max, Issues& is) {
  if (!check_object(v, path, is)) return false;
  if (v.MemberCount() > max) {
    is.add(path, fmt::format("{} must have at most {} entries", label(path), max));
    return false;
  }
  return true;
}

void check_keys(const Value& obj, const Path& path, std::initializer_list<std::string_view> known,
                std::string_view noun, const std::string& lead, Issues& is) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    const std::string_view key = view(it->name);
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (auto k = known.begin(); k != known.end(); ++k)
      list += (k == known.begin() ? "" : k + 1 == known.end() ? " and " : ", ") + std::string(*k);
    const Path kp = path + key_label(key);
    is.add(kp, fmt::format("{} is not {} ({} {})", label(kp), noun, lead, list));
  }
}

}  // namespace callmem::json
