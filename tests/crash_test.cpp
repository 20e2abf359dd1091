// Processes killed mid-write lose nothing acknowledged. A child process opens
// the call memory on a real SQLite file and runs starts, ends, credit grants,
// corrections that merge, and forgets in three threads, writing a line to a
// pipe after each operation answers OK; the parent kills it with SIGKILL at a
// random moment, then opens the file and checks that it is intact and that
// every acknowledged operation is there. Many times, on the same file (each
// open after a kill recovers the WAL the last one left).
//
// CALLMEM_CRASH_KILLS=N kills N times (default 20); scripts/reliability more.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "callmem/error.hpp"
#include "engine.hpp"
#include "env_count.hpp"
#include "temp_dir.hpp"

namespace {

using callmem::Engine;
using callmem::EngineOptions;

std::string ref_in(const std::string& answer) {
  static const std::regex ref(R"re("customer_ref":"([^"]+)")re");
  std::smatch m;
  return std::regex_search(answer, m, ref) ? m[1].str() : "";
}

// One line to the parent, after the operation answered OK. Lines under
// PIPE_BUF bytes are written whole, never interleaved.
void ack(int fd, const std::string& line) {
  const std::string l = line + "\n";
  if (write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size())) _exit(3);
}

// What one thread of the child does until killed: a new caller a call (an
// account id of its own), so that a forget never meets a merge's customer.
void work(Engine& e, int fd, int round, int thread) {
  std::string before;  // the customer of the last call
  for (int i = 0;; ++i) {
    const std::string id = fmt::format("r{}t{}c{}", round, thread, i);
    try {
      const std::string ref = ref_in(e.start_call_json(
          "acme",
          fmt::format(R"({{"call_id": "{}", "identity_hints": {{"external_ids": {{"crm_id": "{}"}}}}}})", id,
                      id)));
      ack(fd, "start " + id);
      e.end_call_json(
          "acme",
          fmt::format(R"({{"call_id": "{}", "intent": "billing", "variables": {{"n": "{}"}}}})", id, i));
      ack(fd, "end " + id);
      switch (i % 4) {
        case 0:
          e.grant_credits_json("acme", fmt::format(R"({{"amount": 1, "idempotency_key": "g-{}"}})", id));
          ack(fd, "grant g-" + id);
          break;
        case 1:
          // This caller turns out to be the customer of the call before.
          if (before.empty() || before == ref) break;
          e.identity_feedback_json(
              "acme", fmt::format(R"({{"call_id": "{}", "outcome": "corrected", "customer_ref": "{}"}})", id,
                                  before));
          ack(fd, "merge " + ref + " " + before);
          break;
        case 2:
          // Said first: the call goes with its customer, whether or not the forget is acknowledged.
          ack(fd, "forgetting " + id);
          e.forget_customer_json("acme", fmt::format(R"({{"customer_ref": "{}"}})", ref));
          ack(fd, "forget " + ref);
          break;
        default:
          break;
      }
      before = ref;
    } catch (const callmem::Error&) {
      // busy under three writers: the operation wrote nothing and was not acknowledged
    }
  }
}

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& path) { sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr); }
  ~Db() { sqlite3_close(db); }
  std::string text(const std::string& sql, const std::string& arg = "") const {
    sqlite3_stmt* s = nullptr;
    std::string out = "(none)";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) return "(error)";
    if (!arg.empty()) sqlite3_bind_text(s, 1, arg.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* v = sqlite3_column_text(s, 0);
      out = v ? reinterpret_cast<const char*>(v) : "NULL";
    }
    sqlite3_finalize(s);
    return out;
  }
};

}  // namespace

TEST_CASE("crashes: a process killed at any moment loses nothing it acknowledged") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  std::mt19937 rng(20261127);
  std::size_t acknowledged = 0;
  const int rounds = static_cast<int>(env_count("CALLMEM_CRASH_KILLS", 20));
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(fds[0]);
      EngineOptions o;
      o.path = path;
      Engine e(o);
      std::vector<std::thread> threads;
      for (int t = 0; t < 3; ++t) threads.emplace_back([&, t] { work(e, fds[1], round, t); });
      for (std::thread& t : threads) t.join();
      _exit(0);
    }
    close(fds[1]);
    // Killed after 20 to 120 ms: mid-commit, mid-checkpoint, mid-open.
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 100));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    std::string acks;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) acks.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);

    // Opened again (as the next process would), intact, with every acknowledgment in it.
    {
      EngineOptions o;
      o.path = path;
      Engine reopened(o);
    }
    const Db db(path);
    CHECK(db.text("PRAGMA integrity_check") == "ok");
    // Nothing half written by the operation the kill interrupted: every row
    // belongs to a customer that exists.
    for (const char* table : {"calls", "identities", "intents", "variables"})
      CHECK_MESSAGE(
          db.text(fmt::format("SELECT count(*) FROM {} t WHERE NOT EXISTS (SELECT 1 FROM customers c "
                              "WHERE c.tenant = t.tenant AND c.customer_ref = t.customer_ref)",
                              table)) == "0",
          table);
    std::set<std::string> forgotten;  // calls that went with their customer
    std::istringstream lines(acks);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream f(line);
      std::string what, a;
      if (f >> what >> a && what == "forgetting") forgotten.insert(a);
    }
    lines = std::istringstream(acks);
    for (std::string line; std::getline(lines, line);) {
      CAPTURE(line);
      std::istringstream f(line);
      std::string what, a, b;
      f >> what >> a >> b;
      ++acknowledged;
      if (what == "forgetting" || ((what == "start" || what == "end") && forgotten.count(a))) {
        continue;
      } else if (what == "start") {
        CHECK(db.text("SELECT count(*) FROM calls WHERE call_id = ?", a) == "1");
      } else if (what == "end") {
        CHECK(db.text("SELECT ended_at > 0 FROM calls WHERE call_id = ?", a) == "1");
      } else if (what == "grant") {
        CHECK(db.text("SELECT amount FROM credit_grants WHERE idempotency_key = ?", a) == "1");
      } else if (what == "merge") {
        CHECK(db.text("SELECT target_ref FROM aliases WHERE alias_ref = ?", a) == b);
      } else if (what == "forget") {
        CHECK(db.text("SELECT count(*) FROM customers WHERE customer_ref = ?", a) == "0");
      }
    }
  }
  MESSAGE(rounds, " kills, ", acknowledged, " acknowledged operations checked");
  CHECK(acknowledged > 0);
}
