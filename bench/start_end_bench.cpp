// callmem_bench: call start and call end at N customers, the library beside
// the floor (the very same SQLite statements, written by hand, with no
// library around them), interleaved in one run. See bench/README.md.
//
//   callmem_bench [--customers 100000,1000000] [--ops 30000] [--block 1000]
//                 [--warmup-rounds 2] [--dir DIR] [--keep] [--seed N] [--quick]
//
// For each size: populate a fresh database file through the library's Store
// (large transactions), check that the floor writes what the library writes,
// warm up, then run rounds; a round gives each side (library C++ JSON API,
// floor, C ABI) a block of returning-caller starts, the ends of those calls,
// and a smaller block of new-caller starts, in a rotating order. Every
// operation is timed alone with std::chrono::steady_clock.
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "callmem/callmem.h"
#include "engine.hpp"
#include "identity/number_learning.hpp"
#include "population.hpp"
#include "stats.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "time.hpp"
#include "uuid.hpp"

#define BENCH_NOINLINE __attribute__((noinline))

namespace {

using callmem::kDay;
using callmem::kSecond;
using callmem::Millis;

using namespace bench;

// ----------------------------------------------------------------- floor --
//
// The floor: the statements SqliteStore runs for start and end, in the same
// order with the same bound values, on a connection with the same settings.
// The SQL texts are copied verbatim from src/store/sqlite/statements.cpp; the
// check_floor() run at every size fails when the floor's writes no longer
// match the library's.

enum FloorSql : int {
  fBegin,
  fCommit,
  fRollback,
  fTenantGet,
  fCustomerGet,
  fCustomerInsert,
  fCustomerTouch,
  fLinkFind,
  fLinkUpdate,
  fLinkUpsert,
  fCallGet,
  fCallInsert,
  fCallEnd,
  fIntentsOf,
  fIntentGet,
  fIntentPut,
  fIntentExpiryDay,
  fVariablesOf,
  fVariablePut,
  fVariableExpiryDay,
  fUsageAdd,
  fCount
};

#define CALL_COLUMNS                                                             \
  "call_id, customer_ref, started_at, ended_at, channel, direction, call_data, " \
  "start_fingerprint, start_response, end_fingerprint, end_response, created_customer, expires_at"

const char* floor_sql(FloorSql id) {
  switch (id) {
    case fBegin:
      return "BEGIN IMMEDIATE";
    case fCommit:
      return "COMMIT";
    case fRollback:
      return "ROLLBACK";
    case fTenantGet:
      return "SELECT ttl_days, default_region, level_very_high, level_high, level_medium, reuse, "
             "confirm, billing_enabled, price_start_new, price_start_returning, price_end, balance "
             "FROM tenants WHERE tenant = ?1";
    case fCustomerGet:
      return "SELECT created_at, last_seen, expires_at FROM customers "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3";
    case fCustomerInsert:
      return "INSERT INTO customers(tenant, customer_ref, created_at, last_seen, expires_at, expiry_day) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?5 / 86400000) ON CONFLICT(tenant, customer_ref) DO UPDATE SET "
             "created_at = excluded.created_at, last_seen = excluded.last_seen, "
             "expires_at = excluded.expires_at";
    case fCustomerTouch:
      return "UPDATE customers SET last_seen = MAX(last_seen, ?3), expires_at = MAX(expires_at, ?4) "
             "WHERE tenant = ?1 AND customer_ref = ?2";
    case fLinkFind:
      return "SELECT customer_ref, line_type, first_seen, last_seen, expires_at, line_reports, "
             "confirmed_days, "
             "confirmed_on FROM identities "
             "WHERE tenant = ?1 AND type = ?2 AND key = ?3 AND value = ?4 AND expires_at > ?5";
    case fLinkUpdate:
      return "UPDATE identities SET "
             "first_seen = CASE WHEN expires_at <= ?8 THEN ?7 ELSE first_seen END, "
             "line_type = CASE WHEN ?6 <> '' OR expires_at <= ?8 THEN ?6 ELSE line_type END, "
             "line_reports = CASE WHEN ?10 <> '' OR expires_at <= ?8 THEN ?10 ELSE line_reports END, "
             "confirmed_days = CASE WHEN ?12 <> 0 OR expires_at <= ?8 THEN MAX(?11, 0) ELSE confirmed_days "
             "END, "
             "confirmed_on = CASE WHEN ?12 <> 0 OR expires_at <= ?8 THEN MAX(?12, 0) ELSE confirmed_on END, "
             "last_seen = MAX(last_seen, ?8), expires_at = MAX(expires_at, ?9) "
             "WHERE tenant = ?1 AND type = ?2 AND key = ?3 AND value = ?4 AND +customer_ref = ?5";
    case fLinkUpsert:
      return "INSERT INTO identities(tenant, type, key, value, customer_ref, line_type, first_seen, "
             "last_seen, expires_at, line_reports, confirmed_days, confirmed_on, expiry_day) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?9 / 86400000) "
             "ON CONFLICT(tenant, type, key, value, customer_ref) DO UPDATE SET "
             "first_seen = CASE WHEN identities.expires_at <= excluded.last_seen "
             "  THEN excluded.first_seen ELSE identities.first_seen END, "
             "line_type = CASE WHEN excluded.line_type <> '' "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN excluded.line_type ELSE identities.line_type END, "
             "line_reports = CASE WHEN excluded.line_reports <> '' "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN excluded.line_reports ELSE identities.line_reports END, "
             "confirmed_days = CASE WHEN excluded.confirmed_on <> 0 "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN MAX(excluded.confirmed_days, 0) ELSE identities.confirmed_days END, "
             "confirmed_on = CASE WHEN excluded.confirmed_on <> 0 "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN MAX(excluded.confirmed_on, 0) ELSE identities.confirmed_on END, "
             "last_seen = MAX(identities.last_seen, excluded.last_seen), "
             "expires_at = MAX(identities.expires_at, excluded.expires_at)";
    case fCallGet:
      return "SELECT " CALL_COLUMNS " FROM calls WHERE tenant = ?1 AND call_id = ?2";
    case fCallInsert:
      return "INSERT INTO calls(tenant, " CALL_COLUMNS
             ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    case fCallEnd:
      return "UPDATE calls SET ended_at = ?3, end_fingerprint = ?4, end_response = ?5, "
             "call_data = ?6 WHERE tenant = ?1 AND call_id = ?2";
    case fIntentsOf:
      return "SELECT intent, status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
             "FROM intents WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 "
             "AND (?4 = 0 OR status <> 'resolved') ORDER BY last_seen DESC, intent";
    case fIntentGet:
      return "SELECT status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
             "FROM intents WHERE tenant = ?1 AND customer_ref = ?2 AND intent = ?3";
    case fIntentPut:
      return "INSERT INTO intents(tenant, customer_ref, intent, status, attempt_count, first_seen, "
             "last_seen, last_call_id, expires_at, expiry_day) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
             "?9 / 86400000) "
             "ON CONFLICT(tenant, customer_ref, intent) DO UPDATE SET status = excluded.status, "
             "attempt_count = excluded.attempt_count, first_seen = excluded.first_seen, "
             "last_seen = excluded.last_seen, last_call_id = excluded.last_call_id, "
             "expires_at = excluded.expires_at";
    case fIntentExpiryDay:
      return "UPDATE intents SET expiry_day = ?4 / 86400000 "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND intent = ?3 AND expiry_day > ?4 / 86400000";
    case fVariablesOf:
      return "SELECT name, value, source, updated_at, own_ttl_seconds, expires_at FROM variables "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 ORDER BY name";
    case fVariablePut:
      return "INSERT INTO variables(tenant, customer_ref, name, value, source, updated_at, "
             "own_ttl_seconds, expires_at, expiry_day) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8 / 86400000) "
             "ON CONFLICT(tenant, customer_ref, name) DO UPDATE SET value = excluded.value, "
             "source = excluded.source, updated_at = excluded.updated_at, "
             "own_ttl_seconds = excluded.own_ttl_seconds, expires_at = excluded.expires_at";
    case fVariableExpiryDay:
      return "UPDATE variables SET expiry_day = ?4 / 86400000 "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND name = ?3 AND expiry_day > ?4 / 86400000";
    case fUsageAdd:
      return "INSERT INTO usage(tenant, day, operation, count, credits) VALUES(?1, ?2, ?3, 1, ?4) "
             "ON CONFLICT(tenant, day, operation) DO UPDATE SET count = count + 1, "
             "credits = credits + excluded.credits";
    case fCount:
      break;
  }
  return nullptr;
}
#undef CALL_COLUMNS

[[noreturn]] void sql_fail(sqlite3* db, int rc, const char* what) {
  throw std::runtime_error(
      fmt::format("floor: {}: {} ({})", what, db ? sqlite3_errmsg(db) : "", sqlite3_errstr(rc)));
}

// An identifier as the library builds it from the request (already normal).
struct Ident {
  std::string type, key, value, line_type;
};

// One start: the library's JSON request and the floor's values.
struct StartOp {
  std::string call_id;
  std::vector<Ident> ids;
  std::string new_ref;  // the floor's customer_ref when nothing matches (the library draws a uuid)
  std::uint64_t fingerprint = 0;
  std::string json;
};

struct EndOp {
  std::string call_id;
  std::string intent;
  std::vector<std::pair<std::string, std::string>> variables;  // by name; values as JSON text
  std::uint64_t fingerprint = 0;
  std::string json;
};

class Floor {
 public:
  explicit Floor(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) sql_fail(db_, rc, "open");
    // What open_connection() sets.
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF");
    for (int i = 0; i < fCount; ++i) {
      rc = sqlite3_prepare_v3(db_, floor_sql(static_cast<FloorSql>(i)), -1, SQLITE_PREPARE_PERSISTENT,
                              &stmts_[static_cast<std::size_t>(i)], nullptr);
      if (rc != SQLITE_OK) sql_fail(db_, rc, "prepare");
    }
  }
  ~Floor() {
    for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }
  Floor(const Floor&) = delete;
  Floor& operator=(const Floor&) = delete;

