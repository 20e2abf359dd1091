// Text into a RapidJSON document: the size limit, malformed JSON, numbers
// read as the double nearest to them, and keys given twice.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "json/read.hpp"
#include "json/write.hpp"
// After json/rapidjson.hpp (through json/read.hpp), so that its configuration applies.
#include <rapidjson/encodedstream.h>

namespace callmem::json {
namespace {

// Numbers reach the document as text and are converted by DocumentBuilder
// (below), not by RapidJSON.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;

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

// `text` (no NUL in it) into `doc`, any JSON value; why it is not one, or null.
std::optional<std::string> parse_value(std::string_view text, rj::Document& doc) {
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
  if (!result.IsError()) return std::nullopt;
  const char* what = result.Code() == rapidjson::kParseErrorTermination && builder.number_error()
                         ? builder.number_error()
                         : rapidjson::GetParseError_En(result.Code());
  return fmt::format("malformed JSON at offset {}: {}", result.Offset(), what);
}

}  // namespace

void parse_document(std::string_view text, rj::Document& doc, bool empty_is_object, std::size_t max_bytes) {
  if (text.size() > max_bytes) fail({}, fmt::format("request is larger than {} bytes", max_bytes));
  if (text.empty() && empty_is_object) {
    doc.SetObject();
    return;
  }
  // A raw NUL is never valid JSON, but RapidJSON's streams would take it for the end.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    fail({}, fmt::format("malformed JSON at offset {}: NUL byte", nul));
  if (auto error = parse_value(text, doc)) fail({}, std::move(*error));
  if (!doc.IsObject()) fail({}, "request must be a JSON object");
}

std::optional<std::string> compact_value(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  rj::Document doc;
  if (parse_value(text, doc)) return std::nullopt;
  Issues is;
  if (doc.IsObject() || doc.IsArray()) check_unique_keys(doc, is);
  if (!is.empty()) return std::nullopt;
  return compact(doc);
}

void parse_request(std::string_view text, rj::Document& doc, bool empty_is_object) {
  parse_document(text, doc, empty_is_object);
  Issues is;
  check_unique_keys(doc, is);
  is.throw_if_any();
}

}  // namespace callmem::json
