// callmem_multiprocess_bench: several processes writing one SQLite file at a
// fixed total rate of calls, as a pre-forking softswitch's workers do; the
// time each call start and end takes, with SQLite's defaults (its busy
// handler, checkpoints in the writer) and with the store's (busy_handler, a
// Checkpointer thread), in alternating rounds of one run. See bench/README.md.
//
//   callmem_multiprocess_bench [--processes 8] [--rate 300] [--seconds 10]
//                              [--rounds 2] [--customers 2000] [--dir DIR] [--quick]
//
// The parent creates the file and its returning callers, closes it, then for
// each round and handler forks the processes, each of which opens the file
// (after the fork, as docs/threading.md asks) and, from one agreed instant,
// makes calls at Poisson times (rate / processes each): a start (70 %
// returning callers, 30 % new ones) then the call's end, each timed alone.
// Each process writes its times to a file the parent reads after it exits.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "callmem/error.hpp"
#include "engine.hpp"
#include "store/sqlite/connection.hpp"

namespace {

using Clock = std::chrono::steady_clock;

const std::string kTenant = "acme";

struct Options {
  int processes = 8;
  double rate = 300;  // calls per second, all processes together
  double seconds = 10;
  int rounds = 2;
  int customers = 2000;
  std::filesystem::path dir;
};

// One operation's time in microseconds; negative: it failed with Status::busy.
using Sample = std::int32_t;

struct Times {
  std::vector<Sample> start, end;
};

std::string returning_ani(int i) { return fmt::format("+1415{:07d}", 2000000 + i); }

callmem::EngineOptions engine_options(const Options& o) {
  callmem::EngineOptions e;
  e.path = (o.dir / "calls.db").string();
  return e;
}

Sample timed(callmem::Engine& engine, bool start, const std::string& request) {
  const auto t0 = Clock::now();
  try {
    if (start)
      engine.start_call_json(kTenant, request);
    else
      engine.end_call_json(kTenant, request);
  } catch (const callmem::Error& e) {
    if (e.status() != callmem::Status::busy) throw;
    return -static_cast<Sample>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
  }
  return static_cast<Sample>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

// A worker: opens the file, waits for `go`, makes its calls until `stop`,
// writes its times to `out`. Runs in a forked child.
void worker(const Options& o, int index, int round, bool sqlite_own, Clock::time_point go,
            const std::filesystem::path& out) {
  callmem::sqlite::use_sqlite_defaults(sqlite_own);
  callmem::Engine engine(engine_options(o));
  // Untimed: a read that parses a number and prepares the reads, as a
  // worker's first calls would before the measured ones.
  engine.get_customer_json(kTenant,
                           fmt::format(R"({{"identity_hints":{{"ani":"{}"}}}})", returning_ani(index)));
  std::mt19937_64 rng(static_cast<std::uint64_t>(round * 1000 + index * 2 + (sqlite_own ? 1 : 0)));
  std::exponential_distribution<double> gap(o.rate / o.processes);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> known(0, o.customers - 1);
  Times t;
  auto at = go;
  const auto stop =
      go + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  for (int n = 0;; ++n) {
    at += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(rng)));
    if (at >= stop) break;
    std::this_thread::sleep_until(at);
    const std::string call_id = fmt::format("r{}-{}-p{}-{}", round, sqlite_own ? "s" : "c", index, n);
    const std::string ani =
        unit(rng) < 0.7 ? returning_ani(known(rng))
                        : fmt::format("+1628{:07d}", 1000000 + round * 200000 + (sqlite_own ? 100000 : 0) +
                                                         index * 10000 + n);
    t.start.push_back(timed(engine, true,
                            fmt::format(R"({{"call_id":"{}","identity_hints":{{"ani":"{}"}},)"
                                        R"("telco":{{"line_type":"mobile"}}}})",
                                        call_id, ani)));
    t.end.push_back(timed(engine, false,
                          fmt::format(R"({{"call_id":"{}","intent":"order_status","intent_status":"open",)"
                                      R"("variables":{{"order_id":"A{}"}}}})",
                                      call_id, n)));
  }
  std::ofstream f(out, std::ios::binary);
  const auto put = [&](const std::vector<Sample>& v) {
    const auto size = static_cast<std::uint32_t>(v.size());
    f.write(reinterpret_cast<const char*>(&size), sizeof size);
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(Sample)));
  };
  put(t.start);
  put(t.end);
}

void read_times(const std::filesystem::path& path, Times& into) {
  std::ifstream f(path, std::ios::binary);
  for (std::vector<Sample>* v : {&into.start, &into.end}) {
    std::uint32_t size = 0;
    f.read(reinterpret_cast<char*>(&size), sizeof size);
    const std::size_t old = v->size();
    v->resize(old + size);
    f.read(reinterpret_cast<char*>(v->data() + old), static_cast<std::streamsize>(size * sizeof(Sample)));
  }
  if (!f) throw std::runtime_error("cannot read " + path.string());
}

