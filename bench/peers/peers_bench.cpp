// callmem_peers_bench: callmem beside the designs users would pick instead,
// in one run on the same customers: the minimal hand-written SQLite start
// and "Redis keyed by ANI". See bench/README.md ("callmem_peers_bench").
//
//   callmem_peers_bench [--customers 1000000] [--ops 20000] [--block 1000]
//                       [--warmup-rounds 2] [--rate R] [--redis HOST:PORT]
//                       [--sides LIST] [--dir DIR] [--keep] [--reuse] [--quick]
//
// Each round gives each side a block of returning-caller starts, the ends of
// those calls and a fifth as many new-caller starts, the side that goes first
// rotating. Each operation is timed alone (steady_clock); paced (--rate), an
// operation is due at a fixed interval and timed from when it was due. The
// SQLite sides' pages are counted by a VFS shim (page_count.hpp). Run under
// valgrind --tool=callgrind, the sides' start() and end() functions carry
// the instructions per operation (bench/peers/run does the arithmetic).
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "callmem_side.hpp"
#include "minimal_sqlite.hpp"
#include "page_count.hpp"
#include "population.hpp"
#include "redis_ani.hpp"
#include "stats.hpp"
#include "uuid.hpp"

namespace {

using bench::Millis;
using peers::EndOp;
using peers::Side;
using peers::StartOp;

enum Kind { kStartReturning, kEnd, kStartNew, kKinds };
const std::array<const char*, kKinds> kKindName = {"start (returning)", "end", "start (new)"};

struct Config {
  std::vector<std::int64_t> sizes = {1000000};
  std::size_t ops = 20000;
  std::size_t block = 1000;
  int warmup_rounds = 2;
  double rate = 0;  // operations per second per side; 0: back to back
  std::string redis;
  std::vector<std::string> sides = {"callmem", "minimal", "redis"};
  std::string dir;
  bool keep = false;
  bool reuse = false;
};

// The requests of every side, built before the timer starts.
class Requests {
 public:
  Requests(std::int64_t customers, std::uint64_t seed) : n_(customers), rng_(seed) {}

  StartOp returning() {
    StartOp op;
    op.customer = static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(n_));
    op.ani = bench::ani_of(op.customer);
    if (bench::has_crm(op.customer)) op.crm = bench::crm_of(op.customer);
    return finish(std::move(op));
  }

  StartOp fresh() {
    StartOp op;
    op.ani = fmt::format("+4477{:08d}", next_new_++);
    op.new_ref = callmem::uuid_v4();
    return finish(std::move(op));
  }

  EndOp end_of(const std::string& call_id) {
    EndOp op;
    op.call_id = call_id;
    op.intent = bench::kIntents[rng_() % bench::kIntents.size()];
    op.order = bench::json_str(fmt::format("ORD-{:07d}", rng_() % 10000000));
    op.name = bench::json_str(fmt::format("Caller {}", rng_() % 1000000));
    op.json = fmt::format(R"({{"call_id":"{}","intent":"{}","intent_status":"open",)"
                          R"("variables":{{"name":{},"last_order":{}}}}})",
                          call_id, op.intent, op.name, op.order);
    return op;
  }

 private:
  StartOp finish(StartOp op) {
    op.call_id = "call-" + callmem::uuid_v4();
    const std::string ext = op.crm.empty() ? "" : fmt::format(R"(,"external_ids":{{"crm_id":"{}"}})", op.crm);
    op.json =
        fmt::format(R"({{"call_id":"{}","identity_hints":{{"ani":"{}","dnis":"+18005550100"{}}},)"
                    R"("telco":{{"line_type":"mobile","attestation":"A","verstat":"TN-Validation-Passed"}},)"
                    R"("channel":"voice","direction":"inbound"}})",
                    op.call_id, op.ani, ext);
    return op;
  }

  std::int64_t n_;
  std::mt19937_64 rng_;
  std::int64_t next_new_ = 0;
};

// What one side measured, per kind of operation.
struct Measured {
  std::array<std::vector<double>, kKinds> us;
  std::array<long, kKinds> wal_pages{};
  std::array<long, kKinds> syncs{};         // the operation's own (a checkpoint in the call)
  std::array<long, kKinds> db_pages{};      // pages of a checkpoint run by the operation itself
  std::array<std::size_t, kKinds> calls{};  // warm-up included (for the instruction counts)
  page_count::Snapshot before, after;       // the measured period, for the checkpoints' pages
  std::optional<double> log_before, log_after;
};

