// Opening and configuring the SQLite store's connections, and SQLite's
// failures as callmem::Error (store/sqlite/connection.hpp).
#include "store/sqlite/connection.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "callmem/error.hpp"

namespace callmem::sqlite {

[[noreturn]] void fail(sqlite3* db, int rc, const char* what) {
  // The host's memory ran out, not the store: CALLMEM_ERROR "out of memory".
  if ((rc & 0xff) == SQLITE_NOMEM) throw std::bad_alloc();
  std::string message =
      std::string("sqlite: ") + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Error(Status::busy, message);
  throw Error(Status::store, message);
}

void exec(sqlite3* db, const char* sql, const char* what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, what);
}

int int_of(sqlite3* db, const char* sql, const char* what) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, what);
  rc = sqlite3_step(s);
  const int v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) fail(db, rc, what);
  return v;
}

namespace {

std::atomic<bool> g_sqlite_defaults{false};

// The busy handler's first sleep and the longest: short enough that a lock
// held for half a millisecond is taken soon after its release, long enough
// that eight processes waiting at once do not spend two cores polling.
constexpr std::chrono::microseconds kFirstSleep{10};
constexpr std::chrono::microseconds kLongestSleep{250};

void set_wal(sqlite3* db, int busy_timeout_ms) {
  // Switching a fresh file to WAL needs it to itself, and SQLite answers
  // BUSY at once rather than wait: processes opening one new file together
  // take turns, within the busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (int attempt = 0;; ++attempt) {
    const int result = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (result == SQLITE_OK) break;
    const int primary = result & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline)
      fail(db, result, "set journal_mode");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + attempt, 20)));
  }
}

}  // namespace

int busy_handler(void* arg, int attempt) {
  auto& wait = *static_cast<BusyWait*>(arg);
  const auto now = std::chrono::steady_clock::now();
  if (attempt == 0) wait.since = now;
  const auto left = wait.since + wait.timeout - now;
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;  // SQLITE_BUSY: Status::busy
  const auto grown = kFirstSleep * (1 << std::min(attempt, 5));
  const auto sleep = std::min<std::chrono::steady_clock::duration>({grown, kLongestSleep, left});
  std::this_thread::sleep_for(sleep);
  return 1;
}

void use_sqlite_defaults(bool sqlite_own) { g_sqlite_defaults.store(sqlite_own); }

bool sqlite_defaults() { return g_sqlite_defaults.load(std::memory_order_relaxed); }

void configure(sqlite3* db, int busy_timeout_ms, bool memory) {
  if (!memory) set_wal(db, busy_timeout_ms);
  exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF", "configure");
}

std::unique_ptr<Connection> open_connection(const std::string& path, int busy_timeout_ms, bool memory,
                                            bool checked) {
  auto c = std::make_unique<Connection>();
  const int rc = sqlite3_open_v2(path.c_str(), &c->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if ((rc & 0xff) == SQLITE_NOMEM) throw std::bad_alloc();
  if (rc != SQLITE_OK) {
    std::string message = "sqlite: cannot open " + path + ": " +
                          (c->db != nullptr ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    throw Error(Status::store, message);
  }
  sqlite3_extended_result_codes(c->db, 1);
  add_answer_function(c->db);
  if (sqlite_defaults()) {
    sqlite3_busy_timeout(c->db, busy_timeout_ms);
  } else {
    c->busy.timeout = std::chrono::milliseconds(busy_timeout_ms);
    sqlite3_busy_handler(c->db, busy_handler, &c->busy);
  }
  if (checked) configure(c->db, busy_timeout_ms, memory);
  return c;
}

}  // namespace callmem::sqlite
