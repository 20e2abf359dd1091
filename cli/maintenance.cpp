// callmem purge, stats and check: the database as a whole, across tenants.
#include <chrono>
#include <cstdio>

#include "callmem/detail/wire.hpp"
#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"
#include "store/store.hpp"

namespace callmem::cli {
namespace {

struct MaintenanceOptions {
  StoreOptions store;
  std::int64_t limit = 10000;
  bool json = false;
};

// Batches until nothing expired is left, all judged at the time the command
// started (rows expiring meanwhile wait for the next purge, so it ends).
void purge(const MaintenanceOptions& o) {
  const std::unique_ptr<Engine> engine = open_engine(o.store, true);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  detail::Writer w;
  const std::string request =
      w.begin_object().key("now").time(now).key("limit").i64(o.limit).end_object().take();
  const bool json = json_output(o.json);
  const bool progress = stderr_is_terminal();
  std::vector<std::pair<std::string, std::int64_t>> deleted;  // summed, in the answer's order
  std::int64_t total = 0;
  std::int64_t batches = 0;
  const auto began = std::chrono::steady_clock::now();
  for (bool more = true; more;) {
    const std::string answer = engine->purge_expired_json(request);
    ++batches;
    if (json) std::printf("%s\n", answer.c_str());
    const std::optional<JsonValue> a = parse_json(answer);
    const JsonValue* d = a ? a->find("deleted") : nullptr;
    for (const auto& [table, count] : d ? d->members : std::vector<std::pair<std::string, JsonValue>>{}) {
      const std::int64_t n = std::stoll(count.text);
      total += n;
      bool found = false;
      for (auto& [name, sum] : deleted)
        if (name == table) sum += n, found = true;
      if (!found) deleted.emplace_back(table, n);
    }
    more = a && a->get("more") == "true";
    if (progress) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      std::fprintf(stderr, "\rpurge: %lld rows deleted, %lld batch%s, %.1f s", static_cast<long long>(total),
                   static_cast<long long>(batches), batches == 1 ? "" : "es", seconds);
      std::fflush(stderr);
    }
  }
  if (progress) std::fputc('\n', stderr);
  if (json) return;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [table, sum] : deleted) rows.push_back({table, std::to_string(sum)});
  std::printf("Purged %lld expired rows in %lld batch%s of at most %lld\n%s", static_cast<long long>(total),
              static_cast<long long>(batches), batches == 1 ? "" : "es", static_cast<long long>(o.limit),
              table({"DELETED", "ROWS"}, rows).c_str());
}

DatabaseInfo database_info(Store& store) {
  const std::unique_ptr<AcrossTenants> tx = store.begin_all(Access::read);
  DatabaseInfo info = tx->database_info();
  tx->commit();
  return info;
}

void stats(const MaintenanceOptions& o) {
  const std::unique_ptr<Store> store = open_store(o.store);
  const DatabaseInfo info = database_info(*store);
  const std::string tenants = tenant_counts_json(*store);
  detail::Writer w;
  w.begin_object().key("store").str(info.store).key("schema_version").i64(info.schema_version);
  w.key("library_schema_version").i64(info.library_schema_version).key("size_bytes").i64(info.size_bytes);
  const std::string answer = w.key("tenants").raw(tenants).end_object().take();
  print_answer(answer, o.json, "Database statistics");
}

void check(const MaintenanceOptions& o) {
  const std::unique_ptr<Store> store = open_store(o.store);
  const DatabaseInfo info = database_info(*store);
  const std::unique_ptr<AcrossTenants> tx = store->begin_all(Access::read);
  const std::vector<std::string> problems = tx->integrity_check();
  tx->commit();
  if (o.json) {
    detail::Writer w;
    w.begin_object().key("ok").boolean(problems.empty()).key("store").str(info.store);
    w.key("schema_version")
        .i64(info.schema_version)
        .key("library_schema_version")
        .i64(info.library_schema_version);
    w.key("problems").begin_array();
    for (const std::string& p : problems) w.str(p);
    std::printf("%s\n", w.end_array().end_object().take().c_str());
  } else if (problems.empty()) {
    std::printf("ok: %s, schema version %d (this library's: %d)\n", info.store.c_str(), info.schema_version,
                info.library_schema_version);
  } else {
    for (const std::string& p : problems) std::printf("problem: %s\n", p.c_str());
  }
  if (!problems.empty())
    throw Failure{exit_check_failed, "check: " + std::to_string(problems.size()) + " problem" +
                                         (problems.size() == 1 ? "" : "s") + " in the database"};
}

}  // namespace

void add_maintenance(CLI::App& app) {
  auto o = std::make_shared<MaintenanceOptions>();
  CLI::App* p =
      app.add_subcommand("purge", "Delete the expired data of every tenant, in batches, until none is left");
  add_store_options(*p, o->store);
  require_existing_database(*p);
  p->add_option("--limit", o->limit, "Rows per batch (one transaction each)")
      ->type_name("N")
      ->capture_default_str();
  add_json_flag(*p, o->json,
                "Print each batch's JSON answer, one a line (the default when stdout is not a terminal)");
  p->footer(
      "Each batch is one transaction of at most --limit rows, judged at the time the command started.\n"
      "Progress goes to stderr when it is a terminal. With --json (or stdout not a terminal), each\n"
      "batch's answer is printed on a line of its own.\n\n"
      "Example:\n  callmem purge --db calls.db --limit 5000");
  p->callback(with_exit_status([o] { purge(*o); }));

  CLI::App* s = app.add_subcommand(
      "stats",
      "The database: store, schema version, size, and per tenant its customers, identifiers, calls, ...");
  add_store_options(*s, o->store);
  require_existing_database(*s);
  add_json_flag(*s, o->json, "Print it as JSON");
  s->footer(
      "Per tenant: customers, identifier links, calls and open intents that have not expired, and API keys\n"
      "not revoked (as `tenant list`). The size is the SQLite file's pages, or the PostgreSQL schema's\n"
      "tables and indexes.\n\n"
      "Example:\n  callmem stats --db calls.db");
  s->callback(with_exit_status([o] { stats(*o); }));

  CLI::App* c = app.add_subcommand(
      "check", "The store's integrity check and schema version; exits 9 when it finds a problem");
  add_store_options(*c, o->store);
  require_existing_database(*c);
  add_json_flag(*c, o->json,
                R"(Print {"ok", "store", "schema_version", "library_schema_version", "problems"})");
  c->footer(
      "SQLite: PRAGMA integrity_check, callmem's application id, the schema version, every table.\n"
      "PostgreSQL: the schema version, every table, no invalid index (pg_amcheck checks its pages).\n\n"
      "Example:\n  callmem check --db calls.db && echo sound");
  c->callback(with_exit_status([o] { check(*o); }));
}

}  // namespace callmem::cli