  sqlite3* db() const { return db_; }

  void exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) sql_fail(db_, rc, sql);
  }

  // The statements of Engine::start for one identifier set, when the
  // tenant was never configured and billing is off: the returning caller
  // (reused, every identifier already linked) or the new caller.
  BENCH_NOINLINE bool start(const StartOp& op, const std::string& day, const std::string& response) {
    const Millis at = now_ms();
    const Millis expires = at + kTtl;
    Txn tx(*this);
    {
      Q q(*this, fCallGet);
      q.text(1, kTenant).text(2, op.call_id);
      if (q.row()) throw std::runtime_error("floor: call_id already used");
    }
    {
      Q q(*this, fTenantGet);
      q.text(1, kTenant);
      while (q.row()) q.consume();
    }
    ref_.clear();
    ani_reports_.clear();
    for (const Ident& id : op.ids) {
      Q q(*this, fLinkFind);
      q.text(1, kTenant).text(2, id.type).text(3, id.key).text(4, id.value).i64(5, at);
      while (q.row()) {
        q.consume();
        if (ref_.empty()) ref_ = q.col_text(0);
        if (id.type == "ani") ani_reports_ = q.col_text(5);
      }
    }
    const bool created = ref_.empty();
    if (created) {
      ref_ = op.new_ref;
      Q q(*this, fCustomerInsert);
      q.text(1, kTenant).text(2, ref_).i64(3, at).i64(4, at).i64(5, expires);
      q.done();
    } else {
      // candidates(): the customer and whether it has an open intent.
      {
        Q q(*this, fCustomerGet);
        q.text(1, kTenant).text(2, ref_).i64(3, at);
        while (q.row()) q.consume();
      }
      {
        Q q(*this, fIntentsOf);
        q.text(1, kTenant).text(2, ref_).i64(3, at).i64(4, 1);
        while (q.row()) q.consume();
      }
    }
    for (const Ident& id : op.ids) {
      // The number's tally of its calls' carrier reports, this one's added
      // (the library's stored form, identity/number_learning.hpp).
      std::string reports;
      if (id.type == "ani") {
        callmem::identity::LineReports mine = callmem::identity::read_reports(ani_reports_);
        ++mine[id.line_type];
        reports = callmem::identity::write_reports(mine);
      }
      // An update first; the upsert when it changed nothing (a new link).
      for (const FloorSql sql : {fLinkUpdate, fLinkUpsert}) {
        Q q(*this, sql);
        q.text(1, kTenant).text(2, id.type).text(3, id.key).text(4, id.value).text(5, ref_);
        q.text(6, id.line_type).i64(7, at).i64(8, at).i64(9, expires);
        q.text(10, reports).i64(11, 0).i64(12, 0);
        q.done();
        if (sqlite3_changes(db_) > 0) break;
      }
    }
    if (!created) {
      Q q(*this, fCustomerTouch);
      q.text(1, kTenant).text(2, ref_).i64(3, at).i64(4, expires);
      q.done();
    }
    {
      Q q(*this, fUsageAdd);
      q.text(1, kTenant).text(2, day).text(3, created ? kStartNew : kStartReturning).i64(4, 0);
      q.done();
    }
    if (!created) {
      // The answer's open intents are the ones candidates() read.
      Q q(*this, fVariablesOf);
      q.text(1, kTenant).text(2, ref_).i64(3, at);
      while (q.row()) q.consume();
    }
    {
      Q q(*this, fCallInsert);
      q.text(1, kTenant).text(2, op.call_id).text(3, ref_).i64(4, at).i64(5, 0).text(6, kVoice);
      q.text(7, kInbound).text(8, kEmptyObject).i64(9, static_cast<std::int64_t>(op.fingerprint));
      q.text(10, response).i64(11, 0).text(12, kEmpty).i64(13, created ? 1 : 0).i64(14, expires);
      q.done();
    }
    tx.commit();
    return created;
  }

  // The statements of Engine::end for a started call: one intent, the
  // given variables, no external ids.
  BENCH_NOINLINE void end(const EndOp& op, const std::string& day, const std::string& response) {
    const Millis at = now_ms();
    const Millis expires = at + kTtl;
    Txn tx(*this);
    {
      Q q(*this, fCallGet);
      q.text(1, kTenant).text(2, op.call_id);
      if (!q.row()) throw std::runtime_error("floor: no such call");
      q.consume();
      ref_ = q.col_text(1);
      call_data_ = q.col_text(6);
      if (sqlite3_column_int64(q.s, 9) != 0) throw std::runtime_error("floor: call already ended");
    }
    {
      Q q(*this, fTenantGet);
      q.text(1, kTenant);
      while (q.row()) q.consume();
    }
    {
      Q q(*this, fCustomerGet);
      q.text(1, kTenant).text(2, ref_).i64(3, 0);
      while (q.row()) q.consume();
    }
    std::int64_t attempts = 1;
    Millis first_seen = at;
    {
      Q q(*this, fIntentGet);
      q.text(1, kTenant).text(2, ref_).text(3, op.intent);
      if (q.row()) {
        q.consume();
        const bool open =
            std::strcmp(reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0)), "resolved") != 0;
        if (open && sqlite3_column_int64(q.s, 5) > at) {
          attempts = sqlite3_column_int64(q.s, 1) + 1;
          first_seen = sqlite3_column_int64(q.s, 2);
        }
      }
    }
    {
      Q q(*this, fIntentPut);
      q.text(1, kTenant).text(2, ref_).text(3, op.intent).text(4, kOpen).i64(5, attempts);
      q.i64(6, first_seen).i64(7, at).text(8, op.call_id).i64(9, expires);
      q.done();
    }
    {
      Q q(*this, fIntentExpiryDay);
      q.text(1, kTenant).text(2, ref_).text(3, op.intent).i64(4, expires);
      q.done();
    }
    {
      Q q(*this, fVariablesOf);
      q.text(1, kTenant).text(2, ref_).i64(3, at);
      while (q.row()) q.consume();
    }
    for (const auto& [name, value] : op.variables) {
      Q q(*this, fVariablePut);
      q.text(1, kTenant).text(2, ref_).text(3, name).text(4, value).text(5, op.call_id);
      q.i64(6, at).i64(7, 0).i64(8, expires);
      q.done();
      Q lower(*this, fVariableExpiryDay);
      lower.text(1, kTenant).text(2, ref_).text(3, name).i64(4, expires);
      lower.done();
    }
    {
      Q q(*this, fCustomerTouch);
      q.text(1, kTenant).text(2, ref_).i64(3, at).i64(4, expires);
      q.done();
    }
    {
      Q q(*this, fUsageAdd);
      q.text(1, kTenant).text(2, day).text(3, kEnd).i64(4, 0);
      q.done();
    }
    {
      Q q(*this, fCallEnd);
      q.text(1, kTenant).text(2, op.call_id).i64(3, at).i64(4, static_cast<std::int64_t>(op.fingerprint));
      q.text(5, response).text(6, call_data_);
      q.done();
    }
    tx.commit();
  }

 private:
  // One use of a prepared statement: bind, step, reset. No copies of what is
  // bound (SQLITE_STATIC), as the library's Stmt.
  struct Q {
    Q(Floor& f, FloorSql id) : db(f.db_), s(f.stmts_[static_cast<std::size_t>(id)]) {}
    ~Q() { sqlite3_reset(s); }
    Q(const Q&) = delete;
    Q& operator=(const Q&) = delete;
    Q& text(int i, const std::string& v) {
      const int rc = sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
      if (rc != SQLITE_OK) sql_fail(db, rc, "bind");
      return *this;
    }
    Q& i64(int i, std::int64_t v) {
      const int rc = sqlite3_bind_int64(s, i, v);
      if (rc != SQLITE_OK) sql_fail(db, rc, "bind");
      return *this;
    }
    bool row() {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      sql_fail(db, rc, "step");
    }
    void done() {
      while (row()) {
      }
    }
    // Reads every column of the row (as a hand-written reader would), without copies.
    void consume() {
      const int n = sqlite3_column_count(s);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(s, c)) {
          case SQLITE_INTEGER:
            sink += static_cast<std::uint64_t>(sqlite3_column_int64(s, c));
            break;
          case SQLITE_FLOAT:
            sink += static_cast<std::uint64_t>(sqlite3_column_double(s, c));
            break;
          default:
            if (sqlite3_column_text(s, c) != nullptr)
              sink += static_cast<std::uint64_t>(sqlite3_column_bytes(s, c));
        }
      }
    }
    std::string col_text(int c) const {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, c))) : std::string();
    }
    sqlite3* db;
    sqlite3_stmt* s;
    std::uint64_t sink = 0;
  };

  // BEGIN IMMEDIATE ... COMMIT; rolls back when left without commit().
  struct Txn {
    explicit Txn(Floor& f) : floor(f) {
      Q q(floor, fBegin);
      q.done();
    }
    void commit() {
      Q q(floor, fCommit);
      q.done();
      open = false;
    }
    ~Txn() {
      if (open) {
        Q q(floor, fRollback);
        const int rc = sqlite3_step(q.s);
        (void)rc;
      }
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    Floor& floor;
    bool open = true;
  };

  const std::string kStartNew = "start_new";
  const std::string kStartReturning = "start_returning";
  const std::string kEnd = "end";
  const std::string kVoice = "voice";
  const std::string kInbound = "inbound";
  const std::string kEmptyObject = "{}";
  const std::string kEmpty;
  const std::string kOpen = "open";

  sqlite3* db_ = nullptr;
  std::array<sqlite3_stmt*, fCount> stmts_{};
  std::string ref_;
  std::string ani_reports_;  // the ani link's line_reports, as found
  std::string call_data_;
};

