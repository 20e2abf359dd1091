// The minimal hand-written SQLite design (minimal_sqlite.hpp).
#include "minimal_sqlite.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <stdexcept>

#include "page_count.hpp"
#include "uuid.hpp"

namespace peers {

namespace {

const char* const kSchema = R"(
CREATE TABLE IF NOT EXISTS customers(
  ani TEXT PRIMARY KEY,
  ref TEXT NOT NULL,
  intents TEXT NOT NULL,    -- {"name": {"status": "open", "attempts": n}}
  variables TEXT NOT NULL,  -- {"name": value}
  last_call INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS calls(
  call_id TEXT PRIMARY KEY,
  ani TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER
) WITHOUT ROWID;
)";

const char* const kSql[] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "SELECT ref, intents, variables FROM customers WHERE ani = ?1 AND expires_at > ?2",
    "INSERT OR REPLACE INTO customers(ani, ref, intents, variables, last_call, expires_at) "
    "VALUES (?1, ?2, '{}', '{}', ?3, ?4)",
    "INSERT INTO calls(call_id, ani, started_at) VALUES (?1, ?2, ?3)",
    "UPDATE customers SET last_call = ?2, expires_at = ?3 WHERE ani = ?1",
    "UPDATE calls SET ended_at = ?2 WHERE call_id = ?1 RETURNING ani",
    "UPDATE customers SET intents = json_set(intents, '$.' || ?2, json_object('status', 'open')), "
    "variables = json_patch(variables, ?3), expires_at = ?4 WHERE ani = ?1",
};

double file_bytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : 0;
}

}  // namespace

MinimalSqlite::MinimalSqlite(const std::string& path) : path_(path), slot_(page_count::watch(path)) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    throw std::runtime_error("minimal SQLite: cannot open " + path);
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec(kSchema);
  for (int i = 0; i < kStmts; ++i) {
    if (sqlite3_prepare_v3(db_, kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts_[i], nullptr) != SQLITE_OK)
      throw std::runtime_error(fmt::format("minimal SQLite: {}: {}", kSql[i], sqlite3_errmsg(db_)));
  }
}

MinimalSqlite::~MinimalSqlite() {
  for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
  sqlite3_close(db_);
}

void MinimalSqlite::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(fmt::format("minimal SQLite: {}", msg));
  }
}

void MinimalSqlite::step_done(sqlite3_stmt* s) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(fmt::format("minimal SQLite: {}", sqlite3_errmsg(db_)));
}

