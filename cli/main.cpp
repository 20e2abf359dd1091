// callmem: the command line of the call memory (docs/server.md, docs/cli.md).
//
//   callmem serve --db calls.db --listen 127.0.0.1:8080
//   callmem keys create --db calls.db --tenant acme
//   callmem customer get --db calls.db --tenant acme --ani +14155551234
//
// Exit status: 0 on success, 2 for a command line that cannot be read; a
// failed operation exits with its status's code (output.hpp, docs/cli.md),
// except serve and keys, which exit 1 for every failure.
#include <cstdio>
#include <exception>
#include <string>

#include "callmem/error.hpp"
#include "callmem/version.h"
#include "commands.hpp"
#include "output.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "callmem " CALLMEM_VERSION_STRING
      ": call memory for contact centers.\n"
      "Remembers callers across calls: at call start it answers who is probably calling, how sure it is,\n"
      "and what is still open for them; at call end it saves intents and variables.",
      "callmem"};
  app.set_version_flag("--version", CALLMEM_VERSION_STRING, "Print the version and exit");
  app.require_subcommand(1);
  app.footer(
      "Every command takes the store as --db PATH (an SQLite file) or --dsn URI (PostgreSQL),\n"
      "or from the environment: CALLMEM_DB, CALLMEM_DSN. `callmem COMMAND --help` tells more.");
  callmem::cli::add_serve(app);
  callmem::cli::add_keys(app);
  callmem::cli::add_calls(app);
  callmem::cli::add_customers(app);
  callmem::cli::add_tenants(app);
  callmem::cli::add_credits(app);
  callmem::cli::add_feedback(app);
  callmem::cli::add_maintenance(app);
  callmem::cli::add_import(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const callmem::cli::Failure& f) {
    std::fprintf(stderr, "callmem: %s\n", f.message.c_str());
    return f.code;
  } catch (const callmem::Error& e) {
    std::fprintf(stderr, "callmem: %s\n", callmem::cli::describe(e).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "callmem: %s\n", e.what());
    return 1;
  }
  return 0;
}