// -------------------------------------------------------------- requests --

class Requests {
 public:
  Requests(std::int64_t customers, std::uint64_t seed) : n_(customers), rng_(seed) {}

  // A returning caller: a random existing customer's ANI (and its crm_id when it has one).
  StartOp returning() {
    return returning_of(static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(n_)));
  }

  StartOp returning_of(std::int64_t i) {
    StartOp op = base();
    op.ids.push_back({"ani", "", ani_of(i), "mobile"});
    std::string ext;
    if (has_crm(i)) {
      op.ids.push_back({"external_id", "crm_id", crm_of(i), ""});
      ext = fmt::format(R"(,"external_ids":{{"crm_id":"{}"}})", crm_of(i));
    }
    op.json =
        fmt::format(R"({{"call_id":"{}","identity_hints":{{"ani":"{}","dnis":"+18005550100"{}}},)"
                    R"("telco":{{"line_type":"mobile","attestation":"A","verstat":"TN-Validation-Passed"}},)"
                    R"("channel":"voice","direction":"inbound"}})",
                    op.call_id, op.ids[0].value, ext);
    return op;
  }

  // A new caller: a number never seen (UK mobile range, counted).
  StartOp fresh() {
    StartOp op = base();
    op.ids.push_back({"ani", "", fmt::format("+4477{:08d}", next_new_++), "mobile"});
    op.new_ref = callmem::uuid_v4();
    op.json =
        fmt::format(R"({{"call_id":"{}","identity_hints":{{"ani":"{}","dnis":"+18005550100"}},)"
                    R"("telco":{{"line_type":"mobile","attestation":"A","verstat":"TN-Validation-Passed"}},)"
                    R"("channel":"voice","direction":"inbound"}})",
                    op.call_id, op.ids[0].value);
    return op;
  }

  // The end of a started call: one open intent and two variables.
  EndOp end_of(const std::string& call_id) {
    EndOp op;
    op.call_id = call_id;
    op.fingerprint = rng_() | 1;
    op.intent = kIntents[rng_() % kIntents.size()];
    const std::string order = fmt::format("ORD-{:07d}", rng_() % 10000000);
    const std::string name = fmt::format("Caller {}", rng_() % 1000000);
    op.variables = {{"last_order", json_str(order)}, {"name", json_str(name)}};
    op.json = fmt::format(R"({{"call_id":"{}","intent":"{}","intent_status":"open",)"
                          R"("variables":{{"name":"{}","last_order":"{}"}}}})",
                          call_id, op.intent, name, order);
    return op;
  }

 private:
  StartOp base() {
    StartOp op;
    op.call_id = "call-" + callmem::uuid_v4();  // as a softswitch's: random, so inserts land anywhere
    op.fingerprint = rng_() | 1;
    return op;
  }

  std::int64_t n_;
  std::mt19937_64 rng_;
  std::int64_t next_new_ = 0;
};

