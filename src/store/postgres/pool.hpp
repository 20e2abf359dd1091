// The PostgreSQL store's pool: at most pool_size connections, each leased to
// one transaction at a time; a lease gives its connection back when it ends,
// or forgets it (freeing its slot) when it was found broken.
#ifndef CALLMEM_STORE_POSTGRES_POOL_HPP
#define CALLMEM_STORE_POSTGRES_POOL_HPP

#include <atomic>
#include <cstdint>
#include <memory>

#include "store/lease.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_store.hpp"

namespace callmem {

namespace postgres {
using Lease = callmem::Lease<PgStore::Pool, Connection>;
}

class PgStore::Pool {
 public:
  // Connects, migrates the schema and sets the first connection up.
  explicit Pool(PgOptions o);

  const PgOptions& options() const { return options_; }

  // A connection of our own; waits up to the busy timeout when all are in
  // use. A pooled one the server dropped is reconnected first.
  static postgres::Lease acquire(const std::shared_ptr<Pool>& pool);

  // Reconnects a connection the server dropped, with the same settings. The
  // lease is marked broken until that has succeeded.
  void revive(postgres::Lease& c);

  // Takes back a connection outside any transaction; closes one that is
  // broken (or null: a slot whose connection was never made).
  void give_back(std::unique_ptr<postgres::Connection> c, bool broken) noexcept;

  void count_round_trip() { round_trips_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t round_trips() const { return round_trips_.load(std::memory_order_relaxed); }

 private:
  PgOptions options_;
  Slots<postgres::Connection> slots_;
  std::atomic<std::uint64_t> round_trips_{0};
};

}  // namespace callmem

#endif
