// The PostgreSQL store's reads for operators (`callmem tenant list`, `stats`,
// `check`; docs/cli.md), across tenants, on a transaction's batch.
#ifndef CALLMEM_STORE_POSTGRES_OPERATORS_HPP
#define CALLMEM_STORE_POSTGRES_OPERATORS_HPP

#include <string>
#include <vector>

#include "store/postgres/batch.hpp"
#include "store/store.hpp"

namespace callmem::postgres {

std::vector<TenantCounts> tenant_counts(Batch& b, Millis now);
DatabaseInfo database_info(Batch& b);
// PostgreSQL checks its pages itself (and pg_amcheck checks them on demand):
// here, callmem's tables, the schema version and the indexes.
std::vector<std::string> integrity_check(Batch& b);

}  // namespace callmem::postgres

#endif