// ----------------------------------------------------------------- check --
//
// The floor must write what the library writes: one returning caller with a
// crm_id, one without, their ends, and a new caller, each done once by the
// library and once by the floor, then the rows compared.

using Row = std::vector<std::string>;

Row query(sqlite3* db, const char* sql, const std::vector<std::string>& args) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  if (rc != SQLITE_OK) sql_fail(db, rc, "check: prepare");
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const std::size_t digits = !a.empty() && a[0] == '-' ? 1 : 0;
    const bool integer = a.size() > digits && a.find_first_not_of("0123456789", digits) == std::string::npos;
    if (integer)
      sqlite3_bind_int64(s, static_cast<int>(i + 1), std::stoll(a));
    else
      sqlite3_bind_text(s, static_cast<int>(i + 1), a.c_str(), -1, SQLITE_TRANSIENT);
  }
  Row out;
  rc = sqlite3_step(s);
  while (rc == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(s); ++c) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
      out.push_back(p ? p : "NULL");
    }
    out.push_back("|");
    rc = sqlite3_step(s);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) sql_fail(db, rc, "check: step");
  return out;
}

std::string show(const Row& r) {
  std::string s;
  for (const auto& c : r) s += (s.empty() ? "" : " ") + c;
  return s;
}

struct Samples {
  std::string start_returning;  // a response of each kind, bound by the floor as the stored response
  std::string start_new;
  std::string end;
};

