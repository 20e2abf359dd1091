// A CSV of past calls (docs/import.md) read as the import's NDJSON: one
// {"start": {...}, "end": {...}} line per row, at the row's own line number.
#ifndef CALLMEM_CLI_CSV_CALLS_HPP
#define CALLMEM_CLI_CSV_CALLS_HPP

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine.hpp"

namespace callmem::cli {

struct CsvCalls {
  // Line n of the NDJSON is the row that begins on line n of the CSV; the
  // header's line, blank lines and the further lines of a row with quoted
  // line breaks are blank lines (which the import skips but counts), so the
  // import's line numbers are the file's.
  std::string ndjson;
  // Rows that do not read as a call (another number of fields than the
  // header's), by line; nothing of them is in the NDJSON.
  std::vector<ImportRejection> rejected;
  // Each JSON path the columns fill ("start.identity_hints.ani"), and the column's name ("ani").
  std::map<std::string, std::string> columns;
};

// RFC 4180 (libcsv, strict): fields separated by commas, quoted with "..."
// when they hold commas, quotes ("") or line breaks; LF or CRLF; a UTF-8 BOM
// is dropped; spaces are kept. The first row is the header (docs/import.md
// lists its columns). Throws invalid_field, naming the line and the column,
// for a header that cannot be read (an unknown, repeated or clashing column,
// no call_id) or quoting that is not CSV: nothing of such a file is imported.
CsvCalls read_csv_calls(std::string_view csv);

}  // namespace callmem::cli

#endif
