// The SQLite store's two kinds of transaction, on a connection leased from
// the pool that is inside BEGIN already (store/sqlite/work.hpp): on one
// tenant (transaction.cpp) and across tenants (across.cpp).
#ifndef CALLMEM_STORE_SQLITE_TRANSACTION_HPP
#define CALLMEM_STORE_SQLITE_TRANSACTION_HPP

#include <memory>
#include <string>

#include "store/sqlite/pool.hpp"
#include "store/store.hpp"

namespace callmem::sqlite {

std::unique_ptr<Transaction> begin_transaction(Lease conn, WriterTurn turn, std::string tenant);
std::unique_ptr<AcrossTenants> begin_across(Lease conn, WriterTurn turn);

}  // namespace callmem::sqlite

#endif
