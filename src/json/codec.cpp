// The JSON codec (see codec.hpp), over RapidJSON as json/rapidjson.hpp
// configures it.
#include "json/codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

// RapidJSON's assertions throw (guarded() turns one into Status::error).
#include "json/rapidjson.hpp"
// After it, so that its configuration applies.
#include <rapidjson/encodedstream.h>

#include "identity/phone.hpp"
#include "settings.hpp"
#include "time.hpp"

namespace callmem::json {
namespace {

using rapidjson::SizeType;
using Value = rj::Value;
using Path = std::vector<std::string>;

// Numbers reach the document as text and are converted by DocumentBuilder
// (below), not by RapidJSON.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;
constexpr std::size_t kMaxIssues = 64;
constexpr std::int64_t kMaxVariableTtlSeconds = 31536000;
constexpr std::size_t kMaxCursor = 256;
constexpr std::size_t kMaxIdempotencyKey = 128;
constexpr std::int64_t kMaxGrant = 1000000000000;
constexpr std::int64_t kMaxPrice = 1000000;
constexpr std::int64_t kMaxPurgeLimit = 1000000;
constexpr std::int64_t kMaxBusyTimeoutMs = 3600000;
constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

const char* const kHintsRequired = "identity_hints must include ani, external_ids, or customer_ref";

Path operator+(Path p, std::string s) {
  p.push_back(std::move(s));
  return p;
}

// "identity_hints.external_ids.crm_id" for messages.
std::string label(const Path& path) {
  if (path.empty()) return "request";
  std::string out;
  for (const auto& p : path) {
    if (!out.empty()) out += '.';
    out += p;
  }
  return out;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
// (RapidJSON validates raw bytes, but decodes a lone "\udc00" escape into a
// surrogate; this catches that too.)
// The length of the valid UTF-8 sequence at s[i], 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned c = p[i];
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned cc = p[i + k];
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return len;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Text for an error body: invalid bytes become U+FFFD.
std::string sanitize(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s, i, len);
      i += len;
    }
  }
  return out;
}

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// A path element made of a key from the input (kept readable in error bodies).
std::string key_label(std::string_view key) {
  if (!valid_utf8(key)) return "<invalid UTF-8>";
  return std::string(key);
}

// ---------------------------------------------------------------------------
// Validation: issues are collected, then thrown together.

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
  std::vector<FieldIssue> list_;
};

[[noreturn]] void fail(Path path, std::string message) {
  throw invalid_field(std::move(path), std::move(message));
}

// Whether a JSON number out of a double's range is so close to 0 that it
// would read as 0 (rather than so large it would read as infinity).
bool underflows(std::string_view number) {
  const std::size_t e = number.find_first_of("eE");
  std::string_view digits = number.substr(0, e);
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  const std::size_t point = std::min(digits.find('.'), digits.size());
  const std::size_t first = digits.find_first_not_of("0.");
  if (first == std::string_view::npos) return true;
  // The power of ten of the first significant digit.
  long exponent = first < point ? static_cast<long>(point - first) - 1 : -static_cast<long>(first - point);
  if (e != std::string_view::npos) {
    std::string_view x = number.substr(e + 1);
    const bool negative = !x.empty() && x[0] == '-';
    if (!x.empty() && (x[0] == '-' || x[0] == '+')) x.remove_prefix(1);
    long value = 0;
    for (char c : x) value = std::min(value * 10 + (c - '0'), 100000L);  // beyond any double either way
    exponent += negative ? -value : value;
  }
  return exponent < 0;
}

// Builds a Document from RapidJSON's parse events, as Document::Parse does,
// but for numbers. Debian's RapidJSON 1.1.0 converts some numbers wrongly:
// with full precision, a zero with a large exponent (0e206, -0.0e100) goes
// through undefined behaviour in its DiyFp normalisation and reads as
// garbage; without it, decimals are not correctly rounded. std::from_chars
// rounds correctly (and ignores the locale): every number reads as the
// double nearest to it, which the writer writes back to that double.
class DocumentBuilder {
 public:
  explicit DocumentBuilder(rj::Document& doc) : doc_(doc) {}
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char* s, SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool StartObject() { return doc_.StartObject(); }
  bool Key(const char* s, SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool EndObject(SizeType members) { return doc_.EndObject(members); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(SizeType elements) { return doc_.EndArray(elements); }

  // A number's text, valid JSON syntax. As RapidJSON reads them: without a
  // fraction or an exponent, an integer while it fits 64 bits; else a double.
  bool RawNumber(const char* s, SizeType n, bool) {
    const char* end = s + n;
    if (std::none_of(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; })) {
      if (*s == '-') {
        std::int64_t i = 0;
        if (std::from_chars(s, end, i).ec == std::errc()) return doc_.Int64(i);
      } else {
        std::uint64_t u = 0;
        if (std::from_chars(s, end, u).ec == std::errc()) return doc_.Uint64(u);
      }
    }
    double d = 0;
    const auto [stop, ec] = std::from_chars(s, end, d);
    if (ec == std::errc() && stop == end) return doc_.Double(d);
    // Out of range: never read as 0 or infinity. (RapidJSON itself refuses
    // most numbers too big, with the same words.)
    number_error_ = underflows({s, n}) ? "Number too small to be stored in double (and it is not 0)."
                                       : "Number too big to be stored in double.";
    return false;
  }

  // Why RawNumber stopped the parse, or null.
  const char* number_error() const { return number_error_; }

 private:
  rj::Document& doc_;
  const char* number_error_ = nullptr;
};

// Parses `text` into `doc`, which must then be an object. Empty text is {}
// when `empty_is_object`.
void parse_document(std::string_view text, rj::Document& doc, bool empty_is_object,
                    std::size_t max_bytes = kMaxRequestBytes) {
  if (text.size() > max_bytes) fail({}, fmt::format("request is larger than {} bytes", max_bytes));
  if (text.empty() && empty_is_object) {
    doc.SetObject();
    return;
  }
  // A raw NUL is never valid JSON, but RapidJSON's streams would take it for the end.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    fail({}, fmt::format("malformed JSON at offset {}: NUL byte", nul));
  if (text.empty()) text = std::string_view("", 0);
  rapidjson::MemoryStream bytes(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
  rj::Reader reader;
  DocumentBuilder builder(doc);
  rapidjson::ParseResult result;
  auto events = [&](rj::Document&) {
    result = reader.Parse<kParseFlags>(in, builder);
    return !result.IsError();
  };
  doc.Populate(events);
  if (result.IsError()) {
    const char* what = result.Code() == rapidjson::kParseErrorTermination && builder.number_error()
                           ? builder.number_error()
                           : rapidjson::GetParseError_En(result.Code());
    fail({}, fmt::format("malformed JSON at offset {}: {}", result.Offset(), what));
  }
  if (!doc.IsObject()) fail({}, "request must be a JSON object");
}

// Refuses a key given twice in one object, at any depth (RFC 8259 leaves to
// each reader which one counts, so the request means nothing definite).
// Keys compare as decoded: "\u0061" is "a". Each repeated key is named once,
// with its path.
void check_unique_keys(const Value& root, Issues& is) {
  struct Frame {
    const Value* v;
    SizeType next;  // the child to visit next; the one being visited is next - 1
  };
  std::vector<Frame> stack{{&root, 0}};
  std::vector<std::string_view> keys;
  const auto path_to = [&](std::string_view key) {
    Path p;
    for (std::size_t i = 0; i + 1 < stack.size(); ++i) {
      const Value& v = *stack[i].v;
      const SizeType child = stack[i].next - 1;
      p.push_back(v.IsObject() ? key_label(view((v.MemberBegin() + child)->name)) : std::to_string(child));
    }
    p.push_back(key_label(key));
    return p;
  };
  while (!stack.empty()) {
    Frame& f = stack.back();
    const Value& v = *f.v;
    const Value* child = nullptr;
    if (v.IsObject()) {
      if (f.next == 0 && v.MemberCount() > 1) {
        // Sorted, so that a large object costs n log n, not n * n.
        keys.clear();
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) keys.push_back(view(it->name));
        std::sort(keys.begin(), keys.end());
        for (std::size_t i = 1; i < keys.size(); ++i) {
          if (keys[i] != keys[i - 1] || (i > 1 && keys[i - 1] == keys[i - 2])) continue;
          Path p = path_to(keys[i]);
          std::string message = fmt::format("{} is given more than once", label(p));
          is.add(std::move(p), std::move(message));
        }
      }
      if (f.next < v.MemberCount()) child = &(v.MemberBegin() + f.next++)->value;
    } else if (f.next < v.Size()) {
      child = &v[f.next++];
    }
    if (!child)
      stack.pop_back();
    else if (child->IsObject() || child->IsArray())
      stack.push_back({child, 0});
  }
}

// A request (or configuration): parsed as above, and no key given twice.
void parse_request(std::string_view text, rj::Document& doc, bool empty_is_object) {
  parse_document(text, doc, empty_is_object);
  Issues is;
  check_unique_keys(doc, is);
  is.throw_if_any();
}

// The member `name` of object `obj` (the last one when repeated: only stored
// data reaches here unchecked, and the library never writes a key twice), or null.
const Value* find(const Value& obj, std::string_view name) {
  const Value* found = nullptr;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it)
    if (view(it->name) == name) found = &it->value;
  return found;
}

