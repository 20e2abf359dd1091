// I/O faults at every point of a sequence of operations on a SQLite file
// (tests/fault_vfs.hpp fails the Nth read, write, sync or truncate, once or
// until cleared, with an I/O error or a full disk). For every N: each call
// answers a status (an exception of callmem::Error, never a crash or a hang);
// the operation during which the fault fired left its whole effect if it
// answered OK and none if it failed; once the fault clears, the same handle
// works again (the failed operation, retried, answers OK); and after closing,
// the file passes PRAGMA integrity_check and holds exactly what the
// operations that answered OK wrote.
//
// CALLMEM_FAULT_STRIDE=S tries every Sth point (default 1: every point);
// scripts/test runs a stride, scripts/reliability every point.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "callmem/error.hpp"
#include "engine.hpp"
#include "env_count.hpp"
#include "fault_vfs.hpp"
#include "import_history.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

namespace {

using callmem::Engine;
using callmem::EngineOptions;
using callmem::Error;
using callmem::Millis;

const Millis kT0 = *callmem::parse_iso("2026-02-07T10:30:00.000Z");

// What the operations of one run share: the refs earlier answers gave.
struct Run {
  std::map<std::string, std::string> refs;  // by call_id
};

std::string ref_in(const std::string& answer) {
  static const std::regex ref(R"re("customer_ref":"([^"]+)")re");
  std::smatch m;
  return std::regex_search(answer, m, ref) ? m[1].str() : "";
}

struct Op {
  const char* name;
  std::function<std::string(Engine&, Run&)> run;
  bool reopens =
      false;  // closes the handle and opens the file again (a cold cache: reads; a checkpoint: syncs)
};

Op start(const char* call_id, const std::string& hints) {
  return {
      "start", [call_id, hints](Engine& e, Run& r) {
        const std::string answer = e.start_call_json(
            "acme",
            fmt::format(R"({{"call_id": "{}", "identity_hints": {}, "telco": {{"line_type": "mobile"}}}})",
                        call_id, hints));
        r.refs[call_id] = ref_in(answer);
        return answer;
      }};
}

Op end(const char* call_id, const char* intent) {
  return {"end", [call_id, intent](Engine& e, Run&) {
            return e.end_call_json(
                "acme", fmt::format(R"({{"call_id": "{}", "intent": "{}", "intent_status": "open", )"
                                    R"("variables": {{"name": "Caller {}", "order": "{}-7"}}}})",
                                    call_id, intent, call_id, call_id));
          }};
}

// Every kind of write the store makes: settings, credits, starts (new and
// returning), ends, a correction that merges, a forget, a purge.
std::vector<Op> sequence() {
  return {
      {"grant",
       [](Engine& e, Run&) {
         return e.grant_credits_json("acme", R"({"amount": 100, "idempotency_key": "g1"})");
       }},
      {"configure",
       [](Engine& e, Run&) { return e.configure_tenant_json("acme", R"({"billing": {"enabled": true}})"); }},
      start("x1", R"({"external_ids": {"crm_id": "CRM_X"}})"),
      end("x1", "billing"),
      {"reopen", [](Engine&, Run&) { return std::string(); }, true},
      start("y1", R"({"ani": "+14155559999"})"),
      end("y1", "refund"),
      {"corrected",
       [](Engine& e, Run& r) {
         return e.identity_feedback_json(
             "acme",
             R"({"call_id": "y1", "outcome": "corrected", "customer_ref": ")" + r.refs["x1"] + R"("})");
       }},
      start("n1", R"({"ani": "+14155559999"})"),
      end("n1", "refund"),
      {"reopen", [](Engine&, Run&) { return std::string(); }, true},
      start("z1", R"({"ani": "+14155550000"})"),
      {"forget",
       [](Engine& e, Run& r) {
         return e.forget_customer_json("acme", R"({"customer_ref": ")" + r.refs["z1"] + R"("})");
       }},
      {"purge",
       [](Engine& e, Run&) {
         return e.purge_expired_json(R"({"now": ")" + callmem::format_iso(kT0 + 31 * callmem::kDay) +
                                     R"("})");
       }},
  };
}

EngineOptions options_for(const std::string& path) {
  EngineOptions o;
  o.path = path;
  o.clock = std::make_shared<callmem::ManualClock>(kT0);
  return o;
}

std::string integrity(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK)
    while (sqlite3_step(s) == SQLITE_ROW) out += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// Runs one operation; a reopen closes the handle (its last connection
// checkpoints the WAL into the file) and opens the file again.
std::string apply(const Op& op, std::unique_ptr<Engine>& e, const std::string& path, Run& run) {
  if (!op.reopens) return op.run(*e, run);
  e.reset();
  e = std::make_unique<Engine>(options_for(path));
  return std::string();
}

// The database's rows (import_history::dump). A correction's fingerprint
// hashes the ref it names, which differs from run to run: it is left out.
std::string state(const std::string& path) {
  std::string out;
  std::istringstream in(import_history::dump(path));
  bool calls = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("== ", 0) == 0) calls = line == "== calls";
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, '|');) f.push_back(x);
    if (calls && f.size() > 16 && f[16] == "corrected") {
      f[15] = "(fingerprint)";
      line.clear();
      for (const std::string& x : f) line += x + "|";
    }
    out += line + "\n";
  }
  return out;
}