// Returns the number of mismatches (each printed).
int check_floor(callmem::Engine& lib, Floor& floor, Requests& req, std::int64_t customers, Samples& samples) {
  int bad = 0;
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) {
      ++bad;
      fmt::print(stderr, "floor check FAILED: {}\n", what);
    }
  };
  auto same = [&](const Row& a, const Row& b, const std::string& what) {
    expect(a == b && !a.empty(), fmt::format("{}:\n  library: {}\n  floor:   {}", what, show(a), show(b)));
  };
  sqlite3* db = floor.db();
  const std::string day = callmem::format_day(now_ms());
  const char* call_sql =
      "SELECT customer_ref, ended_at = 0, channel, direction, call_data, start_fingerprint <> 0, "
      "end_fingerprint <> 0, created_customer, expires_at - started_at FROM calls "
      "WHERE tenant = 'acme' AND call_id = ?1";
  const char* usage_sql = "SELECT count FROM usage WHERE tenant = 'acme' AND day = ?1 AND operation = ?2";
  const char* links_sql =
      "SELECT type, key, value, line_type, line_reports, confirmed_days, confirmed_on, last_seen >= ?2, "
      "expires_at - last_seen = ?3, "
      "expiry_day = expires_at / 86400000 "
      "FROM identities WHERE tenant = 'acme' AND customer_ref = ?1 ORDER BY type, key, value";
  const char* intent_sql =
      "SELECT status, attempt_count, last_call_id, expires_at - last_seen, expiry_day = expires_at / "
      "86400000 "
      "FROM intents "
      "WHERE tenant = 'acme' AND customer_ref = ?1 AND intent = ?2";
  const char* vars_sql =
      "SELECT name, value, source, own_ttl_seconds, expires_at - updated_at, expiry_day = expires_at / "
      "86400000 "
      "FROM variables "
      "WHERE tenant = 'acme' AND customer_ref = ?1 AND name IN ('last_order', 'name') ORDER BY name";
  auto count = [&](const std::string& op) {
    Row r = query(db, usage_sql, {day, op});
    return r.empty() ? 0L : std::stol(r[0]);
  };
  const std::string ttl = std::to_string(kTtl);

  // Customers 1 and 2 of the population, and two more, with and without a crm_id.
  std::vector<std::int64_t> who;
  for (std::int64_t i = 0; i < customers && who.size() < 2; ++i)
    if (has_crm(i) == who.empty()) who.push_back(i);
  for (std::int64_t i : who) {
    StartOp a = req.returning_of(i);
    StartOp b = req.returning_of(i);
    const long before = count("start_returning");
    const Millis t0 = now_ms();
    const std::string resp = lib.start_call_json(kTenant, a.json);
    expect(resp.find(R"("recommendation":"reuse")") != std::string::npos,
           "the returning caller's start is not a reuse: " + resp);
    samples.start_returning = resp;
    const Row lib_links =
        query(db, links_sql, {query(db, call_sql, {a.call_id}).at(0), std::to_string(t0), ttl});
    const Millis t1 = now_ms();
    expect(!floor.start(b, day, resp), "the floor created a customer for a returning caller");
    const Row ra = query(db, call_sql, {a.call_id});
    const Row rb = query(db, call_sql, {b.call_id});
    same(ra, rb, "start: calls row");
    // The floor's start is one more call from the number: one more report of its type.
    Row expected = lib_links;
    for (std::size_t k = 0; k + 4 < expected.size(); k += 11) {  // 10 columns and "|"
      if (expected[k] != "ani") continue;
      callmem::identity::LineReports reports = callmem::identity::read_reports(expected[k + 4]);
      ++reports[expected[k + 3]];
      expected[k + 4] = callmem::identity::write_reports(reports);
    }
    same(expected, query(db, links_sql, {rb.at(0), std::to_string(t1), ttl}), "start: identities");
    expect(count("start_returning") == before + 2, "start: usage start_returning");

    EndOp ea = req.end_of(a.call_id);
    EndOp eb = ea;
    eb.call_id = b.call_id;
    eb.json.clear();
    const long ends = count("end");
    const std::string end_resp = lib.end_call_json(kTenant, ea.json);
    samples.end = end_resp;
    const Row lib_intent = query(db, intent_sql, {ra.at(0), ea.intent});
    const Row lib_vars = query(db, vars_sql, {ra.at(0)});
    floor.end(eb, day, end_resp);
    Row fl_intent = query(db, intent_sql, {ra.at(0), ea.intent});
    Row fl_vars = query(db, vars_sql, {ra.at(0)});
    // The floor's end is one more attempt, by the floor's call: set those back to compare.
    expect(fl_intent.size() == lib_intent.size() && fl_intent.size() > 2 &&
               std::stol(fl_intent[1]) == std::stol(lib_intent[1]) + 1,
           "end: the floor's end is not one more attempt: " + show(fl_intent));
    if (fl_intent.size() > 2) {
      fl_intent[1] = lib_intent[1];
      fl_intent[2] = a.call_id;
    }
    same(lib_intent, fl_intent, "end: intent");
    for (std::size_t k = 2; k < fl_vars.size(); k += 7) fl_vars[k] = a.call_id;  // 6 columns and "|"
    same(lib_vars, fl_vars, "end: variables");
    same(query(db, call_sql, {a.call_id}), query(db, call_sql, {b.call_id}), "end: calls row");
    expect(count("end") == ends + 2, "end: usage end");
  }

  StartOp na = req.fresh();
  StartOp nb = req.fresh();
  const long news = count("start_new");
  const std::string resp = lib.start_call_json(kTenant, na.json);
  samples.start_new = resp;
  expect(floor.start(nb, day, resp), "the floor matched a new caller");
  const Row ra = query(db, call_sql, {na.call_id});
  const Row rb = query(db, call_sql, {nb.call_id});
  expect(!ra.empty() && !rb.empty() && rb[0] == nb.new_ref, "new: calls rows");
  if (!ra.empty() && !rb.empty()) {
    Row ra2 = ra, rb2 = rb;
    ra2[0] = rb2[0] = "ref";
    same(ra2, rb2, "new: calls row");
    const char* cust_sql =
        "SELECT last_seen - created_at, expires_at - created_at FROM customers "
        "WHERE tenant = 'acme' AND customer_ref = ?1";
    same(query(db, cust_sql, {ra[0]}), query(db, cust_sql, {rb[0]}), "new: customers row");
    Row la = query(db, links_sql, {ra[0], "0", ttl});
    Row lb = query(db, links_sql, {rb[0], "0", ttl});
    if (la.size() > 2 && lb.size() > 2) la[2] = lb[2] = "ani";
    same(la, lb, "new: identities");
  }
  expect(count("start_new") == news + 2, "new: usage start_new");
  return bad;
}

