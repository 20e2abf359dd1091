// How every entry point of the codec runs, written once: decode() parses a
// text, reads its fields while collecting issues and throws them together;
// encode() writes an object into a buffer and answers its text. What a
// failure inside one means (the caller's bad request, a store's bad data, a
// bug) is decided here.
#ifndef CALLMEM_JSON_RUN_HPP
#define CALLMEM_JSON_RUN_HPP

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "json/read.hpp"
#include "json/write.hpp"

namespace callmem::json {

// What a text is.
struct Input {
  // A store's text (its stored answers, settings, call data): any size, keys
  // not checked for repeats, and a document that does not read back is a
  // store failure (500), not the caller's bad request. Else a caller's: at
  // most kMaxRequestBytes, no key given twice.
  bool stored;
  bool empty_is_object;  // empty text reads as {}
};
inline constexpr Input kRequest{false, false};
inline constexpr Input kRequestOrEmpty{false, true};
inline constexpr Input kStored{true, false};
inline constexpr Input kStoredOrEmpty{true, true};

// Runs a codec operation: a RapidJSON assertion (a bug) becomes Status::error.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::logic_error& e) {
    throw Error(Status::error, fmt::format("JSON codec error: {}", e.what()));
  }
}

// Reads `text` as a T: parses it as `in` says, has `fields(doc, issues, out)`
// read the document into a T, and throws every issue found together.
template <class T, class F>
T decode(std::string_view text, Input in, F&& fields) {
  const auto read = [&] {
    rj::Document doc;
    if (in.stored)
      parse_document(text, doc, in.empty_is_object, kNoLimit);
    else
      parse_request(text, doc, in.empty_is_object);
    Issues is;
    T out{};
    fields(static_cast<const Value&>(doc), is, out);
    is.throw_if_any();
    return out;
  };
  if (!in.stored) return guarded(read);
  try {
    return guarded(read);
  } catch (const Error& e) {
    if (e.status() != Status::invalid) throw;
    throw Error(Status::store, fmt::format("stored data does not read back: {}", e.what()), e.issues());
  }
}

// The text of the JSON object whose members `members(out)` writes (every
// answer, canonical form and stored text is one).
template <class F>
std::string encode(F&& members) {
  return guarded([&] {
    Out o;
    o.begin_object();
    members(o);
    o.end_object();
    return o.take();
  });
}

}  // namespace callmem::json

#endif
