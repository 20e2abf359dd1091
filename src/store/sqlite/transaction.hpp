// A transaction of the SQLite store (transaction.cpp): one connection leased
// from the pool, inside BEGIN (a reader) or BEGIN IMMEDIATE (a writer, in its
// turn), and one prepared statement per method. Any failure rolls the whole
// transaction back at once and gives the connection back; further calls are
// refused with Status::store.
#ifndef CALLMEM_STORE_SQLITE_TRANSACTION_HPP
#define CALLMEM_STORE_SQLITE_TRANSACTION_HPP

#include <memory>

#include "store/sqlite/pool.hpp"
#include "store/store.hpp"

namespace callmem::sqlite {

// A transaction on `conn`, which is inside BEGIN already.
std::unique_ptr<Transaction> begin_transaction(Lease conn, WriterTurn turn);

}  // namespace callmem::sqlite

#endif