// ------------------------------------------------------------ measurement --

enum Side { kLibrary, kFloor, kCAbi, kSides };
enum Kind { kStartReturning, kEnd, kStartNew, kKinds };
const std::array<const char*, kSides> kSideName = {"library", "floor", "C ABI"};
const std::array<const char*, kKinds> kKindName = {"start (returning)", "end", "start (new)"};

struct Config {
  std::vector<std::int64_t> sizes = {100000, 1000000};
  std::size_t ops = 30000;   // timed operations per side and kind... of returning starts and ends
  std::size_t block = 1000;  // per side per round
  int warmup_rounds = 2;
  std::string dir;
  bool keep = false;
  std::uint64_t seed = 42;
  bool quick = false;
  bool capi = true;  // also measure through the C ABI
};

struct SizeResult {
  std::int64_t customers = 0;
  double populate_s = 0;
  double measure_s = 0;
  double file_mb = 0;
  std::array<std::array<Stats, kKinds>, kSides> stats{};
};

class Runner {
 public:
  Runner(callmem::Engine& lib, Floor& floor, callmem_db* capi, Requests& req, const Samples& samples)
      : lib_(lib), floor_(floor), capi_(capi), req_(req), samples_(samples) {}

  // One block of each kind for one side; records the latencies when `keep`.
  void block(Side side, std::size_t n, std::size_t n_new, bool keep) {
    const std::string day = callmem::format_day(now_ms());
    std::vector<StartOp> starts;
    starts.reserve(n);
    for (std::size_t i = 0; i < n; ++i) starts.push_back(req_.returning());
    for (const StartOp& op : starts)
      record(side, kStartReturning, keep, [&] { start(side, op, day, samples_.start_returning); });
    std::vector<EndOp> ends;
    ends.reserve(n);
    for (const StartOp& op : starts) ends.push_back(req_.end_of(op.call_id));
    for (const EndOp& op : ends) record(side, kEnd, keep, [&] { end(side, op, day); });
    std::vector<StartOp> fresh;
    fresh.reserve(n_new);
    for (std::size_t i = 0; i < n_new; ++i) fresh.push_back(req_.fresh());
    for (const StartOp& op : fresh)
      record(side, kStartNew, keep, [&] { start(side, op, day, samples_.start_new); });
  }

  std::vector<double>& latencies(Side s, Kind k) { return us_[s][k]; }
  std::uint64_t sink() const { return sink_; }

 private:
  template <class F>
  void record(Side side, Kind kind, bool keep, F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    if (keep) us_[side][kind].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }

