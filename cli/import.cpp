// callmem import: a file of past calls (NDJSON, or CSV turned into the same
// NDJSON) imported through the library's bulk import (docs/import.md), with
// progress on a terminal and a summary at the end.
#include "json/import.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "commands.hpp"
#include "csv_calls.hpp"
#include "engine.hpp"
#include "output.hpp"

namespace callmem::cli {
namespace {

struct ImportCliOptions {
  StoreOptions store;
  std::string tenant;
  std::string file;
  std::string format;  // "ndjson" or "csv"; empty: from the file's extension
  bool strict = false;
  std::size_t batch = 100000;
  int cache_mb = 1024;
  bool json = false;
};

// Rejections listed for a person (on stdout) or on stderr beside --json; --json lists them all.
constexpr std::size_t kRejectionsShown = 50;

std::string read_input(const std::string& file) {
  if (file == "-") {
    if (isatty(STDIN_FILENO) == 1)
      throw Failure{exit_usage,
                    "import: - reads the calls from stdin, which is a terminal: give a FILE or a pipe"};
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Failure{exit_usage, "import: cannot read " + file};
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

std::string format_of(const ImportCliOptions& o) {
  if (!o.format.empty()) return o.format;
  const std::string& f = o.file;
  const auto ends = [&f](const char* ext) {
    const std::string e = ext;
    if (f.size() < e.size()) return false;
    std::string tail = f.substr(f.size() - e.size());
    std::transform(tail.begin(), tail.end(), tail.begin(), [](unsigned char c) { return std::tolower(c); });
    return tail == e;
  };
  return ends(".csv") ? "csv" : "ndjson";
}

// A rejection's fields, by their CSV column when a column fills them.
std::string fields_of(const Error& e, const std::map<std::string, std::string>& columns) {
  std::string out;
  for (const FieldIssue& i : e.issues()) {
    std::string path;
    for (const std::string& p : i.path) path += (path.empty() ? "" : ".") + p;
    if (const auto c = columns.find(path); c != columns.end()) path = c->second + " (" + path + ")";
    if (!path.empty()) out += (out.empty() ? "" : ", ") + path;
  }
  return out.empty() ? "-" : out;
}

std::string problem_of(const Error& e) {
  std::string out;
  for (const FieldIssue& i : e.issues()) out += (out.empty() ? "" : "; ") + i.message;
  return out.empty() ? e.what() : out;
}

// Rows done, calls/s and the time left, over the same line of the terminal.
class Progress {
 public:
  void operator()(std::size_t done, std::size_t total) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    std::string eta = "-";
    if (rate > 0)
      eta = std::to_string(static_cast<long long>(static_cast<double>(total - done) / rate + 0.5)) + " s";
    std::fprintf(stderr, "\rimport: %zu of %zu calls, %.0f calls/s, %s left   ", done, total, rate,
                 eta.c_str());
    std::fflush(stderr);
  }

 private:
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
};

// --strict and rows of a CSV that do not read: nothing is applied, as the
// library does for a line that does not read; the first such line stops it.
ImportSummary stopped_before_applying(const CsvCalls& csv) {
  const std::vector<calls::ImportLine> lines = json::parse_import(csv.ndjson);
  ImportRejection first = csv.rejected.front();
  for (const calls::ImportLine& l : lines) {
    if (l.refused && l.line < first.line) {
      first = {l.line, l.call_id, *l.refused};
      break;
    }
  }
  ImportSummary s;
  s.stopped_at = first.line;
  s.not_applied = static_cast<std::int64_t>(lines.size() + csv.rejected.size()) - 1;
  s.rejected.push_back(std::move(first));
  return s;
}

void print_summary(const ImportSummary& s, const std::string& file,
                   const std::map<std::string, std::string>& columns) {
  const std::string from = file == "-" ? "stdin" : file;
  if (s.imported == 0 && s.rejected.empty() && s.not_applied == 0) {
    if (s.skipped > 0)
      std::printf("Nothing changed: all %lld calls of %s are already there\n",
                  static_cast<long long>(s.skipped), from.c_str());
    else
      std::printf("Nothing to import: %s has no calls\n", from.c_str());
    return;
  }
  std::printf("Imported %lld call%s from %s; %lld skipped (already there); %zu rejected\n",
              static_cast<long long>(s.imported), s.imported == 1 ? "" : "s", from.c_str(),
              static_cast<long long>(s.skipped), s.rejected.size());
  if (s.stopped_at != 0)
    std::printf("Stopped at line %zu (--strict): %lld call%s not applied\n", s.stopped_at,
                static_cast<long long>(s.not_applied), s.not_applied == 1 ? "" : "s");
  if (s.rejected.empty()) return;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < s.rejected.size() && i < kRejectionsShown; ++i) {
    const ImportRejection& r = s.rejected[i];
    rows.push_back({std::to_string(r.line), r.call_id.empty() ? "-" : r.call_id, fields_of(r.error, columns),
                    problem_of(r.error)});
  }
  std::printf("\n%s", table({"LINE", "CALL_ID", "FIELD", "PROBLEM"}, rows).c_str());
  if (s.rejected.size() > kRejectionsShown)
    std::printf("... and %zu more (--json lists them all)\n", s.rejected.size() - kRejectionsShown);
}

void import_file(const ImportCliOptions& o) {
  const std::string text = read_input(o.file);
  const bool csv = format_of(o) == "csv";
  CsvCalls calls;
  if (csv) calls = read_csv_calls(text);
  StoreOptions store = o.store;
  store.cache_mb = o.cache_mb;
  const std::unique_ptr<Engine> engine = open_engine(store);
  ImportOptions options;
  options.strict = o.strict;
  options.batch = o.batch;
  const bool progress = stderr_is_terminal();
  if (progress) std::fprintf(stderr, "import: reading %s\n", o.file == "-" ? "stdin" : o.file.c_str());
  ImportSummary s;
  if (o.strict && !calls.rejected.empty()) {
    s = stopped_before_applying(calls);
  } else {
    Progress shown;
    s = engine->import_calls_ndjson(o.tenant, csv ? calls.ndjson : text, options,
                                    progress ? ImportProgress(std::ref(shown)) : ImportProgress());
    if (progress) std::fputc('\n', stderr);
    for (ImportRejection& r : calls.rejected) s.rejected.push_back(std::move(r));
    std::stable_sort(s.rejected.begin(), s.rejected.end(),
                     [](const ImportRejection& a, const ImportRejection& b) { return a.line < b.line; });
  }
  if (json_output(o.json)) {
    std::printf("%s\n", json::write(s).c_str());
    // Beside the JSON, the first reasons for whoever reads stderr.
    for (std::size_t i = 0; i < s.rejected.size() && i < kRejectionsShown; ++i) {
      const ImportRejection& r = s.rejected[i];
      const std::string call = r.call_id.empty() ? "" : " (call " + r.call_id + ")";
      std::fprintf(stderr, "callmem: import: line %zu%s: %s\n", r.line, call.c_str(),
                   describe(r.error).c_str());
    }
  } else {
    print_summary(s, o.file, calls.columns);
  }
  if (!s.rejected.empty())
    throw Failure{exit_rejected,
                  "import: " + std::to_string(s.rejected.size()) + " line" +
                      (s.rejected.size() == 1 ? "" : "s") + " rejected" +
                      (s.stopped_at ? ", stopped at line " + std::to_string(s.stopped_at) : "")};
}

}  // namespace

void add_import(CLI::App& app) {
  auto o = std::make_shared<ImportCliOptions>();
  CLI::App* c = app.add_subcommand(
      "import", "Import past calls (NDJSON or CSV), so that callers are recognised from day one");
  add_store_options(*c, o->store);
  add_tenant_option(*c, o->tenant);
  c->add_option("FILE", o->file, "The calls: a file, or - for stdin")->required()->type_name("FILE|-");
  c->add_option("--format", o->format, "ndjson or csv (default: csv for a FILE ending in .csv, else ndjson)")
      ->check(CLI::IsMember({"ndjson", "csv"}));
  c->add_flag("--strict", o->strict, "Stop at the first line refused (what was applied before it stays)");
  c->add_option("--batch", o->batch, "Calls per write transaction")
      ->type_name("N")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  c->add_option("--cache-mb", o->cache_mb,
                "SQLite: each connection's page cache in MiB, taken as the file needs it (the import runs "
                "fastest when the database fits)")
      ->type_name("MIB")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  add_json_flag(*c, o->json,
                "Print the library's summary as JSON (the default when stdout is not a terminal)");
  c->footer(
      "NDJSON: one past call a line, {\"start\": {...start request, with \"at\"...}, \"end\": {...with "
      "\"at\"...}}.\n"
      "CSV: a header, then one call a row:\n"
      "  call_id,ani,dnis,at,ended_at,intent,intent_status,external_ids.crm_id,variables.name\n"
      "Calls are applied in time order through the same identity resolution as live calls, not billed.\n"
      "A call already there is skipped: importing the same file again changes nothing, and an\n"
      "interrupted import run again goes on where it stopped. A line that is refused is reported with\n"
      "its line number and field; the rest goes on (exit 10), unless --strict. Progress goes to stderr\n"
      "when it is a terminal. docs/import.md tells more.\n\n"
      "Example:\n"
      "  callmem import --db calls.db --tenant acme history.csv\n"
      "  zcat history.ndjson.gz | callmem import --db calls.db --tenant acme --json -");
  c->callback(with_exit_status([o] { import_file(*o); }));
}

}  // namespace callmem::cli
