// A connection of the SQLite store: the database handle with its prepared
// statements, one use of a statement (Stmt), and how SQLite's failures become
// callmem::Error.
#ifndef CALLMEM_STORE_SQLITE_CONNECTION_HPP
#define CALLMEM_STORE_SQLITE_CONNECTION_HPP

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "store/columns.hpp"
#include "store/sqlite/answers.hpp"
#include "store/statements.hpp"

namespace callmem::sqlite {

// SQLITE_BUSY and SQLITE_LOCKED are Status::busy, SQLITE_NOMEM
// std::bad_alloc, anything else Status::store.
// The SQL text of a statement (statements.cpp); nullptr for one this store
// does not use.
const char* sql_text(Sql id);

[[noreturn]] void fail(sqlite3* db, int rc, const char* what);

void exec(sqlite3* db, const char* sql, const char* what);

// The one integer a pragma or query gives.
int int_of(sqlite3* db, const char* sql, const char* what);

// How long a connection waits for another process's lock, and since when
// the wait running began (the busy handler's state: a connection is used
// by one thread at a time).
struct BusyWait {
  std::chrono::microseconds timeout{0};
  std::chrono::steady_clock::time_point since;
};

struct Connection {
  sqlite3* db = nullptr;
  std::array<sqlite3_stmt*, kSqlCount> stmts{};
  WeightsMemo weights;  // the last tenant row's identity weights, parsed
  BusyWait busy;
  AnswerPacker answers;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (sqlite3_stmt* s : stmts) sqlite3_finalize(s);
    sqlite3_close_v2(db);
  }

  // Prepared once per connection, on first use.
  sqlite3_stmt* stmt(Sql id) {
    sqlite3_stmt*& s = stmts[static_cast<std::size_t>(id)];
    if (s == nullptr) {
      const int rc = sqlite3_prepare_v3(db, sql_text(id), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        s = nullptr;
        fail(db, rc, "prepare");
      }
    }
    return s;
  }
};

// One use of a cached statement; reset and cleared when it goes out of scope.
// Parameters are bound in order (text(), i64(), ...: the binders of
// store/columns.hpp). Text is bound without a copy: what is bound must
// outlive the Stmt.
class Stmt {
 public:
  Stmt(Connection& c, Sql id) : db_(c.db), s_(c.stmt(id)), answers_(c.answers) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& text(const std::string& v) {
    check(sqlite3_bind_text(s_, next_++, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
    return *this;
  }
  Stmt& i64(std::int64_t v) {
    check(sqlite3_bind_int64(s_, next_++, v));
    return *this;
  }
  Stmt& u64(std::uint64_t v) { return i64(static_cast<std::int64_t>(v)); }
  Stmt& real(double v) {
    check(sqlite3_bind_double(s_, next_++, v));
    return *this;
  }
  Stmt& boolean(bool v) { return i64(v ? 1 : 0); }
  // A call's answer, packed when packing shrinks it (store/sqlite/answers.hpp).
  Stmt& answer(const std::string& v) {
    if (packed_used_ == packed_.size()) throw Error(Status::error, "sqlite: too many answers bound");
    std::string& packed = packed_[packed_used_];
    if (!answers_.pack(v, packed)) return text(v);
    ++packed_used_;
    check(sqlite3_bind_blob(s_, next_++, packed.data(), static_cast<int>(packed.size()), SQLITE_STATIC));
    return *this;
  }

  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, "step");
  }
  // Runs a statement that returns no rows; the number of rows it changed.
  std::int64_t run() {
    while (step()) {
    }
    return sqlite3_changes(db_);
  }

  std::int64_t col_i64(int c) const { return sqlite3_column_int64(s_, c); }
  double col_real(int c) const { return sqlite3_column_double(s_, c); }
  bool col_bool(int c) const { return col_i64(c) != 0; }
  std::string col_text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    // NULL is also SQLite out of memory, after which resetting the statement
    // rolls the whole transaction back: never read it as an empty text.
    if (p == nullptr && sqlite3_errcode(db_) == SQLITE_NOMEM) throw std::bad_alloc();
    if (p == nullptr) return std::string();
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)));
  }
  // A call's answer: unpacked, or the text written before answers were packed.
  std::string col_answer(int c) const {
    if (sqlite3_column_type(s_, c) != SQLITE_BLOB) return col_text(c);
    const void* p = sqlite3_column_blob(s_, c);
    if (p == nullptr && sqlite3_errcode(db_) == SQLITE_NOMEM) throw std::bad_alloc();
    return unpack_answer(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)));
  }
  // The current row, read in order from its first column.
  Cursor<Stmt> row() const { return Cursor<Stmt>(*this); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, rc, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
  AnswerPacker& answers_;
  int next_ = 1;  // the next parameter bound
  // The packed answers bound (a statement binds at most three), kept until
  // the statement has run.
  std::array<std::string, 3> packed_;
  std::size_t packed_used_ = 0;
};

// WAL (for a file), synchronous=NORMAL, no foreign keys.
void configure(sqlite3* db, int busy_timeout_ms, bool memory);

// Waits for a lock another process holds with sleeps that start at a few
// microseconds and double up to a quarter of a millisecond, never past
// `timeout` from the wait's first try: a waiter resumes within a fraction of
// a millisecond of the lock's release. SQLite's own (sqlite3_busy_timeout)
// sleeps 1, 2, 5, 10, 15, 20, 25 ms..., so that a lock held under a
// millisecond costs its waiter 3 to 100 ms (bench/multiprocess_bench.cpp).
int busy_handler(void* wait, int attempt);

// Stores and connections opened from now on in this process wait with
// SQLite's own busy handler and checkpoint in the writer, as SQLite does
// (true), or with busy_handler and a Checkpointer (false, the default): the
// benchmark's "before", measured beside "after" in one run.
void use_sqlite_defaults(bool sqlite_own);
bool sqlite_defaults();

// A connection to the file; `checked`: the file is known to be callmem's
// and the connection is configured (else the caller checks the file, then
// configures it).
std::unique_ptr<Connection> open_connection(const std::string& path, int busy_timeout_ms, bool memory,
                                            bool checked = true);

}  // namespace callmem::sqlite

#endif