// The database after open and after each operation, without faults.
std::vector<std::string> reference() {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  std::vector<std::string> states;
  std::unique_ptr<Engine> e = std::make_unique<Engine>(options_for(path));
  states.push_back(state(path));
  Run run;
  for (const Op& op : sequence()) {
    apply(op, e, path, run);
    states.push_back(state(path));
  }
  return states;
}

// The lines of `got` and `want` that differ, for a failure's message.
std::string differences(const std::string& got, const std::string& want) {
  auto lines = [](const std::string& t) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (std::size_t nl; (nl = t.find('\n', at)) != std::string::npos; at = nl + 1)
      out.push_back(t.substr(at, nl - at));
    return out;
  };
  const std::vector<std::string> g = lines(got), w = lines(want);
  std::string out;
  for (const std::string& l : g)
    if (std::find(w.begin(), w.end(), l) == w.end()) out += "+ " + l + "\n";
  for (const std::string& l : w)
    if (std::find(g.begin(), g.end(), l) == g.end()) out += "- " + l + "\n";
  return out;
}

#define CHECK_STATE(got, want) CHECK_MESSAGE((got) == (want), (differences((got), (want))))

struct Outcome {
  bool fired = false;  // the fault was reached
  std::size_t op = 0;  // where: 0 the open, k the kth operation
  bool ok = false;     // what that step answered
};

// One run with the fault armed after `n` calls of its kind.
Outcome run_once(fault_vfs::Kind kind, int code, bool persistent, long n,
                 const std::vector<std::string>& states) {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  const std::vector<Op> ops = sequence();
  Outcome out;
  Run run;
  std::unique_ptr<Engine> e;
  auto fired = [] { return fault_vfs::fault().fired.load() > 0; };

  fault_vfs::arm(kind, n, code, persistent);
  try {
    e = std::make_unique<Engine>(options_for(path));
    out.ok = true;
  } catch (const Error&) {
    out.ok = false;
  }
  if (!fired()) {
    for (std::size_t k = 0; k < ops.size(); ++k) {
      out.op = k + 1;
      try {
        apply(ops[k], e, path, run);
        out.ok = true;
      } catch (const Error&) {
        out.ok = false;
      }
      if (fired()) break;
      REQUIRE_MESSAGE(out.ok, ops[k].name, " failed without a fault");
    }
  }
  out.fired = fired();
  fault_vfs::clear();
  if (!out.fired) return out;
  CAPTURE(out.op);
  CAPTURE(out.ok);

  // The step left all or nothing. A failed open may have created the schema
  // whole or not at all.
  const std::string now = state(path);
  if (out.op == 0 && !out.ok)
    CHECK((now == states[0] || now.find("== calls") == std::string::npos));
  else
    CHECK_STATE(now, states[out.ok ? out.op : out.op - 1]);

  // The fault cleared, the handle works again: the failed step, retried, answers OK.
  if (!out.ok) {
    if (out.op == 0) {
      CHECK_NOTHROW(e = std::make_unique<Engine>(options_for(path)));
    } else {
      CHECK_NOTHROW(apply(ops[out.op - 1], e, path, run));
    }
  }
  CHECK_STATE(state(path), states[out.op]);
  e.reset();
  CHECK(integrity(path) == "ok");
  CHECK_STATE(state(path), states[out.op]);
  return out;
}

}  // namespace

TEST_CASE("faults: every read, write, sync and truncate failing in turn loses nothing acknowledged") {
  fault_vfs::install();
  const std::vector<std::string> states = reference();
  struct Mode {
    fault_vfs::Kind kind;
    int code;
    const char* name;
  };
  const Mode modes[] = {
      {fault_vfs::kWrite, SQLITE_IOERR_WRITE, "write: I/O error"},
      {fault_vfs::kWrite, SQLITE_FULL, "write: disk full"},
      {fault_vfs::kSync, SQLITE_IOERR_FSYNC, "sync"},
      {fault_vfs::kRead, SQLITE_IOERR_READ, "read"},
      {fault_vfs::kTruncate, SQLITE_IOERR_TRUNCATE, "truncate"},
  };
  const long step = env_count("CALLMEM_FAULT_STRIDE", 1);
  long points = 0, failed_ops = 0;
  for (const Mode& m : modes) {
    for (const bool persistent : {false, true}) {
      CAPTURE(m.name);
      CAPTURE(persistent);
      long tried = 0;
      for (long n = 0;; n += step) {
        CAPTURE(n);
        const Outcome o = run_once(m.kind, m.code, persistent, n, states);
        if (!o.fired) break;
        ++tried;
        if (!o.ok) ++failed_ops;
      }
      const std::string label = std::string(m.name) + (persistent ? " (persistent)" : " (once)");
      MESSAGE(label, ": ", tried, " points");
      points += tried;
    }
  }
  MESSAGE(points, " fault points tried (stride ", step, "), ", failed_ops, " of them failed their operation");
  CHECK(points > 0);
}
