// A transaction of the PostgreSQL store (transaction.cpp): its statements
// go in pipelined batches on one leased connection (batch.hpp), and its reads
// answer from what prefetch() read while that holds (cache.hpp). Any failure
// rolls the whole transaction back; further calls are refused with
// Status::store.
#ifndef CALLMEM_STORE_POSTGRES_TRANSACTION_HPP
#define CALLMEM_STORE_POSTGRES_TRANSACTION_HPP

#include <memory>

#include "store/postgres/pool.hpp"
#include "store/store.hpp"

namespace callmem::postgres {

std::unique_ptr<Transaction> begin_transaction(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write);

}  // namespace callmem::postgres

#endif
