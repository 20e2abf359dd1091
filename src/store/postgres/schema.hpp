// The PostgreSQL store's schema: created and migrated in the configured
// schema by the first store to open the database, under an advisory lock;
// the version is kept in the table schema_version.
#ifndef CALLMEM_STORE_POSTGRES_SCHEMA_HPP
#define CALLMEM_STORE_POSTGRES_SCHEMA_HPP

#include <libpq-fe.h>

#include "store/postgres/pg_store.hpp"

namespace callmem::postgres {

int schema_version() noexcept;

// Brings the schema to schema_version(), on a connection outside pipeline
// mode. Throws Status::store for a schema newer than this library's.
void migrate(PGconn* pg, const PgOptions& o);

}  // namespace callmem::postgres

#endif
