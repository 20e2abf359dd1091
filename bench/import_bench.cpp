// callmem_import_bench: a bulk import of call history through the C ABI's
// callmem_import beside a loop of single callmem_call_start and
// callmem_call_end on the same generated calls, and the time of a whole
// import (1 million calls by default) into a fresh SQLite file. See
// bench/README.md.
#include <callmem/callmem.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "time.hpp"

namespace {

using callmem::Millis;
using Clock = std::chrono::steady_clock;

struct Call {
  std::string start, end;  // the requests, each with its "at"
};

// `n` calls of `callers` callers over the last 20 days, in time order: a
// mobile or landline ANI, 40 % of callers with a crm_id; 90 % of calls end
// (30 s to 20 min later) with an intent and two variables.
std::vector<Call> generate(std::size_t n, std::size_t callers, Millis now) {
  std::mt19937_64 rng(42);
  const char* intents[] = {"refund_request", "address_change", "billing_question", "cancel", "upgrade"};
  const char* statuses[] = {"open", "resolved", "open", "abandoned"};
  std::vector<Call> calls(n);
  const Millis first = now - 20 * callmem::kDay;
  const Millis step = 20 * callmem::kDay / static_cast<Millis>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = rng() % callers;
    const Millis at = first + static_cast<Millis>(i) * step;
    std::string hints = fmt::format(R"("ani": "+1{}")", 2012000000 + 7 * c);
    if (c % 5 < 2) hints += fmt::format(R"(, "external_ids": {{"crm_id": "CRM{:08d}"}})", c);
    calls[i].start = fmt::format(
        R"({{"call_id": "imp-{:07d}", "identity_hints": {{{}}}, "telco": {{"line_type": "{}"}}, "at": "{}"}})",
        i, hints, c % 3 ? "mobile" : "landline", callmem::format_iso(at));
    if (rng() % 10)
      calls[i].end = fmt::format(
          R"({{"call_id": "imp-{:07d}", "intent": "{}", "intent_status": "{}", "variables": {{"name": "Caller {}", )"
          R"("order_id": "{}"}}, "at": "{}"}})",
          i, intents[rng() % 5], statuses[rng() % 4], c, rng() % 100000,
          callmem::format_iso(at + (30 + rng() % 1170) * 1000));
  }
  return calls;
}

int cache_mb = 1024;  // --cache-mb: each connection's page cache, the same for both sides

callmem_db* open(const std::string& path) {
  callmem_db* db = nullptr;
  if (callmem_open(&db, fmt::format(R"({{"path": "{}", "cache_mb": {}}})", path, cache_mb).c_str()) !=
      CALLMEM_OK) {
    std::fprintf(stderr, "callmem_open: %s\n", callmem_last_error());
    std::exit(1);
  }
  return db;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// This process's CPU time (user and system): on a shared machine the wall
// time also counts the other processes' turns.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Took {
  double wall, cpu;
};

// Imports calls [0, n) in one callmem_import; the seconds it took.
Took import(const std::string& path, const std::vector<Call>& calls, std::size_t n, std::size_t batch) {
  std::string ndjson;
  for (std::size_t i = 0; i < n; ++i)
    ndjson +=
        "{\"start\": " + calls[i].start + (calls[i].end.empty() ? "" : ", \"end\": " + calls[i].end) + "}\n";
  callmem_db* db = open(path);
  char* out = nullptr;
  const auto t = Clock::now();
  const double c = cpu_seconds();
  const int rc =
      callmem_import(db, "acme", ndjson.c_str(), fmt::format(R"({{"batch": {}}})", batch).c_str(), &out);
  const Took s{seconds_since(t), cpu_seconds() - c};
  if (rc != CALLMEM_OK || !std::strstr(out, "\"rejected\":[]")) {
    std::fprintf(stderr, "callmem_import: %d %s\n", rc, out ? out : callmem_last_error());
    std::exit(1);
  }
  callmem_free(out);
  callmem_close(db);
  return s;
}