// The operations, each its own function so that callgrind's inclusive
// count of it is the instructions of that kind of operation (one side per
// run under callgrind: bench/peers/run). noipa: the compiler must not fold
// the two starts into one function.
__attribute__((noipa)) std::size_t op_start_returning(Side& side, const StartOp& op) {
  if (op.customer < 0) throw std::logic_error("a returning start without a customer");
  return side.start(op);
}
__attribute__((noipa)) std::size_t op_end(Side& side, const EndOp& op) { return side.end(op); }
__attribute__((noipa)) std::size_t op_start_new(Side& side, const StartOp& op) {
  if (op.customer >= 0) throw std::logic_error("a new caller's start with a customer");
  return side.start(op);
}

class Runner {
 public:
  Runner(const Config& cfg, Requests& req) : cfg_(cfg), req_(req) {}

  void block(Side& side, Measured& m, std::size_t n, std::size_t n_new, bool keep) {
    std::vector<StartOp> starts;
    starts.reserve(n);
    for (std::size_t i = 0; i < n; ++i) starts.push_back(req_.returning());
    std::vector<EndOp> ends;
    ends.reserve(n);
    for (const StartOp& op : starts) ends.push_back(req_.end_of(op.call_id));
    std::vector<StartOp> fresh;
    fresh.reserve(n_new);
    for (std::size_t i = 0; i < n_new; ++i) fresh.push_back(req_.fresh());

    pace_from(std::chrono::steady_clock::now());
    for (const StartOp& op : starts)
      timed(side, m, kStartReturning, keep, [&] { return op_start_returning(side, op); });
    for (const EndOp& op : ends) timed(side, m, kEnd, keep, [&] { return op_end(side, op); });
    for (const StartOp& op : fresh) timed(side, m, kStartNew, keep, [&] { return op_start_new(side, op); });
  }

  std::size_t sink() const { return sink_; }

 private:
  using Clock = std::chrono::steady_clock;

  void pace_from(Clock::time_point t) { due_ = t; }

  // Paced: wait until the operation is due (sleep, then spin the last
  // stretch, so that a late wake-up does not count against the side).
  Clock::time_point wait_due() {
    if (cfg_.rate <= 0) return Clock::now();
    const auto due = due_;
    due_ += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / cfg_.rate));
    const auto spin_from = due - std::chrono::microseconds(200);
    if (Clock::now() < spin_from) std::this_thread::sleep_until(spin_from);
    while (Clock::now() < due) {
    }
    return due;
  }

  template <class F>
  void timed(Side& side, Measured& m, Kind kind, bool keep, F&& f) {
    const auto slot = side.page_slot();
    const page_count::Snapshot p0 = slot ? page_count::snapshot_mine(*slot) : page_count::Snapshot{};
    const auto t0 = wait_due();
    sink_ += f();
    const auto t1 = Clock::now();
    ++m.calls[kind];
    if (!keep) return;
    m.us[kind].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    if (slot) {
      const page_count::Snapshot p1 = page_count::snapshot_mine(*slot);
      m.wal_pages[kind] += p1.wal_pages - p0.wal_pages;
      m.syncs[kind] += p1.syncs - p0.syncs;
      m.db_pages[kind] += p1.db_pages - p0.db_pages;
    }
  }

  const Config& cfg_;
  Requests& req_;
  Clock::time_point due_;
  std::size_t sink_ = 0;
};

bool wants(const Config& cfg, const std::string& side) {
  for (const std::string& s : cfg.sides)
    if (s == side) return true;
  return false;
}