// Like find, but a JSON null counts as absent (an optional field sent as null).
const Value* field(const Value& obj, std::string_view name) {
  const Value* v = find(obj, name);
  return v && !v->IsNull() ? v : nullptr;
}

// The characters (Unicode code points) of valid UTF-8.
std::size_t characters(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Checks a text of min..max characters (code points, as the contract counts
// them): valid UTF-8, no NUL.
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

// A request's time; `earliest` is 1 there: time 0 means "not given" inside
// the library, so the epoch itself is refused. Stored responses may hold 0.
std::optional<Millis> read_time(const Value& v, const Path& path, Issues& is, Millis earliest = 1) {
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

bool check_object(const Value& v, const Path& path, Issues& is) {
  if (v.IsObject()) return true;
  is.add(path, fmt::format("{} must be an object", label(path)));
  return false;
}

// An object of at most `max` members.
bool check_object(const Value& v, const Path& path, std::size_t max, Issues& is) {
  if (!check_object(v, path, is)) return false;
  if (v.MemberCount() > max) {
    is.add(path, fmt::format("{} must have at most {} entries", label(path), max));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Writing.

class Out {
 public:
  Out() : w_(buf_) {}
  Out& key(std::string_view k) {
    w_.Key(k.data(), static_cast<SizeType>(k.size()));
    return *this;
  }
  void str(std::string_view s) { w_.String(s.data(), static_cast<SizeType>(s.size())); }
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
bool write_value(rj::Writer& w, const Value& root) {
  struct Frame {
    const Value* v;
    SizeType next;
  };
  std::vector<Frame> stack;
  bool ok = true;
  auto string = [&](const Value& s) {
    if (!valid_utf8(view(s))) ok = false;
    w.String(s.GetString(), s.GetStringLength());
  };
  auto open = [&](const Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType:
        w.Null();
        break;
      case rapidjson::kFalseType:
        w.Bool(false);
        break;
      case rapidjson::kTrueType:
        w.Bool(true);
        break;
      case rapidjson::kStringType:
        string(v);
        break;
      case rapidjson::kNumberType:
        if (v.IsInt64())
          w.Int64(v.GetInt64());
        else if (v.IsUint64())
          w.Uint64(v.GetUint64());
        else
          w.Double(v.GetDouble());
        break;
      case rapidjson::kArrayType:
        w.StartArray();
        stack.push_back({&v, 0});
        break;
      case rapidjson::kObjectType:
        w.StartObject();
        stack.push_back({&v, 0});
        break;
    }
  };
  open(root);
  while (!stack.empty()) {
    const Value& v = *stack.back().v;
    const SizeType i = stack.back().next++;
    if (v.IsArray()) {
      if (i < v.Size()) {
        open(v[i]);
      } else {
        w.EndArray();
        stack.pop_back();
      }
    } else {
      if (i < v.MemberCount()) {
        const auto m = v.MemberBegin() + i;
        string(m->name);
        open(m->value);
      } else {
        w.EndObject();
        stack.pop_back();
      }
    }
  }
  return ok;
}

std::optional<std::string> compact(const Value& v) {
  Out out;
  if (!write_value(out.writer(), v)) return std::nullopt;
  return out.take();
}

// Runs a codec operation: a RapidJSON assertion (a bug) becomes Status::error.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::logic_error& e) {
    throw Error(Status::error, fmt::format("JSON codec error: {}", e.what()));
  }
}

// Reads what the store kept: a document that does not read back is a store
// failure (500), not the caller's bad request.
template <class F>
auto stored(F&& f) -> decltype(f()) {
  try {
    return guarded(std::forward<F>(f));
  } catch (const Error& e) {
    if (e.status() != Status::invalid) throw;
    throw Error(Status::store, fmt::format("stored data does not read back: {}", e.what()), e.issues());
  }
}

// ---------------------------------------------------------------------------
// Requests.

std::map<std::string, std::string> read_external_ids(const Value& v, const Path& path, Issues& is) {
  std::map<std::string, std::string> out;
  if (!check_object(v, path, kMaxExternalIds, is)) return out;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const Path p = path + key_label(view(it->name));
    if (!check_text(view(it->name), p, 1, kMaxExternalIdKey, is)) continue;
    if (auto value = read_text(it->value, p, 1, kMaxExternalIdValue, is))
      out[std::string(view(it->name))] = std::move(*value);
  }
  return out;
}

struct HintsRead {
  IdentityHints hints;
  bool given = false;  // ani, external_ids (non-empty) or customer_ref was present
};

// The hint fields of `obj` (identity_hints, or the top level of a legacy request).
HintsRead read_hint_fields(const Value& obj, const Path& base, bool with_customer_ref, Issues& is) {
  HintsRead r;
  if (const Value* v = field(obj, "ani")) {
    // An empty ANI is how many platforms send a withheld number: a withheld
    // caller ID (identifiers_of), as "anonymous" is.
    r.given = true;
    r.hints.ani = read_text(*v, base + "ani", 0, kMaxAni, is);
  }
  if (const Value* v = field(obj, "dnis")) r.hints.dnis = read_text(*v, base + "dnis", 1, kMaxAni, is);
  if (const Value* v = field(obj, "external_ids")) {
    if (!v->IsObject() || v->MemberCount() > 0) r.given = true;
    r.hints.external_ids = read_external_ids(*v, base + "external_ids", is);
  }
  if (with_customer_ref) {
    if (const Value* v = field(obj, "customer_ref")) {
      r.given = true;
      r.hints.customer_ref = read_text(*v, base + "customer_ref", 1, kMaxCustomerRef, is);
    }
  }
  return r;
}

bool has_legacy_hints(const Value& obj, bool with_customer_ref) {
  return field(obj, "ani") || field(obj, "dnis") || field(obj, "external_ids") ||
         (with_customer_ref && field(obj, "customer_ref"));
}

// identity_hints, merged with the legacy top-level fields when `legacy`
// (identity_hints wins). Applies the at-least-one rule.
IdentityHints read_hints(const Value& obj, bool legacy, bool legacy_customer_ref, bool require, Issues& is) {
  const Path hp{"identity_hints"};
  HintsRead inner;
  bool bad_type = false;
  if (const Value* v = field(obj, "identity_hints")) {
    if (check_object(*v, hp, is))
      inner = read_hint_fields(*v, hp, true, is);
    else
      bad_type = true;
  }
  if (legacy) {
    HintsRead top = read_hint_fields(obj, {}, legacy_customer_ref, is);
    IdentityHints& h = inner.hints;
    if (!h.ani) h.ani = std::move(top.hints.ani);
    if (!h.dnis) h.dnis = std::move(top.hints.dnis);
    if (!h.customer_ref) h.customer_ref = std::move(top.hints.customer_ref);
    for (auto& [k, v] : top.hints.external_ids) h.external_ids.emplace(k, std::move(v));
    if (h.external_ids.size() > kMaxExternalIds)
      is.add(hp + "external_ids",
             fmt::format("identity_hints.external_ids must have at most {} entries", kMaxExternalIds));
    inner.given = inner.given || top.given;
  }
  if (require && !bad_type && !inner.given) is.add(hp, kHintsRequired);
  return std::move(inner.hints);
}

Telco read_telco(const Value& obj, Issues& is) {
  Telco t;
  const Value* v = field(obj, "telco");
  const Path tp{"telco"};
  if (!v || !check_object(*v, tp, is)) return t;
  if (const Value* f = field(*v, "line_type"))
    t.line_type = read_enum(*f, tp + "line_type", {"mobile", "landline", "voip", "unknown"}, is).value_or("");
  if (const Value* f = field(*v, "attestation"))
    t.attestation = read_enum(*f, tp + "attestation", {"A", "B", "C"}, is).value_or("");
  if (const Value* f = field(*v, "verstat"))
    t.verstat = read_enum(*f, tp + "verstat",
                          {"TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"}, is)
                    .value_or("");
  return t;
}

std::string read_call_id(const Value& obj, Issues& is) {
  const Value* v = field(obj, "call_id");
  if (!v) {
    is.add({"call_id"}, "call_id is required");
    return {};
  }
  return read_text(*v, {"call_id"}, 1, kMaxCallId, is).value_or("");
}

Millis read_at(const Value& obj, const char* name, Issues& is) {
  if (const Value* v = field(obj, name)) return read_time(*v, {name}, is).value_or(0);
  return 0;
}

CustomerSelector read_selector(const Value& obj, Issues& is) {
  CustomerSelector s;
  const Value* ref = field(obj, "customer_ref");
  if (ref) s.customer_ref = read_text(*ref, {"customer_ref"}, 1, kMaxCustomerRef, is);
  const bool hints_given = field(obj, "identity_hints") || has_legacy_hints(obj, false);
  if (hints_given) {
    // With both, customer_ref is used; the hints must still be well-formed.
    IdentityHints h = read_hints(obj, true, false, !ref, is);
    if (!ref) s.identity_hints = std::move(h);
  }
  if (!ref && !hints_given) is.add({"customer_ref"}, "customer_ref or identity_hints is required");
  return s;
}

// Configuration (the open configuration, tenant settings) refuses a key it
// does not know, naming it: a misspelt setting must not leave the default in
// place unnoticed. The message reads "<key> is not <noun> (<lead> a, b and c)".
// Requests of operations tolerate unknown keys, as the hosted API does.
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

// The same for one object of the settings.
void check_setting_keys(const Value& obj, const Path& path, std::initializer_list<std::string_view> known,
                        Issues& is) {
  check_keys(obj, path, known, "a setting", label(path) + " has", is);
}

// The identity weights below `prefix` (a path into kWeightFields, below
// identity.weights): each key must name a weight or a group of them.
void read_weights(const Value& v, const Path& path, const std::vector<std::string_view>& prefix,
                  IdentityWeightsPatch& p, Issues& is) {
  if (!check_object(v, path, is)) return;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const Path kp = path + key_label(view(it->name));
    std::vector<std::string_view> sub = prefix;
    sub.push_back(view(it->name));
    const WeightField* leaf = nullptr;
    bool group = false;
    for (const WeightField& f : kWeightFields) {
      std::size_t n = 0;
      while (n < f.path.size() && f.path[n]) ++n;
      if (sub.size() > n || !std::equal(sub.begin(), sub.end(), f.path.begin())) continue;
      if (sub.size() == n)
        leaf = &f;
      else
        group = true;
    }
    if (!leaf && !group) {
      is.add(kp, fmt::format("{} is not an identity weight", label(kp)));
    } else if (it->value.IsNull()) {
      continue;  // as absent
    } else if (leaf) {
      if (!it->value.IsNumber()) {
        is.add(kp, fmt::format("{} must be a number", label(kp)));
      } else if (const double d = it->value.GetDouble(); !std::isfinite(d) || !in_range(*leaf, d)) {
        is.add(kp, range_message(*leaf, label(kp)));
      } else {
        p.*leaf->patch = d;
      }
    } else {
      read_weights(it->value, kp, sub, p, is);
    }
  }
}

// The settings of `o`, every key known, at every level (check_keys).
void read_settings(const Value& o, const Path& base, TenantSettingsPatch& p, Issues& is) {
  check_keys(o, base,
             {"ttl_days", "default_region", "identity", "levels", "recommendations", "billing", "rate_limit"},
             "a setting", "the settings are", is);
  if (const Value* v = field(o, "ttl_days")) p.ttl_days = read_int(*v, base + "ttl_days", 1, 365, is);
  if (const Value* v = field(o, "default_region")) {
    const Path rp = base + "default_region";
    const bool ok = v->IsString() && v->GetStringLength() == 2 && v->GetString()[0] >= 'A' &&
                    v->GetString()[0] <= 'Z' && v->GetString()[1] >= 'A' && v->GetString()[1] <= 'Z';
    if (!ok)
      is.add(rp, fmt::format("{} must be two uppercase ASCII letters, like US", label(rp)));
    else if (!is_known_region(view(*v)))
      is.add(rp, unknown_region_message(label(rp), std::string(view(*v))));
    else
      p.default_region = std::string(view(*v));
  }
  if (const Value* v = field(o, "identity")) {
    const Path ip = base + "identity";
    if (check_object(*v, ip, is)) {
      check_setting_keys(*v, ip, {"profile", "weights", "merge_duplicates"}, is);
      if (const Value* f = field(*v, "profile"))
        p.identity_profile = read_enum(*f, ip + "profile", {"probabilistic", "hosted"}, is);
      if (const Value* f = field(*v, "merge_duplicates"))
        p.identity_merge_duplicates = read_bool(*f, ip + "merge_duplicates", is);
      if (const Value* f = field(*v, "weights")) read_weights(*f, ip + "weights", {}, p.identity_weights, is);
    }
  }
  if (const Value* v = field(o, "levels")) {
    const Path lp = base + "levels";
    if (check_object(*v, lp, is)) {
      check_setting_keys(*v, lp, {"very_high", "high", "medium"}, is);
      if (const Value* f = field(*v, "very_high")) p.level_very_high = read_unit(*f, lp + "very_high", is);
      if (const Value* f = field(*v, "high")) p.level_high = read_unit(*f, lp + "high", is);
      if (const Value* f = field(*v, "medium")) p.level_medium = read_unit(*f, lp + "medium", is);
    }
  }
  if (const Value* v = field(o, "recommendations")) {
    const Path rp = base + "recommendations";
    if (check_object(*v, rp, is)) {
      check_setting_keys(*v, rp, {"reuse", "confirm"}, is);
      if (const Value* f = field(*v, "reuse")) p.reuse = read_unit(*f, rp + "reuse", is);
      if (const Value* f = field(*v, "confirm")) p.confirm = read_unit(*f, rp + "confirm", is);
    }
  }
  if (const Value* v = field(o, "billing")) {
    const Path bp = base + "billing";
    if (check_object(*v, bp, is)) {
      check_setting_keys(*v, bp, {"enabled", "prices"}, is);
      if (const Value* f = field(*v, "enabled")) p.billing_enabled = read_bool(*f, bp + "enabled", is);
      if (const Value* pr = field(*v, "prices")) {
        const Path pp = bp + "prices";
        if (check_object(*pr, pp, is)) {
          check_setting_keys(*pr, pp, {"start_new", "start_returning", "end"}, is);
          if (const Value* f = field(*pr, "start_new"))
            p.price_start_new = read_int(*f, pp + "start_new", 0, kMaxPrice, is);
          if (const Value* f = field(*pr, "start_returning"))
            p.price_start_returning = read_int(*f, pp + "start_returning", 0, kMaxPrice, is);
          if (const Value* f = field(*pr, "end")) p.price_end = read_int(*f, pp + "end", 0, kMaxPrice, is);
        }
      }
    }
  }
  if (const Value* v = field(o, "rate_limit")) {
    const Path rp = base + "rate_limit";
    if (check_object(*v, rp, is)) {
      check_setting_keys(*v, rp, {"requests_per_minute"}, is);
      if (const Value* f = field(*v, "requests_per_minute"))
        p.rate_limit_per_minute = read_int(*f, rp + "requests_per_minute", 0, kMaxRateLimit, is);
    }
  }
}

// ---------------------------------------------------------------------------
// Writing requests (canonical) and responses.

void write_hints(Out& o, const IdentityHints& h) {
  o.begin_object();
  o.key("ani").opt_str(h.ani);
  o.key("dnis").opt_str(h.dnis);
  o.key("external_ids");
  o.begin_object();
  for (const auto& [k, v] : h.external_ids) o.key(k).str(v);
  o.end_object();
  o.key("customer_ref").opt_str(h.customer_ref);
  o.end_object();
}

void write_telco(Out& o, const Telco& t) {
  o.begin_object();
  if (!t.line_type.empty()) o.key("line_type").str(t.line_type);
  if (!t.attestation.empty()) o.key("attestation").str(t.attestation);
  if (!t.verstat.empty()) o.key("verstat").str(t.verstat);
  o.end_object();
}

// A request's time as the wire has it: omitted when not given (0).
void write_at(Out& o, Millis at) {
  if (at != 0) o.key("at").str(format_iso(at));
}

void write_intents(Out& o, const std::vector<Intent>& intents) {
  o.begin_array();
  for (const auto& i : intents) {
    o.begin_object();
    o.key("intent").str(i.intent);
    o.key("status").str(i.status);
    o.key("attempt_count").i64(i.attempt_count);
    o.key("first_seen").time(i.first_seen);
    o.key("last_seen").time(i.last_seen);
    o.end_object();
  }
  o.end_array();
}

void write_variables(Out& o, const std::map<std::string, Variable>& vars) {
  o.begin_object();
  for (const auto& [name, v] : vars) {
    o.key(name);
    o.begin_object();
    o.key("value").raw(v.value.text);
    o.key("source").str(v.source);
    o.key("ttl_seconds").i64(v.ttl_seconds);
    o.key("updated_at").time(v.updated_at);
    o.end_object();
  }
  o.end_object();
}

void write_identity(Out& o, const Identity& id) {
  o.begin_object();
  o.key("confidence").num4(id.confidence);
  o.key("level").str(id.level);
  o.key("sources");
  o.begin_array();
  for (const auto& s : id.sources) o.str(s);
  o.end_array();
  o.key("recommendation").str(id.recommendation);
  if (!id.evidence.empty()) {
    o.key("evidence");
    o.begin_array();
    for (const auto& e : id.evidence) {
      o.begin_object();
      o.key("signal").str(e.signal);
      o.key("weight").num4(e.weight);
      o.key("detail").str(e.detail);
      o.end_object();
    }
    o.end_array();
  }
  if (!id.candidates.empty()) {
    o.key("candidates");
    o.begin_array();
    for (const auto& c : id.candidates) {
      o.begin_object();
      o.key("customer_ref").str(c.customer_ref);
      o.key("confidence").num4(c.confidence);
      o.end_object();
    }
    o.end_array();
  }
  o.end_object();
}

// ---------------------------------------------------------------------------
// Reading stored responses back: every field required, any length.

class Reader {
 public:
  explicit Reader(Issues& is) : is_(is) {}

  const Value* get(const Value& obj, const Path& base, const char* name) {
    const Value* v = find(obj, name);
    if (!v) is_.add(base + name, fmt::format("{} is required", label(base + name)));
    return v;
  }
  std::string str(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (!v) return {};
    return read_text(*v, base + name, 0, kNoLimit, is_).value_or("");
  }
  std::int64_t i64(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (!v) return 0;
    return read_int(*v, base + name, std::numeric_limits<std::int64_t>::min(),
                    std::numeric_limits<std::int64_t>::max(), is_)
        .value_or(0);
  }
  double num(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (!v) return 0;
    if (!v->IsNumber()) {
      is_.add(base + name, fmt::format("{} must be a number", label(base + name)));
      return 0;
    }
    return v->GetDouble();
  }
  Millis time(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (!v) return 0;
    return read_time(*v, base + name, is_, 0).value_or(0);
  }
  const Value* array(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (v && !v->IsArray()) {
      is_.add(base + name, fmt::format("{} must be an array", label(base + name)));
      return nullptr;
    }
    return v;
  }
  const Value* object(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (v && !check_object(*v, base + name, is_)) return nullptr;
    return v;
  }
  bool is_object(const Value& v, const Path& path) { return check_object(v, path, is_); }

  std::vector<Intent> intents(const Value& obj, const Path& base, const char* name) {
    std::vector<Intent> out;
    const Value* a = array(obj, base, name);
    if (!a) return out;
    for (SizeType i = 0; i < a->Size(); ++i) {
      const Path p = base + name + std::to_string(i);
      if (!is_object((*a)[i], p)) continue;
      const Value& e = (*a)[i];
      Intent in;
      in.intent = str(e, p, "intent");
      in.status = str(e, p, "status");
      in.attempt_count = i64(e, p, "attempt_count");
      in.first_seen = time(e, p, "first_seen");
      in.last_seen = time(e, p, "last_seen");
      out.push_back(std::move(in));
    }
    return out;
  }

  std::map<std::string, Variable> variables(const Value& obj, const Path& base, const char* name) {
    std::map<std::string, Variable> out;
    const Value* o = object(obj, base, name);
    if (!o) return out;
    for (auto it = o->MemberBegin(); it != o->MemberEnd(); ++it) {
      const Path p = base + name + key_label(view(it->name));
      if (!is_object(it->value, p)) continue;
      const Value& e = it->value;
      Variable var;
      if (const Value* value = get(e, p, "value")) {
        if (auto text = compact(*value))
          var.value.text = std::move(*text);
        else
          is_.add(p + "value", fmt::format("{} must be valid UTF-8", label(p + "value")));
      }
      var.source = str(e, p, "source");
      var.ttl_seconds = i64(e, p, "ttl_seconds");
      var.updated_at = time(e, p, "updated_at");
      out[std::string(view(it->name))] = std::move(var);
    }
    return out;
  }

 private:
  Issues& is_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Requests.

StartRequest parse_start(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    StartRequest r;
    r.call_id = read_call_id(doc, is);
    r.identity_hints = read_hints(doc, true, true, true, is);
    r.telco = read_telco(doc, is);
    if (const Value* v = field(doc, "channel"))
      r.channel = read_enum(*v, {"channel"}, {"voice", "chat", "email", "sms"}, is).value_or(r.channel);
    if (const Value* v = field(doc, "direction"))
      r.direction = read_enum(*v, {"direction"}, {"inbound", "outbound"}, is).value_or(r.direction);
    r.at = read_at(doc, "at", is);
    is.throw_if_any();
    return r;
  });
}