// Calls [0, n) as live starts and ends in the order they happened; the seconds.
Took loop(const std::string& path, const std::vector<Call>& calls, std::size_t n) {
  struct Op {
    std::string at;
    std::size_t i;
    bool end;
  };
  std::vector<Op> ops;
  for (std::size_t i = 0; i < n; ++i) {
    ops.push_back({calls[i].start.substr(calls[i].start.rfind("\"at\"")), i, false});
    if (!calls[i].end.empty()) ops.push_back({calls[i].end.substr(calls[i].end.rfind("\"at\"")), i, true});
  }
  std::stable_sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) { return a.at < b.at; });
  callmem_db* db = open(path);
  const auto t = Clock::now();
  const double c = cpu_seconds();
  for (const Op& op : ops) {
    char* out = nullptr;
    const int rc = op.end ? callmem_call_end(db, "acme", calls[op.i].end.c_str(), &out)
                          : callmem_call_start(db, "acme", calls[op.i].start.c_str(), &out);
    if (rc != CALLMEM_OK) {
      std::fprintf(stderr, "loop: %d %s\n", rc, out ? out : callmem_last_error());
      std::exit(1);
    }
    callmem_free(out);
  }
  const Took s{seconds_since(t), cpu_seconds() - c};
  callmem_close(db);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t total = 1000000, sample = 20000, batch = 100000;
  bool keep = false;  // --keep: leave the files, and say where
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--calls" && i + 1 < argc)
      total = std::stoul(argv[++i]);
    else if (a == "--sample" && i + 1 < argc)
      sample = std::stoul(argv[++i]);
    else if (a == "--batch" && i + 1 < argc)
      batch = std::stoul(argv[++i]);
    else if (a == "--cache-mb" && i + 1 < argc)
      cache_mb = std::stoi(argv[++i]);
    else if (a == "--keep")
      keep = true;
    else if (a == "--quick")
      total = 5000, sample = 1000;
    else {
      std::fprintf(stderr,
                   "usage: callmem_import_bench [--calls N] [--sample N] [--batch N] [--cache-mb MIB] "
                   "[--keep] [--quick]\n");
      return 1;
    }
  }
  sample = std::min(sample, total);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("callmem-import-{}", getpid());
  std::filesystem::create_directories(dir);
  const Millis now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const std::vector<Call> calls = generate(total, total * 3 / 10 + 1, now);

  const Took l = loop((dir / "loop.db").string(), calls, sample);
  const Took i = import((dir / "sample.db").string(), calls, sample, batch);
  fmt::print("{} calls, the same in both:\n", sample);
  fmt::print(
      "  loop of callmem_call_start+end  {:7.2f} s wall ({:6.0f} calls/s)  {:7.2f} s CPU ({:6.0f} calls/s)\n",
      l.wall, sample / l.wall, l.cpu, sample / l.cpu);
  fmt::print(
      "  callmem_import, batch {:<6}    {:7.2f} s wall ({:6.0f} calls/s)  {:7.2f} s CPU ({:6.0f} calls/s)\n",
      batch, i.wall, sample / i.wall, i.cpu, sample / i.cpu);
  fmt::print("  import / loop throughput: {:.1f} times (wall), {:.1f} times (CPU)\n", l.wall / i.wall,
             l.cpu / i.cpu);
  const Took all = import((dir / "all.db").string(), calls, total, batch);
  fmt::print("{} calls imported: {:.1f} s wall ({:.0f} calls/s), {:.1f} s CPU; file {:.0f} MB\n", total,
             all.wall, total / all.wall, all.cpu, std::filesystem::file_size(dir / "all.db") / 1e6);
  if (keep)
    fmt::print("files kept in {}\n", dir.string());
  else
    std::filesystem::remove_all(dir);
  return 0;
}