double max_rss_mb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void run_size(const Config& cfg, std::int64_t n) {
  const Millis now = bench::now_ms();
  const bench::Population pop{now - 29 * callmem::kDay, 28 * callmem::kDay};
  std::vector<std::unique_ptr<Side>> sides;
  const auto t_pop = std::chrono::steady_clock::now();
  fmt::print("[{} customers] populating ...\n", n);
  std::fflush(stdout);
  if (wants(cfg, "callmem"))
    sides.push_back(std::make_unique<peers::CallmemSide>(fmt::format("{}/peers_callmem_{}.db", cfg.dir, n), n,
                                                         pop, cfg.reuse));
  if (wants(cfg, "minimal")) {
    auto m = std::make_unique<peers::MinimalSqlite>(fmt::format("{}/peers_minimal_{}.db", cfg.dir, n));
    m->populate(n, pop, cfg.reuse);
    sides.push_back(std::move(m));
  }
  if (wants(cfg, "redis")) {
    if (cfg.redis.empty()) {
      fmt::print("[{} customers] Redis by ANI: left out (no --redis HOST:PORT; bench/peers/run starts one)\n",
                 n);
    } else {
      const std::size_t colon = cfg.redis.rfind(':');
      auto r = std::make_unique<peers::RedisAni>(cfg.redis.substr(0, colon),
                                                 std::stoi(cfg.redis.substr(colon + 1)));
      r->populate(n, pop, cfg.reuse);
      sides.push_back(std::move(r));
    }
  }
  fmt::print("[{} customers] populated in {:.1f} s\n", n, bench::seconds_since(t_pop));
  std::fflush(stdout);

  Requests req(n, 42 ^ static_cast<std::uint64_t>(n));
  // The first start after open, each side's: what a call pays for a cold
  // start (libphonenumber's metadata, statements to prepare, pages to read).
  std::vector<double> first_ms;
  for (const auto& side : sides) {
    const StartOp op = req.returning();
    const auto t = std::chrono::steady_clock::now();
    side->start(op);
    first_ms.push_back(bench::seconds_since(t) * 1e3);
    side->end(req.end_of(op.call_id));
  }
  Runner runner(cfg, req);
  std::vector<Measured> measured(sides.size());
  const std::size_t block = std::max<std::size_t>(1, cfg.block);
  for (int w = 0; w < cfg.warmup_rounds; ++w)
    for (std::size_t s = 0; s < sides.size(); ++s)
      runner.block(*sides[s], measured[s], block, std::max<std::size_t>(1, block / 5), false);
  for (std::size_t s = 0; s < sides.size(); ++s) {
    if (auto slot = sides[s]->page_slot()) measured[s].before = page_count::snapshot(*slot);
    measured[s].log_before = sides[s]->log_bytes();
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t rounds = (cfg.ops + block - 1) / block;
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t n_ops = std::min(block, cfg.ops - r * block);
    for (std::size_t k = 0; k < sides.size(); ++k) {
      const std::size_t s = (k + r) % sides.size();  // no side always follows another
      runner.block(*sides[s], measured[s], n_ops, std::max<std::size_t>(1, n_ops / 5), true);
    }
  }
  const double measure_s = bench::seconds_since(t0);
  for (std::size_t s = 0; s < sides.size(); ++s) {
    if (auto slot = sides[s]->page_slot()) measured[s].after = page_count::snapshot(*slot);
    measured[s].log_after = sides[s]->log_bytes();
  }

  fmt::print("\n[{} customers] {}, measured in {:.1f} s; latency in microseconds\n\n", n,
             cfg.rate > 0
                 ? fmt::format("paced at {:.0f} operations/s per side (timed from when due)", cfg.rate)
                 : std::string("back to back"),
             measure_s);
  // Pages and syncs are the operation's own (its thread's): a checkpoint it
  // ran itself counts, a background checkpointer's does not.
  fmt::print("{:<18} {:<15} {:>6} {:>8} {:>8} {:>8} {:>8}  {:>9} {:>9} {:>9}\n", "operation", "side", "ops",
             "p50", "p99", "p99.9", "max", "WAL pg/op", "ckpt pg/op", "syncs/op");
  for (int k = 0; k < kKinds; ++k) {
    for (std::size_t s = 0; s < sides.size(); ++s) {
      const bench::Stats st = bench::stats_of(measured[s].us[k]);
      const bool pages = sides[s]->page_slot().has_value() && st.ops > 0;
      const double ops = static_cast<double>(st.ops);
      auto per_op = [&](long v, const char* f) {
        return pages ? fmt::format(f, static_cast<double>(v) / ops) : "-";
      };
      fmt::print("{:<18} {:<15} {:>6} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f}  {:>9} {:>10} {:>9}\n",
                 kKindName[k], sides[s]->name(), st.ops, st.p50, st.p99, st.p999, st.max,
                 per_op(measured[s].wal_pages[k], "{:.1f}"), per_op(measured[s].db_pages[k], "{:.1f}"),
                 per_op(measured[s].syncs[k], "{:.3f}"));
    }
  }
  // Checkpoint pages by every thread over the measured period, per operation.
  fmt::print("\n{:<15} {:>14} {:>14} {:>16} {:>16} {:>15}\n", "side", "disk MB", "memory MB",
             "disk B/customer", "all ckpt pg/op", "1st start ms");
  for (std::size_t s = 0; s < sides.size(); ++s) {
    const peers::Footprint f = sides[s]->footprint();
    std::size_t ops = 0;
    for (int k = 0; k < kKinds; ++k) ops += measured[s].us[k].size();
    std::string ckpt = "-";
    if (sides[s]->page_slot() && ops > 0)
      ckpt = fmt::format("{:.1f}",
                         static_cast<double>(measured[s].after.db_pages - measured[s].before.db_pages) /
                             static_cast<double>(ops));
    if (measured[s].log_after && measured[s].log_before && ops > 0)
      ckpt = fmt::format("AOF {:.0f} B/op",
                         (*measured[s].log_after - *measured[s].log_before) / static_cast<double>(ops));
    fmt::print("{:<15} {:>14.1f} {:>14.1f} {:>16.0f} {:>16} {:>15.2f}\n", sides[s]->name(),
               f.disk_bytes / 1048576.0, f.memory_bytes / 1048576.0, f.disk_bytes / static_cast<double>(n),
               ckpt, first_ms[s]);
  }
  fmt::print("this process: peak RSS {:.0f} MB\n", max_rss_mb());
  // For bench/peers/run's instruction counts under callgrind: how many times
  // each op_* function ran (warm-up included).
  for (std::size_t s = 0; s < sides.size(); ++s)
    fmt::print("calls: {}: op_start_returning {} op_end {} op_start_new {}\n", sides[s]->name(),
               measured[s].calls[kStartReturning], measured[s].calls[kEnd], measured[s].calls[kStartNew]);
  if (runner.sink() == 0) fmt::print("(nothing measured)\n");
  std::fflush(stdout);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t comma = s.find(',', at);
    out.push_back(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

const char* kUsage =
    "usage: callmem_peers_bench [options]\n"
    "  --customers LIST     sizes, comma-separated (100k, 1m, 10m accepted); default 1000000\n"
    "  --ops N              timed returning starts (and as many ends) per side and size; default 20000\n"
    "  --block N            operations per side before the next side takes its turn; default 1000\n"
    "  --warmup-rounds N    untimed rounds first; default 2\n"
    "  --rate R             paced: R operations per second per side, timed from when due; default back to "
    "back\n"
    "  --redis HOST:PORT    the Redis server of the Redis side (bench/peers/run starts one); none: left out\n"
    "  --sides LIST         callmem,minimal,redis (default all)\n"
    "  --dir DIR            where the SQLite files go; default a new temporary directory\n"
    "  --keep               keep the SQLite files (and the Redis data)\n"
    "  --reuse              use the files (and Redis data) a --keep run left, without populating again\n"
    "  --quick              smoke run: 10000 customers, 300 ops, blocks of 100, 1 warm-up round\n";

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--customers") {
        cfg.sizes.clear();
        for (const std::string& s : split(value())) cfg.sizes.push_back(bench::parse_count(s));
      } else if (a == "--ops") {
        cfg.ops = static_cast<std::size_t>(bench::parse_count(value()));
      } else if (a == "--block") {
        cfg.block = static_cast<std::size_t>(bench::parse_count(value()));
      } else if (a == "--warmup-rounds") {
        cfg.warmup_rounds = std::stoi(value());
      } else if (a == "--rate") {
        cfg.rate = std::stod(value());
      } else if (a == "--redis") {
        cfg.redis = value();
      } else if (a == "--sides") {
        cfg.sides = split(value());
      } else if (a == "--dir") {
        cfg.dir = value();
      } else if (a == "--keep") {
        cfg.keep = true;
      } else if (a == "--reuse") {
        cfg.reuse = cfg.keep = true;
      } else if (a == "--quick") {
        cfg.sizes = {10000};
        cfg.ops = 300;
        cfg.block = 100;
        cfg.warmup_rounds = 1;
      } else if (a == "--help" || a == "-h") {
        fmt::print("{}", kUsage);
        return 0;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "callmem_peers_bench: {}\n{}", e.what(), kUsage);
    return 1;
  }
  bool made_dir = false;
  if (cfg.dir.empty()) {
    char tmpl[] = "/tmp/callmem_peers_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      fmt::print(stderr, "callmem_peers_bench: cannot make a temporary directory\n");
      return 1;
    }
    cfg.dir = tmpl;
    made_dir = true;
  }
  // The page counter matches files by their absolute path.
  if (char* real = realpath(cfg.dir.c_str(), nullptr)) {
    cfg.dir = real;
    std::free(real);
  }
  int rc = 0;
  try {
    for (std::int64_t n : cfg.sizes) run_size(cfg, n);
  } catch (const std::exception& e) {
    fmt::print(stderr, "callmem_peers_bench: {}\n", e.what());
    rc = 1;
  }
  if (!cfg.keep) {
    for (std::int64_t n : cfg.sizes)
      for (const char* side : {"callmem", "minimal"})
        for (const char* suffix : {"", "-wal", "-shm"})
          std::remove(fmt::format("{}/peers_{}_{}.db{}", cfg.dir, side, n, suffix).c_str());
    if (made_dir) rmdir(cfg.dir.c_str());
  }
  return rc;
}
