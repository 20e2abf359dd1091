// The store options every command shares (--db, --dsn, --schema), --tenant
// and --json, and opening the engine.
#include <sys/stat.h>

#include <stdexcept>

#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"
#if CALLMEM_WITH_POSTGRES
#include "store/postgres/pg_store.hpp"
#endif
#include "store/sqlite/sqlite_store.hpp"

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
  command
      .add_option("--schema", store.schema,
                  "PostgreSQL: the schema holding callmem's tables (created when missing)")
      ->envname("CALLMEM_SCHEMA")
      ->capture_default_str();
}

void require_existing_database(CLI::App& command) {
  command.get_option("--db")->description("The SQLite database file (an existing one)");
}

void add_tenant_option(CLI::App& command, std::string& tenant) {
  command.add_option("--tenant", tenant, "The tenant (1-64 of A-Za-z0-9._-)")->required()->type_name("T");
}

void add_json_flag(CLI::App& command, bool& json, const char* what) {
  command.add_flag("--json", json, what);
}

namespace {

EngineOptions engine_options(const StoreOptions& store, bool existing) {
  EngineOptions o;
  if (!store.dsn.empty()) {
    o.store = "postgres";
    o.dsn = store.dsn;
    o.schema = store.schema;
  } else if (!store.db.empty()) {
    struct stat st {};
    if (existing && store.db != ":memory:" && stat(store.db.c_str(), &st) != 0)
      throw Failure{exit_store,
                    "no database at " + store.db + " (--db names an existing file for this command)"};
    o.path = store.db;
    o.cache_mb = store.cache_mb;
  } else {
    throw Failure{
        exit_usage,
        "no store: give --db PATH (SQLite) or --dsn URI (PostgreSQL), or set CALLMEM_DB or CALLMEM_DSN"};
  }
  return o;
}

}  // namespace

std::unique_ptr<Engine> open_engine(const StoreOptions& store, bool existing) {
  return std::make_unique<Engine>(engine_options(store, existing));
}

std::unique_ptr<Store> open_store(const StoreOptions& store) {
  const EngineOptions o = engine_options(store, true);
  if (o.store == "postgres") {
#if !CALLMEM_WITH_POSTGRES
    throw invalid_field({"store"}, "store postgres is not supported: callmem was built without PostgreSQL");
#else
    PgOptions pg;
    pg.dsn = o.dsn;
    pg.schema = o.schema;
    pg.pool_size = 1;
    pg.busy_timeout_ms = o.busy_timeout_ms;
    return std::make_unique<PgStore>(std::move(pg));
#endif
  }
  return std::make_unique<SqliteStore>(o.path, o.busy_timeout_ms);
}

}  // namespace callmem::cli
