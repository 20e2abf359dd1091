// Writing JSON for the codec's parts: Out, a compact writer of keys and
// values as the contract writes them (times, numbers, raw JSON), and the
// copy of a parsed value back to compact text.
#ifndef CALLMEM_JSON_WRITE_HPP
#define CALLMEM_JSON_WRITE_HPP

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "callmem/types.hpp"
#include "json/rapidjson.hpp"
#include "time.hpp"

namespace callmem::json {

class Out {
 public:
  Out() : w_(buf_) {}
  Out& key(std::string_view k) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  void str(std::string_view s) { w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
  void opt_str(const std::optional<std::string>& s) {
    if (s)
      str(*s);
    else
      null();
  }
  void i64(std::int64_t v) { w_.Int64(v); }
  void boolean(bool b) { w_.Bool(b); }
  void null() { w_.Null(); }
  void time(Millis t) { str(format_iso(t)); }
  // A number: integral values without a fraction (0, not 0.0), others in the
  // shortest form that reads back to the same double.
  void num(double d) {
    if (!std::isfinite(d)) d = 0;
    if (d == std::floor(d) && std::fabs(d) < 9e15)
      w_.Int64(static_cast<std::int64_t>(d));
    else
      w_.Double(d);
  }
  // Confidences and weights: 4 decimals.
  void num4(double d) {
    if (!std::isfinite(d)) d = 0;
    if (std::fabs(d) < 1e11) d = std::round(d * 10000) / 10000;
    num(d);
  }
  // Compact JSON text, written as is.
  void raw(std::string_view json) {
    if (json.empty())
      null();
    else
      w_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  // An object of strings (external ids, call data).
  template <class Map>
  void string_map(const Map& m) {
    begin_object();
    for (const auto& [k, v] : m) key(k).str(v);
    end_object();
  }
  void begin_object() { w_.StartObject(); }
  void end_object() { w_.EndObject(); }
  void begin_array() { w_.StartArray(); }
  void end_array() { w_.EndArray(); }
  rj::Writer& writer() { return w_; }
  std::string take() const { return std::string(buf_.GetString(), buf_.GetSize()); }

 private:
  rj::StringBuffer buf_;
  rj::Writer w_;
};

// Writes `root` compactly, without recursion (any nesting depth is safe).
// False when a string or key is not valid UTF-8.
bool write_value(rj::Writer& w, const rj::Value& root);

// `v` as compact text; nothing when a string or key is not valid UTF-8.
std::optional<std::string> compact(const rj::Value& v);

}  // namespace callmem::json

#endif