EndRequest parse_end(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    EndRequest r;
    r.call_id = read_call_id(doc, is);
    if (const Value* v = field(doc, "customer_ref"))
      r.customer_ref = read_text(*v, {"customer_ref"}, 1, kMaxCustomerRef, is);

    // The single intent: intent + intent_status, or the legacy intent_is_open.
    const Value* intent = field(doc, "intent");
    const Value* status = field(doc, "intent_status");
    const Value* is_open = field(doc, "intent_is_open");
    std::optional<std::string> st;
    if (status) st = read_enum(*status, {"intent_status"}, {"open", "resolved", "abandoned"}, is);
    if (is_open) {
      if (auto b = read_bool(*is_open, {"intent_is_open"}, is)) {
        const std::string from_bool = *b ? "open" : "resolved";
        if (status && st && *st != from_bool)
          is.add({"intent_is_open"}, fmt::format("intent_is_open ({}) disagrees with intent_status ({})",
                                                 *b ? "true" : "false", *st));
        if (!status) st = from_bool;
      }
    }
    if (intent) {
      if (auto name = read_text(*intent, {"intent"}, 1, kMaxIntentName, is))
        r.intents.push_back(IntentUpdate{std::move(*name), st.value_or("open")});
    } else if (status || is_open) {
      is.add({"intent"},
             fmt::format("intent is required with {}", status ? "intent_status" : "intent_is_open"));
    }

    if (const Value* v = field(doc, "intents")) {
      const Path ip{"intents"};
      const std::size_t already = intent ? 1 : 0;
      if (!v->IsArray()) {
        is.add(ip, "intents must be an array");
      } else if (v->Size() + already > kMaxIntentsPerRequest) {
        is.add(ip, fmt::format("at most {} intents per request", kMaxIntentsPerRequest));
      } else {
        for (SizeType i = 0; i < v->Size(); ++i) {
          const Path p = ip + std::to_string(i);
          const Value& e = (*v)[i];
          if (!check_object(e, p, is)) continue;
          const Value* name = field(e, "intent");
          std::optional<std::string> n;
          if (!name)
            is.add(p + "intent", fmt::format("{} is required", label(p + "intent")));
          else
            n = read_text(*name, p + "intent", 1, kMaxIntentName, is);
          std::optional<std::string> s = std::string("open");
          if (const Value* sv = field(e, "status"))
            s = read_enum(*sv, p + "status", {"open", "resolved", "abandoned"}, is);
          if (n && s) r.intents.push_back(IntentUpdate{std::move(*n), std::move(*s)});
        }
      }
    }

    if (const Value* v = field(doc, "variables")) {
      const Path vp{"variables"};
      if (check_object(*v, vp, kMaxVariablesPerCustomer, is)) {
        for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
          const Path p = vp + key_label(view(it->name));
          if (!check_text(view(it->name), p, 1, kMaxVariableName, is)) continue;
          std::string name(view(it->name));
          if (it->value.IsNull()) {
            r.variables[name] = std::nullopt;
            continue;
          }
          auto value = compact(it->value);
          if (!value)
            is.add(p, fmt::format("{} must be valid UTF-8", label(p)));
          else if (value->size() > kMaxVariableValueBytes)
            is.add(p, fmt::format("{} must be at most {} bytes of JSON", label(p), kMaxVariableValueBytes));
          else
            r.variables[name] = JsonText{std::move(*value)};
        }
      }
    }

    if (const Value* v = field(doc, "variable_ttl_seconds")) {
      const Path tp{"variable_ttl_seconds"};
      if (check_object(*v, tp, kMaxVariablesPerCustomer, is)) {
        for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
          const Path p = tp + key_label(view(it->name));
          if (!check_text(view(it->name), p, 1, kMaxVariableName, is)) continue;
          if (auto ttl = read_int(it->value, p, 1, kMaxVariableTtlSeconds, is))
            r.variable_ttl_seconds[std::string(view(it->name))] = *ttl;
        }
      }
    }

    if (const Value* v = field(doc, "external_ids"))
      r.external_ids = read_external_ids(*v, {"external_ids"}, is);
    if (field(doc, "identity_hints")) r.identity_hints = read_hints(doc, false, false, true, is);
    r.telco = read_telco(doc, is);
    r.at = read_at(doc, "at", is);
    is.throw_if_any();
    return r;
  });
}

