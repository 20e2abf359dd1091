// The C ABI's JSON reader (include/callmem/json.h), over RapidJSON.
//
// Numbers are parsed as text (kParseNumbersAsStringsFlag) and converted here
// with std::from_chars: exact, locale-free, and clear of RapidJSON 1.1.0's
// full-precision path, which misreads inputs such as 0e206.
#include "callmem/json.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "json/rapidjson.hpp"
#include "last_error.hpp"

struct callmem_json {
  callmem::json::rj::Document doc;
};

namespace {

using callmem::json::rj::Document;
using callmem::json::rj::Value;
using rapidjson::SizeType;

const Value* value(const callmem_json_value* v) { return reinterpret_cast<const Value*>(v); }
const callmem_json_value* handle(const Value* v) { return reinterpret_cast<const callmem_json_value*>(v); }

// Builds the document from the reader's events, turning each number's text
// into an int64, a uint64 or the nearest double.
struct ExactNumbers {
  Document& doc;
  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned i) { return doc.Uint(i); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t i) { return doc.Uint64(i); }
  bool Double(double d) { return doc.Double(d); }
  bool String(const char* s, SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool Key(const char* s, SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool StartObject() { return doc.StartObject(); }
  bool EndObject(SizeType n) { return doc.EndObject(n); }
  bool StartArray() { return doc.StartArray(); }
  bool EndArray(SizeType n) { return doc.EndArray(n); }
  bool RawNumber(const char* s, SizeType n, bool) {
    const char* end = s + n;
    if (std::memchr(s, '.', n) == nullptr && std::memchr(s, 'e', n) == nullptr &&
        std::memchr(s, 'E', n) == nullptr) {
      int64_t i = 0;
      if (auto r = std::from_chars(s, end, i); r.ec == std::errc() && r.ptr == end) return doc.Int64(i);
      uint64_t u = 0;
      if (auto r = std::from_chars(s, end, u); r.ec == std::errc() && r.ptr == end) return doc.Uint64(u);
    }
    double d = 0;
    const auto r = std::from_chars(s, end, d);
    // Out of range: JSON has no infinity, and a number callmem could not
    // write back is not one it reads.
    if (r.ec != std::errc() || r.ptr != end) return false;
    return doc.Double(d);
  }
};

// Runs f, turning an exception into CALLMEM_ERROR and the thread's last error.
template <class F>
int guarded(F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    callmem::capi::set_out_of_memory();
    return CALLMEM_ERROR;
  } catch (...) {
    callmem::capi::set_last_error("internal error");
    return CALLMEM_ERROR;
  }
}

}  // namespace