  void start(Side side, const StartOp& op, const std::string& day, const std::string& stored) {
    switch (side) {
      case kLibrary: {
        const std::string r = lib_.start_call_json(kTenant, op.json);
        sink_ += r.size();
        break;
      }
      case kFloor:
        sink_ += floor_.start(op, day, stored) ? 1 : 0;
        break;
      case kCAbi: {
        char* out = nullptr;
        const int rc = callmem_call_start(capi_, kTenant.c_str(), op.json.c_str(), &out);
        if (rc != CALLMEM_OK) throw std::runtime_error(fmt::format("C ABI start: {}", out ? out : "?"));
        sink_ += std::strlen(out);
        callmem_free(out);
        break;
      }
      case kSides:
        break;
    }
  }

  void end(Side side, const EndOp& op, const std::string& day) {
    switch (side) {
      case kLibrary: {
        const std::string r = lib_.end_call_json(kTenant, op.json);
        sink_ += r.size();
        break;
      }
      case kFloor:
        floor_.end(op, day, samples_.end);
        break;
      case kCAbi: {
        char* out = nullptr;
        const int rc = callmem_call_end(capi_, kTenant.c_str(), op.json.c_str(), &out);
        if (rc != CALLMEM_OK) throw std::runtime_error(fmt::format("C ABI end: {}", out ? out : "?"));
        sink_ += std::strlen(out);
        callmem_free(out);
        break;
      }
      case kSides:
        break;
    }
  }

  callmem::Engine& lib_;
  Floor& floor_;
  callmem_db* capi_;
  Requests& req_;
  const Samples& samples_;
  std::array<std::array<std::vector<double>, kKinds>, kSides> us_{};
  std::uint64_t sink_ = 0;
};

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

double file_mb(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<double>(st.st_size) / (1024.0 * 1024.0);
}

std::string json_escape_path(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

bool run_size(const Config& cfg, std::int64_t n, SizeResult& result) {
  result.customers = n;
  const std::string path = fmt::format("{}/callmem_bench_{}.db", cfg.dir, n);
  remove_db(path);
  const Millis now = now_ms();
  Population pop{now - 29 * kDay, 28 * kDay};
  fmt::print("[{} customers] populating {} ...\n", n, path);
  std::fflush(stdout);
  result.populate_s = populate(path, n, pop);
  result.file_mb = file_mb(path);
  fmt::print("[{} customers] populated in {:.1f} s ({:.0f} MB)\n", n, result.populate_s, result.file_mb);
  std::fflush(stdout);

  int bad = 0;
  {
    Floor floor(path);
    floor.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    callmem::EngineOptions options;
    options.path = path;
    callmem::Engine lib(options);
    callmem_db* capi = nullptr;
    const std::string config = fmt::format(R"({{"path":"{}"}})", json_escape_path(path));
    if (callmem_open(&capi, config.c_str()) != CALLMEM_OK)
      throw std::runtime_error(std::string("callmem_open: ") + callmem_last_error());
    Requests req(n, cfg.seed ^ static_cast<std::uint64_t>(n));

    Samples samples;
    bad = check_floor(lib, floor, req, n, samples);
    fmt::print("[{} customers] floor check: {}\n", n, bad == 0 ? "ok (same rows as the library)" : "FAILED");
    std::fflush(stdout);

    Runner runner(lib, floor, capi, req, samples);
    const std::size_t block = std::max<std::size_t>(1, cfg.block);
    const std::size_t block_new = std::max<std::size_t>(1, block / 5);
    const int sides = cfg.capi ? kSides : kCAbi;  // kCAbi is the last side
    for (int w = 0; w < cfg.warmup_rounds; ++w)
      for (int s = 0; s < sides; ++s) runner.block(static_cast<Side>(s), block, block_new, false);
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t rounds = (cfg.ops + block - 1) / block;
    for (std::size_t r = 0; r < rounds; ++r) {
      const std::size_t n_ops = std::min(block, cfg.ops - r * block);
      const std::size_t n_new = std::max<std::size_t>(1, n_ops / 5);
      // Rotate which side goes first so that no side always follows another.
      for (int s = 0; s < sides; ++s)
        runner.block(static_cast<Side>((static_cast<std::size_t>(s) + r) % static_cast<std::size_t>(sides)),
                     n_ops, n_new, true);
    }
    result.measure_s = seconds_since(t0);
    for (int s = 0; s < kSides; ++s)
      for (int k = 0; k < kKinds; ++k)
        result.stats[s][k] =
            stats_of(std::move(runner.latencies(static_cast<Side>(s), static_cast<Kind>(k))));
    if (runner.sink() == 0) fmt::print("(nothing measured)\n");
    callmem_close(capi);
  }
  if (!cfg.keep) remove_db(path);
  return bad == 0;
}

void print_results(const std::vector<SizeResult>& results) {
  fmt::print("\nLatency per operation in microseconds (one thread; ops/s = operations / summed latency)\n\n");
  fmt::print("{:>10}  {:<18} {:<8} {:>7} {:>9} {:>9} {:>9} {:>9}   {:>10}\n", "customers", "operation",
             "side", "ops", "p50", "p90", "p99", "ops/s", "p50 / floor");
  for (const SizeResult& r : results) {
    for (int k = 0; k < kKinds; ++k) {
      const Stats& floor = r.stats[kFloor][k];
      for (int s : {kLibrary, kFloor, kCAbi}) {
        const Stats& st = r.stats[s][k];
        if (st.ops == 0) continue;
        fmt::print("{:>10}  {:<18} {:<8} {:>7} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.0f}   {:>10.2f}\n",
                   r.customers, kKindName[k], kSideName[s], st.ops, st.p50, st.p90, st.p99, st.ops_per_s,
                   floor.p50 > 0 ? st.p50 / floor.p50 : 0.0);
      }
    }
    fmt::print("\n");
  }
  for (const SizeResult& r : results) {
    auto ratio = [&](Side s, Kind k) {
      const double f = r.stats[kFloor][k].p50;
      return f > 0 ? r.stats[s][k].p50 / f : 0.0;
    };
    fmt::print("[{} customers] populate {:.1f} s, file {:.0f} MB, measured {:.1f} s\n", r.customers,
               r.populate_s, r.file_mb, r.measure_s);
    fmt::print("[{} customers] start_call median ratio (library/floor): {:.2f} (goal <= 1.5)\n", r.customers,
               ratio(kLibrary, kStartReturning));
    fmt::print("[{} customers] new-caller start_call median ratio (library/floor): {:.2f}\n", r.customers,
               ratio(kLibrary, kStartNew));
    fmt::print("[{} customers] end_call median ratio (library/floor): {:.2f}\n", r.customers,
               ratio(kLibrary, kEnd));
    if (r.stats[kCAbi][kStartReturning].ops == 0) continue;
    fmt::print(
        "[{} customers] C ABI / C++ median ratio: start {:.2f}, end {:.2f}\n", r.customers,
        r.stats[kLibrary][kStartReturning].p50 > 0
            ? r.stats[kCAbi][kStartReturning].p50 / r.stats[kLibrary][kStartReturning].p50
            : 0.0,
        r.stats[kLibrary][kEnd].p50 > 0 ? r.stats[kCAbi][kEnd].p50 / r.stats[kLibrary][kEnd].p50 : 0.0);
  }
}

const char* kUsage =
    "usage: callmem_bench [options]\n"
    "  --customers LIST     sizes, comma-separated (100k, 1m accepted); default 100000,1000000\n"
    "  --ops N              timed returning starts (and as many ends) per side and size; default 30000\n"
    "  --block N            operations per side before the next side takes its turn; default 1000\n"
    "  --warmup-rounds N    untimed rounds first; default 2\n"
    "  --dir DIR            where the database files go; default a new temporary directory\n"
    "  --keep               keep the database files\n"
    "  --seed N             random seed; default 42\n"
    "  --no-capi            leave out the C ABI side (e.g. under callgrind: it holds a second copy of the "
    "core)\n"
    "  --quick              smoke run: 10000 customers, 300 ops, blocks of 100, 1 warm-up round\n";

}  // namespace

