// The JSON of a bulk import (docs/import.md): NDJSON lines of past calls in,
// the summary out, and the options.
#ifndef CALLMEM_JSON_IMPORT_HPP
#define CALLMEM_JSON_IMPORT_HPP

#include <string>
#include <string_view>
#include <vector>

#include "calls/import.hpp"
#include "engine.hpp"

namespace callmem::json {

// A line is at most this long: a start and an end of kMaxRequestBytes each.
inline constexpr std::size_t kMaxImportLineBytes = 2 * (1 << 20) + 64;

// One ImportLine per line that is not blank (lines are counted from 1, blank
// ones too; a "\r" before the "\n" is dropped). A line that does not read
// ({"start": {...start request...}, "end": {...end request...}}, each
// validated as parse_start and parse_end do, paths under "start" and "end")
// comes back refused, naming the field; an end without call_id takes the
// start's.
std::vector<calls::ImportLine> parse_import(std::string_view ndjson);

// {"strict": bool, "batch": 1 to 1000000}; empty text is {}. Another key is invalid.
ImportOptions parse_import_options(std::string_view text);

// {"imported": N, "skipped": N, "rejected": [{"line": N, "call_id": "...",
// "error": <write_error's document>}], "stopped_at": N, "not_applied": N}
// (stopped_at and not_applied only when strict stopped).
std::string write(const ImportSummary& s);

}  // namespace callmem::json

#endif
