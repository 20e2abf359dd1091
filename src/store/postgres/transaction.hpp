// The PostgreSQL store's two kinds of transaction: on one tenant
// (transaction.cpp), whose reads answer from what prefetch() read while that
// holds (cache.hpp), and across tenants (across.cpp). Their statements go in
// pipelined batches on one leased connection (batch.hpp). Any failure rolls
// the whole transaction back; further calls are refused with Status::store.
#ifndef CALLMEM_STORE_POSTGRES_TRANSACTION_HPP
#define CALLMEM_STORE_POSTGRES_TRANSACTION_HPP

#include <memory>
#include <string>

#include "store/postgres/pool.hpp"
#include "store/store.hpp"

namespace callmem::postgres {

std::unique_ptr<Transaction> begin_transaction(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write,
                                               std::string tenant);
std::unique_ptr<AcrossTenants> begin_across(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write);

}  // namespace callmem::postgres

#endif