GetRequest parse_get(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    GetRequest r;
    r.who = read_selector(doc, is);
    if (const Value* v = field(doc, "history_limit"))
      r.history_limit = read_int(*v, {"history_limit"}, 1, 100, is).value_or(r.history_limit);
    if (const Value* v = field(doc, "cursor"))
      r.cursor = read_text(*v, {"cursor"}, 0, kMaxCursor, is).value_or("");
    is.throw_if_any();
    return r;
  });
}

CustomerSelector parse_selector(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    CustomerSelector s = read_selector(doc, is);
    is.throw_if_any();
    return s;
  });
}

TenantSettingsPatch parse_settings(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    TenantSettingsPatch p;
    read_settings(doc, {}, p, is);
    is.throw_if_any();
    return p;
  });
}

void parse_empty(std::string_view text) {
  guarded([&] {
    rj::Document doc;
    parse_document(text, doc, false);
  });
}

CreditGrant parse_grant(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    CreditGrant g;
    if (const Value* v = field(doc, "amount"))
      g.amount = read_int(*v, {"amount"}, 1, kMaxGrant, is).value_or(0);
    else
      is.add({"amount"}, "amount is required");
    if (const Value* v = field(doc, "idempotency_key"))
      g.idempotency_key = read_text(*v, {"idempotency_key"}, 1, kMaxIdempotencyKey, is).value_or("");
    else
      is.add({"idempotency_key"}, "idempotency_key is required");
    is.throw_if_any();
    return g;
  });
}

