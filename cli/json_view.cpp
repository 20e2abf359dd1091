#include "json_view.hpp"

#include <cstdint>

#include "callmem/detail/wire.hpp"
// RapidJSON as the core configures it, before any other of its headers.
// clang-format off
#include "json/rapidjson.hpp"
#include <rapidjson/encodedstream.h>
// clang-format on

namespace callmem::cli {
namespace {

// Builds a JsonValue from RapidJSON's events; numbers keep their text
// (kParseNumbersAsStringsFlag), so that an answer is shown as the library wrote it.
class Builder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Builder> {
 public:
  bool Null() { return put(JsonValue{}); }
  bool Bool(bool b) {
    JsonValue v;
    v.kind = JsonValue::Kind::boolean;
    v.text = b ? "true" : "false";
    return put(std::move(v));
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return scalar(JsonValue::Kind::number, s, n); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return scalar(JsonValue::Kind::string, s, n); }
  bool StartObject() { return open(JsonValue::Kind::object); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    keys_.emplace_back(s, n);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(JsonValue::Kind::array); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  JsonValue take() { return std::move(root_); }

 private:
  static constexpr std::size_t kMaxDepth = 256;

  bool scalar(JsonValue::Kind kind, const char* s, rapidjson::SizeType n) {
    JsonValue v;
    v.kind = kind;
    v.text.assign(s, n);
    return put(std::move(v));
  }
  bool open(JsonValue::Kind kind) {
    if (open_.size() >= kMaxDepth) return false;
    JsonValue v;
    v.kind = kind;
    open_.push_back(std::move(v));
    return true;
  }
  bool close() {
    JsonValue v = std::move(open_.back());
    open_.pop_back();
    return put(std::move(v));
  }
  // A finished value goes into the array or object being read, or is the document.
  bool put(JsonValue v) {
    if (open_.empty()) {
      root_ = std::move(v);
    } else if (open_.back().kind == JsonValue::Kind::array) {
      open_.back().items.push_back(std::move(v));
    } else {
      open_.back().members.emplace_back(std::move(keys_.back()), std::move(v));
      keys_.pop_back();
    }
    return true;
  }

  std::vector<JsonValue> open_;
  std::vector<std::string> keys_;
  JsonValue root_;
};

void write(detail::Writer& w, const JsonValue& v) {
  switch (v.kind) {
    case JsonValue::Kind::null:
      w.null();
      break;
    case JsonValue::Kind::boolean:
      w.boolean(v.text == "true");
      break;
    case JsonValue::Kind::number:
      w.raw(v.text);
      break;
    case JsonValue::Kind::string:
      w.str(v.text);
      break;
    case JsonValue::Kind::array:
      w.begin_array();
      for (const JsonValue& item : v.items) write(w, item);
      w.end_array();
      break;
    case JsonValue::Kind::object:
      w.begin_object();
      for (const auto& [key, member] : v.members) {
        w.key(key);
        write(w, member);
      }
      w.end_object();
      break;
  }
}

}  // namespace

const JsonValue* JsonValue::find(std::string_view path) const {
  const JsonValue* at = this;
  while (at) {
    const std::size_t dot = path.find('.');
    const std::string_view name = path.substr(0, dot);
    const JsonValue* next = nullptr;
    for (const auto& [key, member] : at->members)
      if (key == name) next = &member;
    at = next;
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  return at;
}

std::string JsonValue::get(std::string_view path, std::string otherwise) const {
  const JsonValue* v = find(path);
  return v && v->scalar() && v->kind != Kind::null ? v->text : otherwise;
}

std::optional<JsonValue> parse_json(std::string_view text) {
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
  json::rj::Reader reader;
  Builder builder;
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  if (reader.Parse<kFlags>(in, builder).IsError()) return std::nullopt;
  // Nothing but white space may follow the value.
  for (std::size_t i = in.Tell(); i < text.size(); ++i)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') return std::nullopt;
  return builder.take();
}

std::string to_json(const JsonValue& v) {
  detail::Writer w;
  write(w, v);
  return w.take();
}

}  // namespace callmem::cli
