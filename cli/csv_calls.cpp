// A CSV of past calls turned into the import's NDJSON (csv_calls.hpp): the
// header's columns mapped to the fields of a start and an end, each row
// written as one line at its own line number.
#include "csv_calls.hpp"

#include <csv.h>

#include <charconv>
#include <memory>

#include "callmem/detail/wire.hpp"

namespace callmem::cli {
namespace {

// How a cell is written: most fields are strings; a cell that does not read
// as its field's type is written as a string, which the library refuses
// naming the field.
enum class Kind { string, integer, boolean };

// A field of the start or the end: a column's cell (a leaf), or an object of fields.
struct Field {
  std::string key;
  int column = -1;  // a leaf's
  Kind kind = Kind::string;
  std::string named_by;  // the column that made it, for a clash
  std::vector<Field> fields;
};

struct Column {
  std::vector<std::string> path;  // from "start" or "end"
  Kind kind = Kind::string;
};

Error header_error(const std::string& message) {
  return Error(Status::invalid, "line 1: " + message + " (docs/import.md lists the columns)");
}

std::vector<std::string> split(const std::string& dotted) {
  std::vector<std::string> parts;
  for (std::size_t from = 0;;) {
    const std::size_t dot = dotted.find('.', from);
    parts.push_back(dotted.substr(from, dot == std::string::npos ? std::string::npos : dot - from));
    if (dot == std::string::npos) return parts;
    from = dot + 1;
  }
}

std::vector<std::string> under(std::vector<std::string> prefix, const std::vector<std::string>& rest) {
  prefix.insert(prefix.end(), rest.begin(), rest.end());
  return prefix;
}

// The documented header's columns, and start.PATH / end.PATH for any other
// field of a start or an end request. call_id is both the start's and the end's.
std::vector<Column> columns_of(const std::string& name) {
  static const std::map<std::string, std::vector<std::string>> named = {
      {"ani", {"start", "identity_hints", "ani"}},
      {"dnis", {"start", "identity_hints", "dnis"}},
      {"customer_ref", {"start", "identity_hints", "customer_ref"}},
      {"line_type", {"start", "telco", "line_type"}},
      {"attestation", {"start", "telco", "attestation"}},
      {"verstat", {"start", "telco", "verstat"}},
      {"channel", {"start", "channel"}},
      {"direction", {"start", "direction"}},
      {"at", {"start", "at"}},
      {"ended_at", {"end", "at"}},
      {"intent", {"end", "intent"}},
      {"intent_status", {"end", "intent_status"}},
  };
  static const std::map<std::string, std::vector<std::string>> prefixes = {
      {"external_ids", {"start", "identity_hints", "external_ids"}},
      {"telco", {"start", "telco"}},
      {"variables", {"end", "variables"}},
      {"variable_ttl_seconds", {"end", "variable_ttl_seconds"}},
      {"start", {"start"}},
      {"end", {"end"}},
  };
  if (name == "call_id") return {{{"start", "call_id"}}, {{"end", "call_id"}}};
  if (const auto n = named.find(name); n != named.end()) return {{n->second}};
  const std::vector<std::string> parts = split(name);
  const auto p = prefixes.find(parts[0]);
  if (p == prefixes.end() || parts.size() < 2) throw header_error("unknown column \"" + name + "\"");
  for (const std::string& part : parts)
    if (part.empty()) throw header_error("column \"" + name + "\" has an empty name between its dots");
  Column c{under(p->second, {parts.begin() + 1, parts.end()})};
  if (c.path.size() == 3 && c.path[0] == "end" && c.path[1] == "variable_ttl_seconds") c.kind = Kind::integer;
  if (c.path == std::vector<std::string>{"end", "intent_is_open"}) c.kind = Kind::boolean;
  return {c};
}

void add(Field& root, const Column& c, int column, const std::string& name) {
  Field* at = &root;
  for (std::size_t i = 1; i < c.path.size(); ++i) {
    Field* next = nullptr;
    for (Field& f : at->fields)
      if (f.key == c.path[i]) next = &f;
    const bool leaf = i + 1 == c.path.size();
    if (next && (leaf || next->column >= 0))
      throw header_error("column \"" + name + "\" fills the same field as column \"" + next->named_by + "\"");
    if (!next) {
      at->fields.push_back(Field{c.path[i], leaf ? column : -1, c.kind, name, {}});
      next = &at->fields.back();
    }
    at = next;
  }
}

bool filled(const Field& f, const std::vector<std::string>& row) {
  if (f.column >= 0) return !row[static_cast<std::size_t>(f.column)].empty();
  for (const Field& g : f.fields)
    if (filled(g, row)) return true;
  return false;
}

void write_cell(detail::Writer& w, const std::string& cell, Kind kind) {
  if (kind == Kind::integer) {
    std::int64_t v = 0;
    const auto r = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (r.ec == std::errc() && r.ptr == cell.data() + cell.size()) {
      w.i64(v);
      return;
    }
  } else if (kind == Kind::boolean && (cell == "true" || cell == "false")) {
    w.boolean(cell == "true");
    return;
  }
  w.str(cell);
}

// The filled fields of an object: an empty cell is a field left out.
void write_fields(detail::Writer& w, const Field& object, const std::vector<std::string>& row) {
  for (const Field& f : object.fields) {
    if (!filled(f, row)) continue;
    w.key(f.key);
    if (f.column >= 0) {
      write_cell(w, row[static_cast<std::size_t>(f.column)], f.kind);
    } else {
      w.begin_object();
      write_fields(w, f, row);
      w.end_object();
    }
  }
}

// libcsv's callbacks gather a row's fields; a row becomes a line of NDJSON.
struct Reader {
  CsvCalls out;
  std::size_t line = 0;      // being fed
  std::size_t row_line = 0;  // where the row being read began
  bool in_row = false;
  std::vector<std::string> row;
  bool header_read = false;
  std::size_t width = 0;
  int call_id = -1;
  Field start{"start", -1, Kind::string, "", {}}, end{"end", -1, Kind::string, "", {}};
  std::size_t written = 0;  // lines of NDJSON so far
  std::string error;        // a header that cannot be read stops the reading

