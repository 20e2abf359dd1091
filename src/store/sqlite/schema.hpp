// The SQLite store's schema: versioned by PRAGMA user_version, migrated when
// the store opens, and stamped with callmem's PRAGMA application_id so that a
// file that is not callmem's is refused as it is (docs/storage.md).
#ifndef CALLMEM_STORE_SQLITE_SCHEMA_HPP
#define CALLMEM_STORE_SQLITE_SCHEMA_HPP

#include <string>

#include "store/sqlite/connection.hpp"

namespace callmem::sqlite {

// The PRAGMA user_version of this library's schema.
int schema_version() noexcept;
// The PRAGMA application_id of callmem's databases.
int application_id() noexcept;

// Checks that the store's first connection is on a callmem database (or a new
// or empty file), configures the connection, and brings the schema up to
// date. Throws Status::store for a file that is not callmem's or a schema
// newer than this library's, Status::busy when another writer held the file
// past the busy timeout.
void open_schema(Connection& first, const std::string& path, int busy_timeout_ms, bool memory);

}  // namespace callmem::sqlite

#endif