// One round of one handler: the processes forked, run, reaped.
void run_round(const Options& o, int round, bool sqlite_own, Times& into) {
  const auto go = Clock::now() + std::chrono::milliseconds(300 + 20 * o.processes);
  std::vector<pid_t> children;
  for (int i = 0; i < o.processes; ++i) {
    const auto out = o.dir / fmt::format("times-{}-{}-{}", round, sqlite_own, i);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int status = 0;
      try {
        worker(o, i, round, sqlite_own, go, out);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker %d: %s\n", i, e.what());
        status = 1;
      }
      std::fflush(nullptr);
      _exit(status);
    }
    children.push_back(pid);
  }
  bool failed = false;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    failed = failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  if (failed) throw std::runtime_error("a worker failed");
  for (int i = 0; i < o.processes; ++i)
    read_times(o.dir / fmt::format("times-{}-{}-{}", round, sqlite_own, i), into);
}

void print_line(const char* handler, const char* op, std::vector<Sample> v) {
  const auto busy = std::count_if(v.begin(), v.end(), [](Sample s) { return s < 0; });
  for (Sample& s : v) s = s < 0 ? -s : s;
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    return v.empty()
               ? 0.0
               : v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))] /
                     1000.0;
  };
  const auto over = [&](int ms) {
    return std::count_if(v.begin(), v.end(), [&](Sample s) { return s > ms * 1000; });
  };
  fmt::print("{:<22} {:<6} {:>6} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>6} {:>6} {:>5}\n", handler,
             op, v.size(), at(0.5), at(0.9), at(0.99), at(0.999), v.empty() ? 0.0 : v.back() / 1000.0,
             over(2), over(20), busy);
}

int usage() {
  std::fprintf(stderr,
               "usage: callmem_multiprocess_bench [--processes N] [--rate CALLS_PER_S] [--seconds S] "
               "[--rounds N] [--customers N] [--dir DIR] [--quick]\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool value = i + 1 < argc;
    if (a == "--processes" && value)
      o.processes = std::stoi(argv[++i]);
    else if (a == "--rate" && value)
      o.rate = std::stod(argv[++i]);
    else if (a == "--seconds" && value)
      o.seconds = std::stod(argv[++i]);
    else if (a == "--rounds" && value)
      o.rounds = std::stoi(argv[++i]);
    else if (a == "--customers" && value)
      o.customers = std::stoi(argv[++i]);
    else if (a == "--dir" && value)
      o.dir = argv[++i];
    else if (a == "--quick")
      o.rate = 100, o.seconds = 1, o.rounds = 1, o.customers = 200;
    else
      return usage();
  }
  if (o.processes < 1 || o.rate <= 0 || o.seconds <= 0 || o.rounds < 1 || o.customers < 1) return usage();
  const bool own_dir = o.dir.empty();
  if (own_dir)
    o.dir = std::filesystem::temp_directory_path() / fmt::format("callmem-multiprocess-{}", getpid());
  std::filesystem::create_directories(o.dir);
  try {
    {
      // The returning callers, written before any fork; closed before the first.
      callmem::Engine engine(engine_options(o));
      for (int c = 0; c < o.customers; ++c) {
        const std::string id = fmt::format("seed-{}", c);
        engine.start_call_json(kTenant, fmt::format(R"({{"call_id":"{}","identity_hints":{{"ani":"{}"}}}})",
                                                    id, returning_ani(c)));
        engine.end_call_json(kTenant, fmt::format(R"({{"call_id":"{}","intent":"billing"}})", id));
      }
    }
    Times sqlite_own, store_own;
    for (int r = 0; r < o.rounds; ++r) {
      // Alternating which goes first, so that neither always meets a fresher file.
      for (bool s : {r % 2 == 0, r % 2 != 0}) run_round(o, r, s, s ? sqlite_own : store_own);
    }
    fmt::print("{} processes on one SQLite file, {} calls/s in all, {} rounds of {} s per handler\n",
               o.processes, o.rate, o.rounds, o.seconds);
    fmt::print("{:<22} {:<6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>5}\n", "waits, checkpoints",
               "op", "ops", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", ">2ms", ">20ms", "busy");
    print_line("SQLite's defaults", "start", sqlite_own.start);
    print_line("SQLite's defaults", "end", sqlite_own.end);
    print_line("callmem's", "start", store_own.start);
    print_line("callmem's", "end", store_own.end);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "callmem_multiprocess_bench: %s\n", e.what());
    if (own_dir) std::filesystem::remove_all(o.dir);
    return 1;
  }
  if (own_dir) std::filesystem::remove_all(o.dir);
  return 0;
}