extern "C" {

int callmem_json_parse(callmem_json** out, const char* text) {
  callmem::capi::clear_last_error();
  if (!out) {
    callmem::capi::set_last_error("out must not be NULL");
    return CALLMEM_EINVALID;
  }
  *out = nullptr;
  if (!text) {
    callmem::capi::set_last_error("text must not be NULL");
    return CALLMEM_EINVALID;
  }
  return guarded([&] {
    std::unique_ptr<callmem_json> j(new callmem_json);  // freed when parsing throws
    rapidjson::ParseResult result;
    auto generate = [&](Document& d) {
      ExactNumbers handler{d};
      callmem::json::rj::Reader reader;
      rapidjson::StringStream stream(text);
      result = reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag |
                            rapidjson::kParseStopWhenDoneFlag>(stream, handler);
      if (result && stream.Peek() != '\0') {
        // Skip trailing white space; anything else after the value is an error.
        while (stream.Peek() == ' ' || stream.Peek() == '\t' || stream.Peek() == '\n' ||
               stream.Peek() == '\r')
          stream.Take();
        if (stream.Peek() != '\0') result.Set(rapidjson::kParseErrorDocumentRootNotSingular, stream.Tell());
      }
      return !result.IsError();
    };
    j->doc.Populate(generate);
    if (result.IsError()) {
      const bool number = result.Code() == rapidjson::kParseErrorTermination;
      callmem::capi::set_last_error(
          std::string("not JSON at offset ") + std::to_string(result.Offset()) + ": " +
          (number ? "a number out of range" : rapidjson::GetParseError_En(result.Code())));
      return CALLMEM_EINVALID;
    }
    *out = j.release();
    return CALLMEM_OK;
  });
}

void callmem_json_free(callmem_json* doc) { delete doc; }

const callmem_json_value* callmem_json_root(const callmem_json* doc) {
  return doc ? handle(&doc->doc) : nullptr;
}

int callmem_json_type(const callmem_json_value* v) {
  if (!v) return CALLMEM_JSON_ABSENT;
  switch (value(v)->GetType()) {
    case rapidjson::kNullType:
      return CALLMEM_JSON_NULL;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return CALLMEM_JSON_BOOL;
    case rapidjson::kNumberType:
      return CALLMEM_JSON_NUMBER;
    case rapidjson::kStringType:
      return CALLMEM_JSON_STRING;
    case rapidjson::kArrayType:
      return CALLMEM_JSON_ARRAY;
    case rapidjson::kObjectType:
      return CALLMEM_JSON_OBJECT;
  }
  return CALLMEM_JSON_ABSENT;
}

const callmem_json_value* callmem_json_get(const callmem_json_value* v, const char* key) {
  if (!v || !key || !value(v)->IsObject()) return nullptr;
  const Value& o = *value(v);
  const auto n = static_cast<SizeType>(std::strlen(key));
  for (auto m = o.MemberBegin(); m != o.MemberEnd(); ++m)
    if (m->name.GetStringLength() == n && std::memcmp(m->name.GetString(), key, n) == 0)
      return handle(&m->value);
  return nullptr;
}

const callmem_json_value* callmem_json_find(const callmem_json_value* v, const char* path) {
  if (!v || !path) return nullptr;
  std::string step;
  for (const char* p = path; v && *p;) {
    const char* dot = std::strchr(p, '.');
    const std::size_t n = dot ? static_cast<std::size_t>(dot - p) : std::strlen(p);
    if (value(v)->IsArray()) {
      std::size_t i = 0;
      const auto r = std::from_chars(p, p + n, i);
      if (n == 0 || r.ec != std::errc() || r.ptr != p + n) return nullptr;
      v = callmem_json_at(v, i);
    } else {
      try {
        step.assign(p, n);
      } catch (...) {
        return nullptr;
      }
      v = callmem_json_get(v, step.c_str());
    }
    p += n;
    if (*p == '.') ++p;
  }
  return v;
}

size_t callmem_json_size(const callmem_json_value* v) {
  if (!v) return 0;
  if (value(v)->IsArray()) return value(v)->Size();
  if (value(v)->IsObject()) return value(v)->MemberCount();
  return 0;
}

const callmem_json_value* callmem_json_at(const callmem_json_value* v, size_t i) {
  if (i >= callmem_json_size(v)) return nullptr;
  if (value(v)->IsArray()) return handle(&(*value(v))[static_cast<SizeType>(i)]);
  return handle(&(value(v)->MemberBegin() + static_cast<std::ptrdiff_t>(i))->value);
}

const char* callmem_json_key_at(const callmem_json_value* v, size_t i) {
  if (!v || !value(v)->IsObject() || i >= value(v)->MemberCount()) return nullptr;
  return (value(v)->MemberBegin() + static_cast<std::ptrdiff_t>(i))->name.GetString();
}

const char* callmem_json_string(const callmem_json_value* v, size_t* length) {
  if (!v || !value(v)->IsString()) {
    if (length) *length = 0;
    return nullptr;
  }
  if (length) *length = value(v)->GetStringLength();
  return value(v)->GetString();
}

double callmem_json_double(const callmem_json_value* v) {
  return v && value(v)->IsNumber() ? value(v)->GetDouble() : 0;
}

int callmem_json_is_int64(const callmem_json_value* v) { return v && value(v)->IsInt64() ? 1 : 0; }

int64_t callmem_json_int64(const callmem_json_value* v) {
  return callmem_json_is_int64(v) ? value(v)->GetInt64() : 0;
}

int callmem_json_bool(const callmem_json_value* v) { return v && value(v)->IsTrue() ? 1 : 0; }

int callmem_json_write(const callmem_json_value* v, char** out) {
  callmem::capi::clear_last_error();
  if (out) *out = nullptr;
  if (!out || !v) {
    callmem::capi::set_last_error(out ? "value must not be NULL" : "out must not be NULL");
    return CALLMEM_EINVALID;
  }
  return guarded([&] {
    callmem::json::rj::StringBuffer buffer;
    callmem::json::rj::Writer writer(buffer);
    value(v)->Accept(writer);
    char* p = static_cast<char*>(std::malloc(buffer.GetSize() + 1));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, buffer.GetString(), buffer.GetSize() + 1);
    *out = p;
    return CALLMEM_OK;
  });
}

}  // extern "C"