void MinimalSqlite::populate(std::int64_t n, const bench::Population& pop, bool reuse) {
  if (reuse) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "SELECT count(*) FROM customers", -1, &s, nullptr);
    const std::int64_t have = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (have >= n) return;
  }
  exec("DELETE FROM customers; DELETE FROM calls;");
  sqlite3_stmt* cust = nullptr;
  sqlite3_stmt* call = nullptr;
  sqlite3_prepare_v2(db_,
                     "INSERT INTO customers(ani, ref, intents, variables, last_call, expires_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                     -1, &cust, nullptr);
  sqlite3_prepare_v2(db_, "INSERT INTO calls(call_id, ani, started_at, ended_at) VALUES (?1, ?2, ?3, ?4)", -1,
                     &call, nullptr);
  constexpr std::int64_t kBatch = 50000;
  for (std::int64_t b = 0; b < n; b += kBatch) {
    exec("BEGIN");
    for (std::int64_t i = b; i < std::min(n, b + kBatch); ++i) {
      const bench::CustomerData d = bench::customer_data(i, n, pop);
      const std::string ani = bench::ani_of(i);
      std::string intents = "{";
      if (!d.open_intent.empty())
        intents += fmt::format(R"("{}":{{"status":"open","attempts":{}}})", d.open_intent, d.open_attempts);
      if (!d.resolved_intent.empty())
        intents += fmt::format(R"({}"{}":{{"status":"resolved","attempts":1}})",
                               intents.size() > 1 ? "," : "", d.resolved_intent);
      intents += "}";
      std::string vars = "{";
      for (const auto& [k, v] : d.variables)
        vars += fmt::format(R"({}"{}":{})", vars.size() > 1 ? "," : "", k, v);
      vars += "}";
      const std::string ref = callmem::uuid_v4();
      sqlite3_bind_text(cust, 1, ani.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(cust, 2, ref.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(cust, 3, intents.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(cust, 4, vars.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(cust, 5, d.call_at);
      sqlite3_bind_int64(cust, 6, d.call_end + bench::kTtl);
      step_done(cust);
      const std::string call_id = fmt::format("pop-{:08d}", i);
      sqlite3_bind_text(call, 1, call_id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(call, 2, ani.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(call, 3, d.call_at);
      sqlite3_bind_int64(call, 4, d.call_end);
      step_done(call);
    }
    exec("COMMIT");
  }
  sqlite3_finalize(cust);
  sqlite3_finalize(call);
  exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

std::size_t MinimalSqlite::start(const StartOp& op) {
  const bench::Millis now = bench::now_ms();
  step_done(stmt(kBegin));
  sqlite3_stmt* find = stmt(kFind);
  sqlite3_bind_text(find, 1, op.ani.data(), static_cast<int>(op.ani.size()), SQLITE_STATIC);
  sqlite3_bind_int64(find, 2, now);
  std::size_t answer = 0;
  const bool found = sqlite3_step(find) == SQLITE_ROW;
  if (found) {
    // What an answer carries: the ref, the open intents and the variables.
    const std::string ref(reinterpret_cast<const char*>(sqlite3_column_text(find, 0)));
    const std::string intents(reinterpret_cast<const char*>(sqlite3_column_text(find, 1)));
    const std::string vars(reinterpret_cast<const char*>(sqlite3_column_text(find, 2)));
    answer = ref.size() + intents.size() + vars.size();
  }
  sqlite3_reset(find);
  if (!found) {
    sqlite3_stmt* ins = stmt(kInsertCustomer);
    sqlite3_bind_text(ins, 1, op.ani.data(), static_cast<int>(op.ani.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, op.new_ref.data(), static_cast<int>(op.new_ref.size()), SQLITE_STATIC);
    sqlite3_bind_int64(ins, 3, now);
    sqlite3_bind_int64(ins, 4, now + bench::kTtl);
    step_done(ins);
    answer = op.new_ref.size();
  }
  sqlite3_stmt* call = stmt(kInsertCall);
  sqlite3_bind_text(call, 1, op.call_id.data(), static_cast<int>(op.call_id.size()), SQLITE_STATIC);
  sqlite3_bind_text(call, 2, op.ani.data(), static_cast<int>(op.ani.size()), SQLITE_STATIC);
  sqlite3_bind_int64(call, 3, now);
  step_done(call);
  if (found) {
    sqlite3_stmt* touch = stmt(kTouch);
    sqlite3_bind_text(touch, 1, op.ani.data(), static_cast<int>(op.ani.size()), SQLITE_STATIC);
    sqlite3_bind_int64(touch, 2, now);
    sqlite3_bind_int64(touch, 3, now + bench::kTtl);
    step_done(touch);
  }
  step_done(stmt(kCommit));
  return answer;
}

std::size_t MinimalSqlite::end(const EndOp& op) {
  const bench::Millis now = bench::now_ms();
  step_done(stmt(kBegin));
  sqlite3_stmt* close = stmt(kEndCall);
  sqlite3_bind_text(close, 1, op.call_id.data(), static_cast<int>(op.call_id.size()), SQLITE_STATIC);
  sqlite3_bind_int64(close, 2, now);
  std::string ani;
  if (sqlite3_step(close) == SQLITE_ROW) ani = reinterpret_cast<const char*>(sqlite3_column_text(close, 0));
  sqlite3_reset(close);
  if (ani.empty()) {
    step_done(stmt(kCommit));
    throw std::runtime_error("minimal SQLite: no call " + op.call_id);
  }
  const std::string vars = fmt::format(R"({{"name":{},"last_order":{}}})", op.name, op.order);
  sqlite3_stmt* patch = stmt(kPatch);
  sqlite3_bind_text(patch, 1, ani.data(), static_cast<int>(ani.size()), SQLITE_STATIC);
  sqlite3_bind_text(patch, 2, op.intent.data(), static_cast<int>(op.intent.size()), SQLITE_STATIC);
  sqlite3_bind_text(patch, 3, vars.data(), static_cast<int>(vars.size()), SQLITE_STATIC);
  sqlite3_bind_int64(patch, 4, now + bench::kTtl);
  step_done(patch);
  step_done(stmt(kCommit));
  return ani.size();
}

Footprint MinimalSqlite::footprint() { return {file_bytes(path_) + file_bytes(path_ + "-wal"), 0}; }

}  // namespace peers
