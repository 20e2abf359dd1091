// Threads and processes racing on one database file.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "engine.hpp"
#include "json/codec.hpp"
#include "races.hpp"
#include "requests.hpp"
#include "temp_dir.hpp"
#include "uuid.hpp"

using namespace callmem;

namespace {

std::string first_call(int n, const std::string& ani) {
  return fmt::format(R"({{"call_id": "race-{}", "identity_hints": {{"ani": "{}"}},
                         "telco": {{"line_type": "mobile"}}}})",
                     n, ani);
}

EngineOptions options_for(const std::string& path) {
  EngineOptions o;
  o.path = path;
  o.busy_timeout_ms = 20000;
  return o;
}

}  // namespace

TEST_CASE("threads: first calls from one new number at once make one customer") {
  TempDir dir;
  Engine mem(options_for(dir.file("calls.db")));
  constexpr int kThreads = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string ani = fmt::format("+1415555{:04}", round);
    const std::vector<std::string> refs = run_threads(kThreads, [&](int t) {
      return json::read_start_response(mem.start_call_json("acme", first_call(round * 100 + t, ani)))
          .customer_ref;
    });
    CHECK(std::set<std::string>(refs.begin(), refs.end()).size() == 1);
  }
}

TEST_CASE("threads: concurrent ends of one customer lose no update") {
  TempDir dir;
  Engine mem(options_for(dir.file("calls.db")));
  constexpr int kThreads = 4, kCalls = 25;
  const std::string ref =
      json::read_start_response(mem.start_call_json("acme", first_call(0, "+14155551234"))).customer_ref;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string id = fmt::format("t{}-{}", t, i);
        mem.end_call_json("acme", fmt::format(R"({{"call_id": "{}", "customer_ref": "{}", "intent": "refund",
                                                  "variables": {{"{}": {}}}}})",
                                              id, ref, id, i));
      }
    });
  }
  for (auto& th : threads) th.join();
  const CustomerView v = mem.get_customer("acme", by_ref(ref, 100));
  CHECK(v.variables.size() == kThreads * kCalls);
  REQUIRE(v.intents.size() == 1);
  CHECK(v.intents[0].attempt_count == kThreads * kCalls);
}

TEST_CASE("processes: first calls from one new number at once make one customer") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  { Engine create(options_for(path)); }  // the schema exists before the race
  constexpr int kProcs = 4, kRounds = 10;
  const std::string all = run_processes(kProcs, [&](int p) {
    Engine mem(options_for(path));
    std::string out;
    for (int round = 0; round < kRounds; ++round) {
      const std::string ref =
          json::read_start_response(
              mem.start_call_json("acme", first_call(round * 100 + p, fmt::format("+1212555{:04}", round))))
              .customer_ref;
      out += fmt::format("{} {}\n", round, ref);
    }
    return out;
  });
  std::map<int, std::set<std::string>> refs;
  std::istringstream in(all);
  int round;
  std::string ref;
  while (in >> round >> ref) refs[round].insert(ref);
  REQUIRE(refs.size() == kRounds);
  for (const auto& [r, set] : refs) {
    CAPTURE(r);
    CHECK(set.size() == 1);
  }
}

TEST_CASE("processes: forked children make refs of their own") {
  (void)uuid_v4();  // whatever the parent made before the fork, the children do not repeat
  const std::string all = run_processes(3, [](int) { return uuid_v4() + "\n"; });
  std::istringstream in(all);
  std::set<std::string> refs{uuid_v4()};
  for (std::string ref; in >> ref;) refs.insert(ref);
  CHECK(refs.size() == 4);
}

TEST_CASE("threads: many writers of one process take turns, first come first, within the busy timeout") {
  // Writers queue in the order they came (src/store/sqlite/pool.cpp,
  // writer_turn): none waits behind more than the writers before it, so 48
  // threads writing at once all get through a 500 ms busy timeout. (Writers that
  // barged, on a plain mutex or SQLite's busy handler, left some waiting for
  // seconds while others went again.)
  //
  // 500 ms is 48 turns of 10 ms. A build or a machine on which one start takes
  // longer (a sanitizer, a loaded CI host) gets 48 of its own turns, measured
  // on a database of its own first: the bound stays "the writers before it",
  // not a fixed time.
  TempDir dir;
  constexpr int kThreads = 48, kCalls = 150;
  int timeout_ms = 500;
  {
    Engine alone(options_for(dir.file("alone.db")));
    const auto from = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i)
      alone.start_call_json("acme", first_call(i, fmt::format("+1415999{:04}", i)));
    const auto turn =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - from) / 50;
    timeout_ms = std::max<int>(timeout_ms, static_cast<int>(kThreads * 4 * (turn.count() + 1)));
  }
  EngineOptions o = options_for(dir.file("calls.db"));
  o.busy_timeout_ms = timeout_ms;
  Engine mem(o);
  std::atomic<int> busy{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        try {
          mem.start_call_json("acme", first_call(t * 1000 + i, fmt::format("+1415{:03}{:04}", 500 + t, i)));
          ++ok;
        } catch (const Error& e) {
          if (e.status() == Status::busy) ++busy;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(busy.load() == 0);
  CHECK(ok.load() == kThreads * kCalls);
}