  void header() {
    width = row.size();
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string name = row[i];
      while (!name.empty() && name.back() == ' ') name.pop_back();
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      if (name.empty()) throw header_error("column " + std::to_string(i + 1) + " has no name");
      if (name == "call_id") call_id = static_cast<int>(i);
      for (const Column& c : columns_of(name)) {
        add(c.path[0] == "start" ? start : end, c, static_cast<int>(i), name);
        std::string path;
        for (const std::string& p : c.path) path += (path.empty() ? "" : ".") + p;
        out.columns.emplace(path, name);
      }
    }
    if (call_id < 0) throw header_error("no call_id column");
  }

  void call() {
    if (row.size() != width) {
      out.rejected.push_back(
          {row_line, call_id < static_cast<int>(row.size()) ? row[static_cast<std::size_t>(call_id)] : "",
           invalid_field({}, "the row has " + std::to_string(row.size()) + " field" +
                                 (row.size() == 1 ? "" : "s") + ", the header " + std::to_string(width))});
      return;
    }
    // A row with no field but the call_id is still a start, which the
    // library refuses naming what it lacks.
    const bool end_fields = filled_but_call_id(end, row);
    const bool start_fields = filled_but_call_id(start, row) || !end_fields;
    out.ndjson.append(row_line - 1 - written, '\n');
    detail::Writer w;
    w.begin_object();
    if (start_fields) {
      w.key("start").begin_object();
      write_fields(w, start, row);
      w.end_object();
    }
    if (end_fields) {
      w.key("end").begin_object();
      write_fields(w, end, row);
      w.end_object();
    }
    out.ndjson += w.end_object().take();
    out.ndjson += '\n';
    written = row_line;
  }

  bool filled_but_call_id(const Field& object, const std::vector<std::string>& cells) const {
    for (const Field& f : object.fields)
      if (f.column != call_id && filled(f, cells)) return true;
    return false;
  }

  void end_of_row() {
    in_row = false;
    if (!error.empty()) return;
    try {
      if (header_read) {
        call();
      } else {
        header_read = true;
        header();
      }
    } catch (const Error& e) {
      error = e.what();
    }
    row.clear();
  }
};

void on_field(void* text, std::size_t size, void* data) {
  static_cast<Reader*>(data)->row.emplace_back(static_cast<const char*>(text), size);
}

void on_row(int, void* data) { static_cast<Reader*>(data)->end_of_row(); }

// RFC 4180: spaces belong to the field.
int no_space(unsigned char) { return 0; }

}  // namespace

CsvCalls read_csv_calls(std::string_view csv) {
  if (csv.substr(0, 3) == "\xEF\xBB\xBF") csv.remove_prefix(3);
  csv_parser p{};
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::bad_alloc();
  const std::unique_ptr<csv_parser, void (*)(csv_parser*)> freed(&p, csv_free);
  csv_set_space_func(&p, no_space);
  Reader r;
  // Line by line, so that each row knows the line it began on.
  for (std::size_t from = 0; from < csv.size() && r.error.empty();) {
    const std::size_t nl = csv.find('\n', from);
    const std::size_t past = nl == std::string_view::npos ? csv.size() : nl + 1;
    const std::string_view line = csv.substr(from, past - from);
    ++r.line;
    if (!r.in_row && line != "\n" && line != "\r\n" && line != "\r") {
      r.in_row = true;
      r.row_line = r.line;
    }
    if (csv_parse(&p, line.data(), line.size(), on_field, on_row, &r) != line.size())
      throw Error(Status::invalid,
                  "line " + std::to_string(r.line) +
                      ": not CSV: a quote inside a field that is not quoted, or text after a "
                      "closing quote (a quote in a field is written \"\")");
    from = past;
  }
  if (r.error.empty() && csv_fini(&p, on_field, on_row, &r) != 0)
    throw Error(Status::invalid, "line " + std::to_string(r.row_line) + ": a quoted field is not closed");
  if (!r.error.empty()) throw Error(Status::invalid, r.error);
  if (!r.header_read) throw header_error("no header: the file is empty");
  return std::move(r.out);
}

}  // namespace callmem::cli
