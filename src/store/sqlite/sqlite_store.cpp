// SqliteStore: opening the database and beginning transactions
// (store/sqlite/sqlite_store.hpp holds the rules).
#include "store/sqlite/sqlite_store.hpp"

#include <utility>

#include "store/sqlite/pool.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/transaction.hpp"

namespace callmem {

SqliteStore::SqliteStore(std::string path, int busy_timeout_ms, int cache_mb)
    : pool_(std::make_shared<Pool>(std::move(path), busy_timeout_ms, cache_mb)) {}

SqliteStore::~SqliteStore() = default;

int SqliteStore::schema_version() noexcept { return sqlite::schema_version(); }

int SqliteStore::application_id() noexcept { return sqlite::application_id(); }

namespace {

// A connection inside BEGIN (a reader) or BEGIN IMMEDIATE (a writer, once it
// has its turn in this process), and the turn.
std::pair<sqlite::Lease, WriterTurn> begun(const std::shared_ptr<SqliteStore::Pool>& pool, Access access) {
  const bool write = access == Access::write;
  WriterTurn turn;
  if (write) turn = pool->writer_turn();
  sqlite::Lease c = SqliteStore::Pool::acquire(pool);
  // On a failure from here on, the lease gives the connection back (rolled
  // back if BEGIN went through) and the turn passes on.
  sqlite::Stmt(*c, write ? kBeginWrite : kBeginRead).run();
  return {std::move(c), std::move(turn)};
}

}  // namespace

std::unique_ptr<Transaction> SqliteStore::begin(const std::string& tenant, Access access) {
  auto [c, turn] = begun(pool_, access);
  return sqlite::begin_transaction(std::move(c), std::move(turn), tenant);
}

std::unique_ptr<AcrossTenants> SqliteStore::begin_all(Access access) {
  auto [c, turn] = begun(pool_, access);
  return sqlite::begin_across(std::move(c), std::move(turn));
}

}  // namespace callmem
