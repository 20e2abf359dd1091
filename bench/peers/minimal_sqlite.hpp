// The minimal hand-written SQLite design: one row per number (ref, open
// intents and variables as JSON text), one row per call. A start looks the
// number up, inserts the call and updates the customer's expiry; an end
// closes the call and patches the customer's JSON. No idempotency, no
// identity beyond the number, no history, no tenants: the least a start can
// write, on a connection with callmem's settings (WAL, synchronous=NORMAL).
#ifndef CALLMEM_BENCH_PEERS_MINIMAL_SQLITE_HPP
#define CALLMEM_BENCH_PEERS_MINIMAL_SQLITE_HPP

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "population.hpp"
#include "side.hpp"

namespace peers {

class MinimalSqlite : public Side {
 public:
  explicit MinimalSqlite(const std::string& path);
  ~MinimalSqlite() override;
  MinimalSqlite(const MinimalSqlite&) = delete;
  MinimalSqlite& operator=(const MinimalSqlite&) = delete;

  // Writes N customers (the population's), unless `reuse` and they are there.
  void populate(std::int64_t n, const bench::Population& pop, bool reuse);

  const char* name() const override { return "minimal SQLite"; }
  std::size_t start(const StartOp& op) override;
  std::size_t end(const EndOp& op) override;
  Footprint footprint() override;
  std::optional<std::size_t> page_slot() const override { return slot_; }

 private:
  enum Stmt { kBegin, kCommit, kFind, kInsertCustomer, kInsertCall, kTouch, kEndCall, kPatch, kStmts };
  void exec(const char* sql);
  sqlite3_stmt* stmt(Stmt s) { return stmts_[s]; }
  void step_done(sqlite3_stmt* s);

  std::string path_;
  std::size_t slot_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmts_[kStmts] = {};
};

}  // namespace peers

#endif
