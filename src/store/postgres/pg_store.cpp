// PgStore: opening the database and beginning transactions
// (store/postgres/pg_store.hpp holds the rules).
#include "store/postgres/pg_store.hpp"

#include "store/postgres/pool.hpp"
#include "store/postgres/schema.hpp"
#include "store/postgres/transaction.hpp"

namespace callmem {

PgStore::PgStore(PgOptions options) : pool_(std::make_shared<Pool>(std::move(options))) {}

PgStore::~PgStore() = default;

int PgStore::schema_version() noexcept { return postgres::schema_version(); }

std::uint64_t PgStore::round_trips() const noexcept { return pool_->round_trips(); }

std::unique_ptr<Transaction> PgStore::begin(const std::string& tenant, Access access) {
  // Should anything below throw, the lease gives its slot back.
  postgres::Lease c = Pool::acquire(pool_);
  return postgres::begin_transaction(pool_, std::move(c), access == Access::write, tenant);
}

std::unique_ptr<AcrossTenants> PgStore::begin_all(Access access) {
  postgres::Lease c = Pool::acquire(pool_);
  return postgres::begin_across(pool_, std::move(c), access == Access::write);
}

}  // namespace callmem