UsageRequest parse_usage(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, true);
    Issues is;
    UsageRequest u;
    u.from = read_at(doc, "from", is);
    u.to = read_at(doc, "to", is);
    is.throw_if_any();
    return u;
  });
}

PurgeRequest parse_purge(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, true);
    Issues is;
    PurgeRequest p;
    p.now = read_at(doc, "now", is);
    if (const Value* v = field(doc, "limit"))
      p.limit = read_int(*v, {"limit"}, 1, kMaxPurgeLimit, is).value_or(p.limit);
    is.throw_if_any();
    return p;
  });
}

FeedbackRequest parse_feedback(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    FeedbackRequest r;
    r.call_id = read_call_id(doc, is);
    if (const Value* v = field(doc, "outcome"))
      r.outcome = read_enum(*v, {"outcome"}, {"confirmed", "rejected", "corrected"}, is).value_or("");
    else
      is.add({"outcome"}, "outcome is required");
    if (const Value* v = field(doc, "customer_ref")) {
      if (r.outcome == "corrected")
        r.customer_ref = read_text(*v, {"customer_ref"}, 1, kMaxCustomerRef, is);
      else if (!r.outcome.empty())
        is.add({"customer_ref"}, "customer_ref is only allowed with outcome corrected");
    } else if (r.outcome == "corrected") {
      is.add({"customer_ref"}, "customer_ref is required with outcome corrected");
    }
    r.at = read_at(doc, "at", is);
    is.throw_if_any();
    return r;
  });
}

