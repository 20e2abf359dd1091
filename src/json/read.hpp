// Reading JSON for the codec's parts: field paths, the issues a read
// collects, parsing text into a document, and the primitives that read one
// field (text, integer, number, boolean, time, enum, object) and name it in
// an issue when it is wrong.
#ifndef CALLMEM_JSON_READ_HPP
#define CALLMEM_JSON_READ_HPP

#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "callmem/error.hpp"
#include "json/codec.hpp"
#include "json/rapidjson.hpp"

namespace callmem::json {

using rapidjson::SizeType;
using Value = rj::Value;
// A field's place: {"identity_hints", "external_ids", "crm_id"}.
using Path = std::vector<std::string>;

inline constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

inline Path operator+(Path p, std::string s) {
  p.push_back(std::move(s));
  return p;
}

// "identity_hints.external_ids.crm_id" for messages.
std::string label(const Path& path);

inline std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// A path element made of a key from the input (kept readable in error bodies).
std::string key_label(std::string_view key);

// Issues are collected while a document is read, then thrown together.
class Issues {
 public:
  void add(Path path, std::string message) {
    if (list_.size() < kMaxIssues) list_.push_back(FieldIssue{std::move(path), std::move(message)});
  }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  void throw_if_any() {
    if (!list_.empty()) throw Error(Status::invalid, "Validation failed", std::move(list_));
  }

 private:
  static constexpr std::size_t kMaxIssues = 64;
  std::vector<FieldIssue> list_;
};

// Throws Error(Status::invalid) naming one field.
[[noreturn]] void fail(Path path, std::string message);

// Parses `text` into `doc`, which must then be an object. Empty text is {}
// when `empty_is_object`.
void parse_document(std::string_view text, rj::Document& doc, bool empty_is_object,
                    std::size_t max_bytes = kMaxRequestBytes);
// A request (or configuration): parsed as above, and no key given twice in
// one object, at any depth.
void parse_request(std::string_view text, rj::Document& doc, bool empty_is_object);

// The member `name` of object `obj` (the last one when repeated: only stored
// data reaches here unchecked, and the library never writes a key twice), or null.
inline const Value* find(const Value& obj, std::string_view name) {
  const Value* found = nullptr;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it)
    if (view(it->name) == name) found = &it->value;
  return found;
}

// Like find, but a JSON null counts as absent (an optional field sent as null).
inline const Value* field(const Value& obj, std::string_view name) {
  const Value* v = find(obj, name);
  return v && !v->IsNull() ? v : nullptr;
}

// The primitives: each checks `v` and answers its value, or adds an issue
// naming `path` and answers nothing.

// A text of min..max characters (code points, as the contract counts them):
// valid UTF-8, no NUL.
bool check_text(std::string_view s, const Path& path, std::size_t min, std::size_t max, Issues& is);
std::optional<std::string> read_text(const Value& v, const Path& path, std::size_t min, std::size_t max,
                                     Issues& is);
std::optional<std::int64_t> read_int(const Value& v, const Path& path, std::int64_t min, std::int64_t max,
                                     Issues& is);
// A number from 0 to 1.
std::optional<double> read_unit(const Value& v, const Path& path, Issues& is);
std::optional<bool> read_bool(const Value& v, const Path& path, Issues& is);
// A request's time; `earliest` is 1 there: time 0 means "not given" inside
// the library, so the epoch itself is refused. Stored responses may hold 0.
std::optional<Millis> read_time(const Value& v, const Path& path, Issues& is, Millis earliest = 1);
std::optional<std::string> read_enum(const Value& v, const Path& path,
                                     std::initializer_list<const char*> allowed, Issues& is);
// "<path> must be one of: a, b, c", of E's spellings.
void add_not_one_of(const Path& path, const std::string_view* spellings, std::size_t n, Issues& is);
// One of the contract's enums (callmem/enums.hpp), by its spelling.
template <class E>
std::optional<E> read_enum(const Value& v, const Path& path, Issues& is) {
  if (v.IsString())
    if (std::optional<E> e = from_string<E>(view(v))) return e;
  add_not_one_of(path, std::data(spellings<E>()), std::size(spellings<E>()), is);
  return std::nullopt;
}
// An enum of a request built in C++: one of its enumerators (not a value
// cast from an integer), with read_enum's words otherwise.
template <class E>
bool check_enum(E e, const Path& path, Issues& is) {
  if (!to_string(e).empty()) return true;
  add_not_one_of(path, std::data(spellings<E>()), std::size(spellings<E>()), is);
  return false;
}
// An integer of min..max, with read_int's words.
bool check_int(std::int64_t v, const Path& path, std::int64_t min, std::int64_t max, Issues& is);
// A request's time from C++ (not given is std::nullopt): one read_time would
// read back from its ISO-8601 text, with read_time's words.
bool check_time(Millis t, const Path& path, Issues& is);
// The compact text of one JSON value given as text (a variable's value built
// in C++), read as a request is (no key given twice); nothing when it is not
// exactly one valid JSON value.
std::optional<std::string> compact_value(std::string_view text);
bool check_object(const Value& v, const Path& path, Issues& is);
// An object of at most `max` members.
bool check_object(const Value& v, const Path& path, std::size_t max, Issues& is);

// Configuration (the open configuration, tenant settings) refuses a key it
// does not know, naming it: a misspelt setting must not leave the default in
// place unnoticed. The message reads "<key> is not <noun> (<lead> a, b and c)".
// Requests of operations tolerate unknown keys, as the hosted API does.
void check_keys(const Value& obj, const Path& path, std::initializer_list<std::string_view> known,
                std::string_view noun, const std::string& lead, Issues& is);

}  // namespace callmem::json

#endif
