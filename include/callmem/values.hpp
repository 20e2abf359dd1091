// The values every concept uses: times (Millis) and any JSON value (JsonText).
//
// Times are milliseconds since the Unix epoch, UTC. A request's time that may
// be left out is a std::optional<Millis> (not given: the operation's clock).
#ifndef CALLMEM_PUBLIC_VALUES_HPP
#define CALLMEM_PUBLIC_VALUES_HPP

#include <cstdint>
#include <string>

namespace callmem {

using Millis = std::int64_t;

// A JSON value kept as its compact serialisation (variable values are any JSON).
struct JsonText {
  std::string text;
  bool operator==(const JsonText& o) const { return text == o.text; }
};

}  // namespace callmem

#endif