UnmergeRequest parse_unmerge(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, false);
    Issues is;
    UnmergeRequest r;
    if (const Value* v = field(doc, "merge_id"))
      r.merge_id = read_text(*v, {"merge_id"}, 1, kMaxMergeId, is).value_or("");
    else
      is.add({"merge_id"}, "merge_id is required");
    is.throw_if_any();
    return r;
  });
}

EngineOptions parse_open_config(std::string_view text) {
  return guarded([&] {
    rj::Document doc;
    parse_request(text, doc, true);
    Issues is;
    EngineOptions o;
    check_keys(doc, {},
               {"store", "path", "dsn", "schema", "pool_size", "busy_timeout_ms", "default_settings"},
               "an open configuration key", "they are", is);
    if (const Value* v = field(doc, "store"))
      o.store = read_enum(*v, {"store"}, {"sqlite", "postgres"}, is).value_or(o.store);
    if (const Value* v = field(doc, "path"))
      o.path = read_text(*v, {"path"}, 1, kNoLimit, is).value_or(o.path);
    if (const Value* v = field(doc, "dsn"))
      o.dsn = read_text(*v, {"dsn"}, 1, kNoLimit, is).value_or(o.dsn);
    if (const Value* v = field(doc, "schema"))
      o.schema = read_text(*v, {"schema"}, 1, 63, is).value_or(o.schema);
    if (const Value* v = field(doc, "pool_size"))
      o.pool_size = static_cast<int>(read_int(*v, {"pool_size"}, 1, 1000, is).value_or(o.pool_size));
    if (const Value* v = field(doc, "busy_timeout_ms"))
      o.busy_timeout_ms = static_cast<int>(
          read_int(*v, {"busy_timeout_ms"}, 0, kMaxBusyTimeoutMs, is).value_or(o.busy_timeout_ms));
    if (const Value* v = field(doc, "default_settings")) {
      const Path sp{"default_settings"};
      if (check_object(*v, sp, is)) {
        const std::size_t before = is.size();
        TenantSettingsPatch patch;
        read_settings(*v, sp, patch, is);
        apply(o.default_settings, patch);
        if (is.size() == before) check(o.default_settings, sp);
      }
    }
    if (o.store == "postgres" && o.dsn.empty()) is.add({"dsn"}, "dsn is required with store postgres");
    is.throw_if_any();
    return o;
  });
}

// ---------------------------------------------------------------------------
// Canonical forms: themselves valid requests, so that a typed request is
// validated by parsing its canonical form.

std::string canonical(const StartRequest& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("call_id").str(r.call_id);
    o.key("identity_hints");
    write_hints(o, r.identity_hints);
    o.key("telco");
    write_telco(o, r.telco);
    o.key("channel").str(r.channel);
    o.key("direction").str(r.direction);
    write_at(o, r.at);
    o.end_object();
    return o.take();
  });
}

std::string canonical(const EndRequest& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("call_id").str(r.call_id);
    o.key("customer_ref").opt_str(r.customer_ref);
    o.key("intents");
    o.begin_array();
    for (const auto& i : r.intents) {
      o.begin_object();
      o.key("intent").str(i.intent);
      o.key("status").str(i.status);
      o.end_object();
    }
    o.end_array();
    o.key("variables");
    o.begin_object();
    for (const auto& [k, v] : r.variables) {
      o.key(k);
      if (v)
        o.raw(v->text);
      else
        o.null();
    }
    o.end_object();
    o.key("variable_ttl_seconds");
    o.begin_object();
    for (const auto& [k, v] : r.variable_ttl_seconds) o.key(k).i64(v);
    o.end_object();
    o.key("external_ids");
    o.begin_object();
    for (const auto& [k, v] : r.external_ids) o.key(k).str(v);
    o.end_object();
    o.key("identity_hints");
    if (r.identity_hints)
      write_hints(o, *r.identity_hints);
    else
      o.null();
    o.key("telco");
    write_telco(o, r.telco);
    write_at(o, r.at);
    o.end_object();
    return o.take();
  });
}

std::string canonical(const FeedbackRequest& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("call_id").str(r.call_id);
    o.key("outcome").str(r.outcome);
    if (r.customer_ref) o.key("customer_ref").str(*r.customer_ref);
    write_at(o, r.at);
    o.end_object();
    return o.take();
  });
}

// ---------------------------------------------------------------------------
// Responses.

std::string write(const StartResponse& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("call_id").str(r.call_id);
    o.key("customer_ref").str(r.customer_ref);
    o.key("call_start").time(r.call_start);
    o.key("identity");
    write_identity(o, r.identity);
    o.key("open_intents");
    write_intents(o, r.open_intents);
    o.key("variables");
    write_variables(o, r.variables);
    o.end_object();
    return o.take();
  });
}

std::string write(const EndResponse& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("call_id").str(r.call_id);
    o.key("customer_ref").str(r.customer_ref);
    o.key("call_start").time(r.call_start);
    o.key("call_end").time(r.call_end);
    o.key("duration_seconds").i64(r.duration_seconds);
    o.key("intents_updated").i64(r.intents_updated);
    o.key("variables_updated").i64(r.variables_updated);
    o.end_object();
    return o.take();
  });
}

std::string write(const CustomerView& v) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("customer_ref").str(v.customer_ref);
    o.key("created_at").time(v.created_at);
    o.key("last_seen").time(v.last_seen);
    o.key("identities");
    o.begin_array();
    for (const auto& id : v.identities) {
      o.begin_object();
      o.key("type").str(id.type);
      if (id.type == "external_id") o.key("key").str(id.key);
      o.key("value").str(id.value);
      if (id.type == "ani" && !id.line_type.empty()) o.key("line_type").str(id.line_type);
      o.key("first_seen").time(id.first_seen);
      o.key("last_seen").time(id.last_seen);
      o.end_object();
    }
    o.end_array();
    o.key("intents");
    write_intents(o, v.intents);
    o.key("variables");
    write_variables(o, v.variables);
    o.key("calls");
    o.begin_array();
    for (const auto& c : v.calls) {
      o.begin_object();
      o.key("call_id").str(c.call_id);
      o.key("call_start").time(c.call_start);
      o.key("call_end");
      if (c.call_end == 0)
        o.null();
      else
        o.time(c.call_end);
      o.key("channel").str(c.channel);
      o.key("direction").str(c.direction);
      o.key("call_data");
      o.begin_object();
      for (const auto& [k, d] : c.call_data) o.key(k).str(d);
      o.end_object();
      o.end_object();
    }
    o.end_array();
    o.key("next_cursor");
    if (v.next_cursor.empty())
      o.null();
    else
      o.str(v.next_cursor);
    o.end_object();
    return o.take();
  });
}

