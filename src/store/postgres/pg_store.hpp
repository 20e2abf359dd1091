// The PostgreSQL implementation of Store (libpq): one call memory shared by
// many processes and machines.
//
// Connections: a pool of at most `pool_size` connections; a transaction holds
// one for its whole life, so two threads never share a connection. A
// connection found broken (the server restarted, the backend was killed) is
// reset before use; a transaction whose first batch fails because its
// connection was lost is sent again once on a fresh one. A connection that
// could not be set up again, or whose transaction could not be rolled back,
// is closed and its slot freed, never pooled.
//
// Round trips: every statement runs in libpq's pipeline mode. Writes that
// return nothing are queued and sent with the next read or with COMMIT;
// prefetch() reads, in one batch with BEGIN and the locks, what a start or
// an end needs. A start and an end each take two round trips (one
// to read, one to write and commit): see docs/storage.md.
//
// Concurrency: a write transaction takes advisory locks (pg_advisory_xact_lock)
// with its first statement: a start or an end those of what it contends on
// (its call, its identifiers, their customers; the tenant's shared), so
// that writers of one tenant take turns only where they meet; an operation
// on the tenant as a whole its tenant's, exclusive (store/postgres/locks.hpp).
// Writers of different tenants never wait for each other. A read
// transaction is REPEATABLE READ, READ ONLY. Across tenants (begin_all), an
// API key's write takes the lock of the key's tenant; purge takes none: it
// skips rows other transactions hold (SKIP LOCKED) and only deletes a
// customer whose lock (and its tenant's, shared) it can take at once, so
// several nodes purge at once without double work or deadlock.
//
// Errors: a lock not granted within busy_timeout_ms (lock_timeout), a
// deadlock, a serialization failure, a lost connection or a server shutting
// down become Status::busy (retry the operation); any other failure
// Status::store. Any failure rolls the whole transaction back.
//
// Schema: created and migrated in the configured schema (default "callmem")
// by the first store to open the database, under an advisory lock; the
// version is kept in the table schema_version.
#ifndef CALLMEM_STORE_POSTGRES_PG_STORE_HPP
#define CALLMEM_STORE_POSTGRES_PG_STORE_HPP

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace callmem {

// What a write transaction on one tenant locks (docs/storage.md): `fine`,
// what it contends on (a start and an end: the call, its identifiers, their
// customers); `tenant`, the whole tenant, one writer at a time (as earlier
// versions did; kept for comparison: bench/pg_bench.cpp).
enum class PgLock { fine, tenant };

struct PgOptions {
  std::string dsn;                 // a libpq connection string or postgresql:// URI
  std::string schema = "callmem";  // where the tables live; created when missing
  int pool_size = 16;              // connections at most
  int busy_timeout_ms = 5000;      // how long a writer waits for a lock
  PgLock lock = PgLock::fine;
};

class PgStore final : public Store {
 public:
  // Connects, and creates or migrates the schema. Throws callmem::Error:
  // Status::busy when the server cannot be reached, Status::store when it
  // refuses (authentication, a schema newer than this library knows).
  explicit PgStore(PgOptions options);
  ~PgStore() override;

  static int schema_version() noexcept;

  std::unique_ptr<Transaction> begin(const std::string& tenant, Access access) override;
  std::unique_ptr<AcrossTenants> begin_all(Access access) override;

  // Round trips to the server since the store opened (each pipeline sync
  // counts one), across all its connections: for tests and benchmarks.
  std::uint64_t round_trips() const noexcept;

  class Pool;  // the connections; defined in store/postgres/pool.hpp

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace callmem

#endif
