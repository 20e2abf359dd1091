// SqliteStore: opening the database and beginning transactions
// (store/sqlite/sqlite_store.hpp holds the rules).
#include "store/sqlite/sqlite_store.hpp"

#include "store/sqlite/pool.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/transaction.hpp"

namespace callmem {

SqliteStore::SqliteStore(std::string path, int busy_timeout_ms, int cache_mb)
    : pool_(std::make_shared<Pool>(std::move(path), busy_timeout_ms, cache_mb)) {}

SqliteStore::~SqliteStore() = default;

int SqliteStore::schema_version() noexcept { return sqlite::schema_version(); }

int SqliteStore::application_id() noexcept { return sqlite::application_id(); }

std::unique_ptr<Transaction> SqliteStore::begin(bool write) {
  WriterTurn turn;
  if (write) turn = pool_->writer_turn();
  sqlite::Lease c = Pool::acquire(pool_);
  // On a failure from here on, the lease gives the connection back (rolled
  // back if BEGIN went through) and the turn passes on.
  sqlite::Stmt(*c, write ? kBeginWrite : kBeginRead).run();
  return sqlite::begin_transaction(std::move(c), std::move(turn));
}

}  // namespace callmem