std::string write(const ForgetReceipt& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("customer_ref").str(r.customer_ref);
    o.key("removed");
    o.begin_object();
    o.key("identities").i64(r.removed.identities);
    o.key("intents").i64(r.removed.intents);
    o.key("variables").i64(r.removed.variables);
    o.key("calls").i64(r.removed.calls);
    o.key("aliases").i64(r.removed.aliases);
    o.key("merges").i64(r.removed.merges);
    o.end_object();
    o.end_object();
    return o.take();
  });
}

// The weights as nested objects in the order of kWeightFields; with
// `changed_only`, only those that differ from the defaults.
void write_weights(Out& o, const IdentityWeights& w, bool changed_only) {
  const IdentityWeights defaults;
  std::vector<const char*> open;  // the groups open now
  o.begin_object();
  for (const WeightField& f : kWeightFields) {
    const double v = w.*f.value;
    if (changed_only && v == defaults.*f.value) continue;
    std::size_t n = 0;
    while (n < f.path.size() && f.path[n]) ++n;
    std::size_t common = 0;
    while (common < open.size() && common + 1 < n && std::string_view(open[common]) == f.path[common]) ++common;
    for (; open.size() > common; open.pop_back()) o.end_object();
    for (std::size_t i = open.size(); i + 1 < n; ++i) {
      o.key(f.path[i]);
      o.begin_object();
      open.push_back(f.path[i]);
    }
    o.key(f.path[n - 1]).num(v);
  }
  for (; !open.empty(); open.pop_back()) o.end_object();
  o.end_object();
}

std::string write(const TenantSettings& s) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("ttl_days").i64(s.ttl_days);
    o.key("default_region").str(s.default_region);
    o.key("identity");
    o.begin_object();
    o.key("profile").str(s.identity_profile);
    o.key("weights");
    write_weights(o, s.identity_weights, false);
    o.key("merge_duplicates").boolean(s.identity_merge_duplicates);
    o.end_object();
    o.key("levels");
    o.begin_object();
    o.key("very_high").num(s.level_very_high);
    o.key("high").num(s.level_high);
    o.key("medium").num(s.level_medium);
    o.end_object();
    o.key("recommendations");
    o.begin_object();
    o.key("reuse").num(s.reuse);
    o.key("confirm").num(s.confirm);
    o.end_object();
    o.key("billing");
    o.begin_object();
    o.key("enabled").boolean(s.billing_enabled);
    o.key("prices");
    o.begin_object();
    o.key("start_new").i64(s.prices.start_new);
    o.key("start_returning").i64(s.prices.start_returning);
    o.key("end").i64(s.prices.end);
    o.end_object();
    o.end_object();
    o.key("rate_limit");
    o.begin_object();
    o.key("requests_per_minute").i64(s.rate_limit_per_minute);
    o.end_object();
    o.end_object();
    return o.take();
  });
}

std::string write_balance(std::int64_t balance) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("balance").i64(balance);
    o.end_object();
    return o.take();
  });
}

std::string write(const UsageReport& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("balance").i64(r.balance);
    o.key("days");
    o.begin_array();
    for (const auto& d : r.days) {
      o.begin_object();
      o.key("day").str(d.day);
      o.key("operation").str(d.operation);
      o.key("count").i64(d.count);
      o.key("credits").i64(d.credits);
      o.end_object();
    }
    o.end_array();
    o.end_object();
    return o.take();
  });
}

std::string write(const PurgeResult& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("deleted");
    o.begin_object();
    o.key("identities").i64(r.deleted.identities);
    o.key("intents").i64(r.deleted.intents);
    o.key("variables").i64(r.deleted.variables);
    o.key("calls").i64(r.deleted.calls);
    o.key("customers").i64(r.deleted.customers);
    o.key("aliases").i64(r.deleted.aliases);
    o.key("merges").i64(r.deleted.merges);
    o.end_object();
    o.key("more").boolean(r.more);
    o.end_object();
    return o.take();
  });
}

std::string write(const FeedbackResponse& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("call_id").str(r.call_id);
    o.key("outcome").str(r.outcome);
    o.key("previous_customer_ref").str(r.previous_customer_ref);
    o.key("customer_ref").str(r.customer_ref);
    o.key("customer_created").boolean(r.customer_created);
    o.key("links_added").i64(r.links_added);
    o.key("links_removed").i64(r.links_removed);
    o.key("intents_moved").i64(r.intents_moved);
    o.key("variables_moved").i64(r.variables_moved);
    o.key("merge");
    if (r.merge) {
      const MergeSummary& m = *r.merge;
      o.begin_object();
      o.key("merge_id").str(m.merge_id);
      o.key("alias").str(m.alias);
      o.key("alias_of").str(m.alias_of);
      o.key("moved");
      o.begin_object();
      o.key("identities").i64(m.identities);
      o.key("intents").i64(m.intents);
      o.key("variables").i64(m.variables);
      o.key("calls").i64(m.calls);
      o.end_object();
      o.key("conflicts").i64(m.conflicts);
      o.end_object();
    } else {
      o.null();
    }
    o.key("at").time(r.at);
    o.end_object();
    return o.take();
  });
}

std::string write(const UnmergeResponse& r) {
  return guarded([&] {
    Out o;
    o.begin_object();
    o.key("merge_id").str(r.merge_id);
    o.key("customer_ref").str(r.customer_ref);
    o.key("restored_customer_ref").str(r.restored_customer_ref);
    o.key("restored");
    o.begin_object();
    o.key("identities").i64(r.identities);
    o.key("intents").i64(r.intents);
    o.key("variables").i64(r.variables);
    o.key("calls").i64(r.calls);
    o.end_object();
    o.key("unmerged_at").time(r.unmerged_at);
    o.end_object();
    return o.take();
  });
}

std::string write_error(const Error& e) {
  return guarded([&] {
    Out o;
    o.begin_object();
    const char* reason = http_reason(e.status());
    o.key("error").str(reason ? reason : "Internal Server Error");
    o.key("message").str(sanitize(e.what()));
    if (!e.issues().empty()) {
      o.key("details");
      o.begin_object();
      o.key("issues");
      o.begin_array();
      for (const auto& issue : e.issues()) {
        o.begin_object();
        o.key("path");
        o.begin_array();
        for (const auto& p : issue.path) o.str(sanitize(p));
        o.end_array();
        o.key("message").str(sanitize(issue.message));
        o.end_object();
      }
      o.end_array();
      o.end_object();
    }
    o.end_object();
    return o.take();
  });
}

// ---------------------------------------------------------------------------
// Stored responses back to values.

