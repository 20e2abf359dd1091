// JSON for the command line, read with RapidJSON: it reads the library's answers to
// show them to a person, and tells whether a KEY=VALUE's VALUE is JSON. The
// library parses every request itself; with --json the program prints the
// library's bytes, never a re-encoding.
#ifndef CALLMEM_CLI_JSON_VIEW_HPP
#define CALLMEM_CLI_JSON_VIEW_HPP

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callmem::cli {

struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  std::string text;              // a string decoded; a number as written; "true" or "false"
  std::vector<JsonValue> items;  // an array's
  std::vector<std::pair<std::string, JsonValue>> members;  // an object's, in order

  bool scalar() const { return kind != Kind::array && kind != Kind::object; }
  // The member at a dotted path ("identity.level"); nullptr when absent.
  const JsonValue* find(std::string_view path) const;
  // The member's text, or `otherwise` when absent or not a scalar.
  std::string get(std::string_view path, std::string otherwise = "") const;
};

// One complete JSON value (surrounding whitespace allowed); nullopt otherwise.
std::optional<JsonValue> parse_json(std::string_view text);

// Compact JSON of a value (strings escaped, numbers as written).
std::string to_json(const JsonValue& v);

}  // namespace callmem::cli

#endif