int main(int argc, char** argv) {
  try {
    Config cfg;
    bool sizes_given = false, ops_given = false, block_given = false, warm_given = false;
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
        return args[++i];
      };
      if (a == "--customers") {
        cfg.sizes.clear();
        std::string list = value();
        std::size_t start = 0;
        while (start <= list.size()) {
          const std::size_t comma = list.find(',', start);
          const std::string item =
              list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (!item.empty()) cfg.sizes.push_back(parse_count(item));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        sizes_given = true;
      } else if (a == "--ops") {
        cfg.ops = static_cast<std::size_t>(parse_count(value()));
        ops_given = true;
      } else if (a == "--block") {
        cfg.block = static_cast<std::size_t>(parse_count(value()));
        block_given = true;
      } else if (a == "--warmup-rounds") {
        cfg.warmup_rounds = std::stoi(value());
        warm_given = true;
      } else if (a == "--dir") {
        cfg.dir = value();
      } else if (a == "--keep") {
        cfg.keep = true;
      } else if (a == "--seed") {
        cfg.seed = std::stoull(value());
      } else if (a == "--no-capi") {
        cfg.capi = false;
      } else if (a == "--quick") {
        cfg.quick = true;
      } else if (a == "--help" || a == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    }
    if (cfg.quick) {
      if (!sizes_given) cfg.sizes = {10000};
      if (!ops_given) cfg.ops = 300;
      if (!block_given) cfg.block = 100;
      if (!warm_given) cfg.warmup_rounds = 1;
    }
    if (cfg.sizes.empty() || cfg.ops == 0) throw std::invalid_argument("nothing to measure");

    std::string made_dir;
    if (cfg.dir.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/callmem_bench.XXXXXX";
      if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
      cfg.dir = made_dir = templ;
    }

    fmt::print("callmem_bench: sizes");
    for (auto n : cfg.sizes) fmt::print(" {}", n);
    fmt::print(
        "; {} timed returning starts and ends per side and size, blocks of {}, {} warm-up round(s); "
        "sqlite {}; {} CPU(s)\n",
        cfg.ops, cfg.block, cfg.warmup_rounds, sqlite3_libversion(), ::sysconf(_SC_NPROCESSORS_ONLN));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<SizeResult> results;
    bool ok = true;
    for (std::int64_t n : cfg.sizes) {
      SizeResult r;
      ok = run_size(cfg, n, r) && ok;
      results.push_back(r);
    }
    print_results(results);
    fmt::print("total run time {:.1f} s\n", seconds_since(t0));
    if (!made_dir.empty() && !cfg.keep) ::rmdir(made_dir.c_str());
    if (!ok) {
      fmt::print(stderr,
                 "the floor no longer issues the library's statements: fix bench/start_end_bench.cpp\n");
      return 2;
    }
    return 0;
  } catch (const callmem::Error& e) {
    fmt::print(stderr, "callmem_bench: callmem error: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "callmem_bench: {}\n", e.what());
  }
  return 1;
}