StartResponse read_start_response(std::string_view text) {
  return stored([&] {
    rj::Document doc;
    parse_document(text, doc, false, kNoLimit);
    Issues is;
    Reader rd(is);
    StartResponse r;
    r.call_id = rd.str(doc, {}, "call_id");
    r.customer_ref = rd.str(doc, {}, "customer_ref");
    r.call_start = rd.time(doc, {}, "call_start");
    if (const Value* id = rd.object(doc, {}, "identity")) {
      const Path ip{"identity"};
      r.identity.confidence = rd.num(*id, ip, "confidence");
      r.identity.level = rd.str(*id, ip, "level");
      if (const Value* a = rd.array(*id, ip, "sources")) {
        for (SizeType i = 0; i < a->Size(); ++i) {
          if (auto s = read_text((*a)[i], ip + "sources" + std::to_string(i), 0, kNoLimit, is))
            r.identity.sources.push_back(std::move(*s));
        }
      }
      r.identity.recommendation = rd.str(*id, ip, "recommendation");
      if (find(*id, "evidence")) {
        if (const Value* a = rd.array(*id, ip, "evidence")) {
          for (SizeType i = 0; i < a->Size(); ++i) {
            const Path p = ip + "evidence" + std::to_string(i);
            if (!rd.is_object((*a)[i], p)) continue;
            Evidence e;
            e.signal = rd.str((*a)[i], p, "signal");
            e.weight = rd.num((*a)[i], p, "weight");
            e.detail = rd.str((*a)[i], p, "detail");
            r.identity.evidence.push_back(std::move(e));
          }
        }
      }
      if (find(*id, "candidates")) {
        if (const Value* a = rd.array(*id, ip, "candidates")) {
          for (SizeType i = 0; i < a->Size(); ++i) {
            const Path p = ip + "candidates" + std::to_string(i);
            if (!rd.is_object((*a)[i], p)) continue;
            Candidate c;
            c.customer_ref = rd.str((*a)[i], p, "customer_ref");
            c.confidence = rd.num((*a)[i], p, "confidence");
            r.identity.candidates.push_back(std::move(c));
          }
        }
      }
    }
    r.open_intents = rd.intents(doc, {}, "open_intents");
    r.variables = rd.variables(doc, {}, "variables");
    is.throw_if_any();
    return r;
  });
}

EndResponse read_end_response(std::string_view text) {
  return stored([&] {
    rj::Document doc;
    parse_document(text, doc, false, kNoLimit);
    Issues is;
    Reader rd(is);
    EndResponse r;
    r.call_id = rd.str(doc, {}, "call_id");
    r.customer_ref = rd.str(doc, {}, "customer_ref");
    r.call_start = rd.time(doc, {}, "call_start");
    r.call_end = rd.time(doc, {}, "call_end");
    r.duration_seconds = rd.i64(doc, {}, "duration_seconds");
    r.intents_updated = rd.i64(doc, {}, "intents_updated");
    r.variables_updated = rd.i64(doc, {}, "variables_updated");
    is.throw_if_any();
    return r;
  });
}

FeedbackResponse read_feedback_response(std::string_view text) {
  return stored([&] {
    rj::Document doc;
    parse_document(text, doc, false, kNoLimit);
    Issues is;
    Reader rd(is);
    FeedbackResponse r;
    r.call_id = rd.str(doc, {}, "call_id");
    r.outcome = rd.str(doc, {}, "outcome");
    r.previous_customer_ref = rd.str(doc, {}, "previous_customer_ref");
    r.customer_ref = rd.str(doc, {}, "customer_ref");
    if (const Value* v = rd.get(doc, {}, "customer_created"))
      r.customer_created = read_bool(*v, {"customer_created"}, is).value_or(false);
    r.links_added = rd.i64(doc, {}, "links_added");
    r.links_removed = rd.i64(doc, {}, "links_removed");
    r.intents_moved = rd.i64(doc, {}, "intents_moved");
    r.variables_moved = rd.i64(doc, {}, "variables_moved");
    if (const Value* m = rd.get(doc, {}, "merge"); m && !m->IsNull()) {
      const Path mp{"merge"};
      if (rd.is_object(*m, mp)) {
        MergeSummary s;
        s.merge_id = rd.str(*m, mp, "merge_id");
        s.alias = rd.str(*m, mp, "alias");
        s.alias_of = rd.str(*m, mp, "alias_of");
        if (const Value* mv = rd.object(*m, mp, "moved")) {
          const Path p = mp + "moved";
          s.identities = rd.i64(*mv, p, "identities");
          s.intents = rd.i64(*mv, p, "intents");
          s.variables = rd.i64(*mv, p, "variables");
          s.calls = rd.i64(*mv, p, "calls");
        }
        s.conflicts = rd.i64(*m, mp, "conflicts");
        r.merge = std::move(s);
      }
    }
    r.at = rd.time(doc, {}, "at");
    is.throw_if_any();
    return r;
  });
}

UnmergeResponse read_unmerge_response(std::string_view text) {
  return stored([&] {
    rj::Document doc;
    parse_document(text, doc, false, kNoLimit);
    Issues is;
    Reader rd(is);
    UnmergeResponse r;
    r.merge_id = rd.str(doc, {}, "merge_id");
    r.customer_ref = rd.str(doc, {}, "customer_ref");
    r.restored_customer_ref = rd.str(doc, {}, "restored_customer_ref");
    if (const Value* v = rd.object(doc, {}, "restored")) {
      const Path p{"restored"};
      r.identities = rd.i64(*v, p, "identities");
      r.intents = rd.i64(*v, p, "intents");
      r.variables = rd.i64(*v, p, "variables");
      r.calls = rd.i64(*v, p, "calls");
    }
    r.unmerged_at = rd.time(doc, {}, "unmerged_at");
    is.throw_if_any();
    return r;
  });
}

std::string write_identity_weights(const IdentityWeights& w) {
  return guarded([&] {
    Out o;
    write_weights(o, w, true);
    return o.take();
  });
}

IdentityWeights read_identity_weights(std::string_view text) {
  if (text == "{}") return IdentityWeights{};  // the defaults: nothing to parse
  return stored([&] {
    rj::Document doc;
    parse_document(text, doc, true, kNoLimit);
    Issues is;
    TenantSettingsPatch p;
    read_weights(doc, {}, {}, p.identity_weights, is);
    is.throw_if_any();
    TenantSettings s;
    apply(s, p);
    check(s);
    return s.identity_weights;
  });
}

std::string write_string_map(const std::map<std::string, std::string>& m) {
  return guarded([&] {
    Out o;
    o.begin_object();
    for (const auto& [k, v] : m) o.key(k).str(v);
    o.end_object();
    return o.take();
  });
}

std::map<std::string, std::string> read_string_map(std::string_view text) {
  return stored([&] {
    rj::Document doc;
    parse_document(text, doc, true, kNoLimit);
    Issues is;
    std::map<std::string, std::string> out;
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      const Path p{key_label(view(it->name))};
      if (!valid_utf8(view(it->name))) {
        is.add(p, "key must be valid UTF-8");
        continue;
      }
      if (!it->value.IsString()) {
        is.add(p, fmt::format("{} must be a string", label(p)));
        continue;
      }
      if (!valid_utf8(view(it->value))) {
        is.add(p, fmt::format("{} must be valid UTF-8", label(p)));
        continue;
      }
      out[std::string(view(it->name))] = std::string(view(it->value));
    }
    is.throw_if_any();
    return out;
  });
}

}  // namespace callmem::json
