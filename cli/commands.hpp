// The subcommands of the `callmem` program, each in its own file, and what
// they share: the store options (--db / --dsn) and opening the engine.
#ifndef CALLMEM_CLI_COMMANDS_HPP
#define CALLMEM_CLI_COMMANDS_HPP

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace callmem {
class Engine;
class Store;
}  // namespace callmem

namespace callmem::cli {

// Where the call memory is: --db PATH (SQLite) or --dsn URI (PostgreSQL),
// defaulting to $CALLMEM_DB / $CALLMEM_DSN.
struct StoreOptions {
  std::string db;
  std::string dsn;
  std::string schema = "callmem";  // PostgreSQL: the schema holding the tables
  int cache_mb = 0;                // SQLite: each connection's page cache in MiB; 0: SQLite's default
};
void add_store_options(CLI::App& command, StoreOptions& store);
// Says in --help that --db names an existing file (see open_engine's `existing`).
void require_existing_database(CLI::App& command);
// Opens it; throws callmem::Error, or a Failure when neither is given (2).
// `existing`: an SQLite file that is not there is refused (8) instead of
// created, for the commands that read or change what is stored (a mistyped
// path is not an empty database).
std::unique_ptr<Engine> open_engine(const StoreOptions& store, bool existing = false);
// The store alone, an existing one, for what the engine does not do: the
// operators' reads across tenants (tenant list, stats, check).
std::unique_ptr<Store> open_store(const StoreOptions& store);

// Each registers its subcommand and what runs it.
void add_serve(CLI::App& app);
void add_keys(CLI::App& app);
void add_calls(CLI::App& app);        // call start|end
void add_customers(CLI::App& app);    // customer get|export|forget
void add_tenants(CLI::App& app);      // tenant show|set|list
void add_credits(CLI::App& app);      // credits grant, usage
void add_feedback(CLI::App& app);     // feedback, unmerge
void add_maintenance(CLI::App& app);  // purge, stats, check
void add_import(CLI::App& app);       // import

// --tenant T (required) and --json, as every operator command has them.
void add_tenant_option(CLI::App& command, std::string& tenant);
void add_json_flag(
    CLI::App& command, bool& json,
    const char* what = "Print the library's JSON answer (the default when stdout is not a terminal)");

// Every tenant and its counts now, as JSON (tenant list, stats).
std::string tenant_counts_json(Store& store);

// A failure the program reports on stderr, exiting with `code`.
struct Failure {
  int code;
  std::string message;
};

}  // namespace callmem::cli

#endif
