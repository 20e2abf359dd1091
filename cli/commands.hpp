// The subcommands of the `callmem` program, each in its own file, and what
// they share: the store options (--db / --dsn) and opening the engine.
#ifndef CALLMEM_CLI_COMMANDS_HPP
#define CALLMEM_CLI_COMMANDS_HPP

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace callmem {
class Engine;
}

namespace callmem::cli {

// Where the call memory is: --db PATH (SQLite) or --dsn URI (PostgreSQL),
// defaulting to $CALLMEM_DB / $CALLMEM_DSN.
struct StoreOptions {
  std::string db;
  std::string dsn;
  std::string schema = "callmem";  // PostgreSQL: the schema holding the tables
};
void add_store_options(CLI::App& command, StoreOptions& store);
// Opens it; throws callmem::Error (or std::runtime_error when neither is given).
std::unique_ptr<Engine> open_engine(const StoreOptions& store);

// Each registers its subcommand and what runs it.
void add_serve(CLI::App& app);
void add_keys(CLI::App& app);

// A failure the program reports on stderr, exiting with `code`.
struct Failure {
  int code;
  std::string message;
};

}  // namespace callmem::cli

#endif
