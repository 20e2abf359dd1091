// The SQLite implementation of Store: one database file shared by every
// thread and process that opens it (WAL mode), or a private in-memory database.
//
// Connections: a transaction takes a free connection from the store's pool (or
// opens a new one) and gives it back when it ends, so a connection is only
// ever used by one thread at a time. ":memory:" is one database per
// connection, so that store has exactly one connection and transactions take
// turns on it; a transaction that waited longer than busy_timeout_ms for it
// fails with Status::busy (as a file's writer does when another holds the
// lock). Two transactions open at once in one thread on a ":memory:" store
// therefore wait for each other: don't.
//
// A write transaction is BEGIN IMMEDIATE. Any failed statement rolls the whole
// transaction back at once (nothing partial is ever committed); the
// Transaction then refuses further calls with Status::store. SQLITE_BUSY and
// SQLITE_LOCKED become Status::busy, any other failure Status::store.
//
// The schema is versioned by PRAGMA user_version and migrated when the store
// is opened. A callmem database carries PRAGMA application_id
// application_id(); a file that is not callmem's is refused with
// Status::store and left as it was (docs/storage.md). The store must outlive
// its transactions' use; a Transaction keeps the connection pool alive until
// it is destroyed.
#ifndef CALLMEM_STORE_SQLITE_SQLITE_STORE_HPP
#define CALLMEM_STORE_SQLITE_SQLITE_STORE_HPP

#include <memory>
#include <string>

#include "store/store.hpp"

namespace callmem {

class SqliteStore final : public Store {
 public:
  // Opens (creating when missing) the database at `path`, or a private
  // in-memory one for ":memory:", and brings its schema up to date. Throws
  // callmem::Error: Status::busy when another writer held the lock past
  // busy_timeout_ms, Status::store when the file cannot be opened, is not
  // callmem's, or its schema is newer than this library knows. cache_mb > 0
  // sets each connection's page cache (PRAGMA cache_size) to that many MiB;
  // 0 keeps SQLite's default (about 2 MiB).
  SqliteStore(std::string path, int busy_timeout_ms, int cache_mb = 0);
  ~SqliteStore() override;

  std::unique_ptr<Transaction> begin(const std::string& tenant, Access access) override;
  std::unique_ptr<AcrossTenants> begin_all(Access access) override;

  // The PRAGMA user_version this library's schema has.
  static int schema_version() noexcept;
  // The PRAGMA application_id of callmem's databases.
  static int application_id() noexcept;

  class Pool;  // the connections; defined in store/sqlite/pool.hpp

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace callmem

#endif
