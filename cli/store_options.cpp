#include <stdexcept>

#include "commands.hpp"
#include "engine.hpp"

namespace callmem::cli {

void add_store_options(CLI::App& command, StoreOptions& store) {
  auto* db = command.add_option("--db", store.db, "The SQLite database file (created when missing)")
                 ->envname("CALLMEM_DB")
                 ->type_name("PATH");
  auto* dsn = command.add_option("--dsn", store.dsn, "A PostgreSQL database: postgresql://user@host/db")
                  ->envname("CALLMEM_DSN")
                  ->type_name("URI");
  db->excludes(dsn);
  dsn->excludes(db);
  command.add_option("--schema", store.schema, "PostgreSQL: the schema holding callmem's tables (created when missing)")
      ->envname("CALLMEM_SCHEMA")
      ->capture_default_str();
}

std::unique_ptr<Engine> open_engine(const StoreOptions& store) {
  EngineOptions o;
  if (!store.dsn.empty()) {
    o.store = "postgres";
    o.dsn = store.dsn;
    o.schema = store.schema;
  } else if (!store.db.empty()) {
    o.path = store.db;
  } else {
    throw Failure{2, "no store: give --db PATH (SQLite) or --dsn URI (PostgreSQL), or set CALLMEM_DB or CALLMEM_DSN"};
  }
  return std::make_unique<Engine>(std::move(o));
}

}  // namespace callmem::cli
