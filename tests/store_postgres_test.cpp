// The store suite against a real PostgreSQL server, then what only a shared
// server has: several nodes (stores, processes) on one database, round trips
// per operation, reconnection. The server's DSN comes from the environment
// (CALLMEM_TEST_PG_DSN; scripts/test starts one with scripts/pg-server); every
// store gets a schema of its own, so test cases never see each other's rows.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "callmem/callmem.h"
#include "engine.hpp"
#include "json/codec.hpp"
#include "locale.hpp"
#include "races.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_suite.hpp"
#include "temp_dir.hpp"

using namespace callmem;

namespace {

std::string dsn() {
  const char* d = std::getenv("CALLMEM_TEST_PG_DSN");
  if (d == nullptr || *d == '\0')
    FAIL("CALLMEM_TEST_PG_DSN is not set: run scripts/test, or start a server with scripts/pg-server");
  return d;
}

// A schema no other test case uses.
std::string fresh_schema() {
  static std::atomic<int> n{0};
  return fmt::format("t{}_{}_{}", getpid(), std::time(nullptr) % 100000, n++);
}

PgOptions pg_options(const std::string& schema) {
  PgOptions o;
  o.dsn = dsn();
  o.schema = schema;
  o.busy_timeout_ms = 20000;
  return o;
}

std::unique_ptr<Store> make_pg_store() { return std::make_unique<PgStore>(pg_options(fresh_schema())); }

EngineOptions memory_options(const std::string& schema) {
  EngineOptions o;
  o.store = "postgres";
  o.dsn = dsn();
  o.schema = schema;
  o.busy_timeout_ms = 20000;
  return o;
}

// One statement on a connection of the test's own; the first value.
std::string sql(const std::string& text) {
  PGconn* c = PQconnectdb(dsn().c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, text.c_str());
  const ExecStatusType st = PQresultStatus(r);
  INFO(PQresultErrorMessage(r));
  REQUIRE((st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK));
  std::string out = st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  PQfinish(c);
  return out;
}

// The server drops every connection of the library's, as a restart would,
// and they are gone when this returns.
void drop_library_connections() {
  const std::string callmem =
      "FROM pg_stat_activity WHERE application_name = 'callmem' AND pid <> pg_backend_pid()";
  sql("SELECT count(pg_terminate_backend(pid)) " + callmem);
  for (int i = 0; i < 500 && sql("SELECT count(*) " + callmem) != "0"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

std::string start_json(const std::string& call_id, const std::string& ani) {
  return fmt::format(
      R"({{"call_id": "{}", "identity_hints": {{"ani": "{}"}}, "telco": {{"line_type": "mobile"}}}})",
      call_id, ani);
}

std::string ref_of(const std::string& start_response) {
  return json::read_start_response(start_response).customer_ref;
}

CustomerView customer(Engine& mem, const std::string& ref) {
  GetRequest g;
  g.who.customer_ref = ref;
  return mem.get_customer("acme", g);
}

}  // namespace

CALLMEM_STORE_SUITE("postgres", make_pg_store)
// No number conversion may depend on the host's C locale (tests/locale.hpp).
CALLMEM_STORE_SUITE_IN("postgres in de_DE.UTF-8", make_pg_store, callmem::test_locale::CommaDecimalLocale)

TEST_CASE("postgres: the schema is created once, versioned, in the schema named") {
  const std::string schema = fresh_schema();
  { PgStore a(pg_options(schema)); }
  PgStore b(pg_options(schema));  // opening again migrates nothing
  CHECK(sql(fmt::format("SELECT max(version) FROM {}.schema_version", schema)) ==
        std::to_string(PgStore::schema_version()));
  CHECK(sql(fmt::format("SELECT count(*) FROM {}.schema_version", schema)) == "1");
  // Every table's primary key starts with the tenant (the sharding key).
  CHECK(sql(fmt::format("SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}' "
                        "AND table_name <> 'schema_version'",
                        schema)) == "13");
  CHECK(sql(fmt::format("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a "
                        "ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
                        "WHERE n.nspname = '{}' AND i.indisprimary AND a.attname = 'tenant'",
                        schema)) == "13");
}

TEST_CASE("postgres: a newer schema than the library knows is refused") {
  const std::string schema = fresh_schema();
  { PgStore a(pg_options(schema)); }
  sql(fmt::format("UPDATE {}.schema_version SET version = 999", schema));
  try {
    PgStore b(pg_options(schema));
    FAIL("opened a newer schema");
  } catch (const Error& e) {
    CHECK(e.status() == Status::store);
    CHECK(std::string(e.what()).find("newer") != std::string::npos);
  }
}

TEST_CASE("postgres: an unreachable server is busy, a bad dsn refused, with the reason") {
  PgOptions o = pg_options("x");
  o.dsn = "postgresql://callmem@127.0.0.1:1/postgres?connect_timeout=2";
  try {
    PgStore s(o);
    FAIL("connected to nothing");
  } catch (const Error& e) {
    CHECK(e.status() == Status::busy);
    CHECK(std::string(e.what()).find("cannot connect") != std::string::npos);
  }
  EngineOptions bad;
  bad.store = "postgres";
  try {
    Engine m(bad);
    FAIL("opened without a dsn");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].path == std::vector<std::string>{"dsn"});
  }
}

TEST_CASE("postgres: start and end take two round trips each") {
  auto owned = std::make_unique<PgStore>(pg_options(fresh_schema()));
  PgStore* store = owned.get();
  Engine mem(std::move(owned), EngineOptions{});
  // Warm: the tenant's feedback counts are read once a minute, not per call.
  mem.start_call_json("acme", start_json("warm-1", "+14155550100"));
  mem.start_call_json("acme", start_json("warm-2", "+14155550100"));

  auto trips = [&](auto&& f) {
    const std::uint64_t before = store->round_trips();
    f();
    return store->round_trips() - before;
  };
  CHECK(trips([&] { mem.start_call_json("acme", start_json("c1", "+14155550111")); }) == 2);  // new caller
  CHECK(trips([&] {
          mem.end_call_json("acme", R"({"call_id": "c1", "intent": "refund", "variables": {"name": "Ann"}})");
        }) == 2);
  CHECK(trips([&] { mem.start_call_json("acme", start_json("c2", "+14155550111")); }) == 2);  // returning
  CHECK(trips([&] {
          mem.end_call_json("acme", R"({"call_id": "c2", "intent": "refund", "intent_status": "resolved"})");
        }) == 2);
  // A replay reads its stored answer and rolls back.
  CHECK(trips([&] { mem.start_call_json("acme", start_json("c2", "+14155550111")); }) == 2);
  mem.start_call_json("acme", start_json("c3", "+14155550111"));
  CHECK(trips([&] { mem.end_call_json("acme", R"({"call_id": "c3", "variables": {"name": null}})"); }) == 3);
  CHECK(trips([&] { mem.configure_tenant_json("acme", R"({"ttl_days": 40})"); }) == 2);
  CHECK(trips([&] { mem.tenant_settings_json("acme", "{}"); }) == 2);
  CHECK(trips([&] { mem.configure_tenant_json("acme", "{}"); }) == 2);  // a read
  CHECK(trips([&] { mem.grant_credits_json("acme", R"({"amount": 5, "idempotency_key": "k"})"); }) == 3);
  CHECK(trips([&] { mem.usage_json("acme", "{}"); }) == 3);
  CHECK(trips([&] { mem.purge_expired_json("{}"); }) <= 8);
  // A read: what the customer is, then its call history, then the end of the snapshot.
  CHECK(trips([&] { mem.get_customer_json("acme", R"({"identity_hints": {"ani": "+14155550111"}})"); }) == 3);
}

TEST_CASE("postgres: forget and export find the customer by its number or an external id") {
  Engine mem(memory_options(fresh_schema()));
  int n = 0;
  for (const char* hint : {R"({"ani": "+14155550133"})", R"({"external_ids": {"crm_id": "CRM_133"}})"}) {
    CAPTURE(hint);
    const std::string ref = ref_of(mem.start_call_json(
        "acme", fmt::format(R"({{"call_id": "f-{}", "identity_hints": {{"ani": "+14155550133", )"
                            R"("external_ids": {{"crm_id": "CRM_133"}}}}}})",
                            n++)));
    const std::string selector = std::string(R"({"identity_hints": )") + hint + "}";
    CHECK(mem.export_customer_json("acme", selector).find(ref) != std::string::npos);
    CHECK(mem.forget_customer_json("acme", selector) ==
          R"({"customer_ref":")" + ref +
              R"(","removed":{"identities":2,"intents":0,"variables":0,"calls":1,"aliases":0,"merges":0}})");
    GetRequest g;
    g.who.customer_ref = ref;
    CHECK_THROWS_AS(mem.get_customer("acme", g), Error);
  }
}

TEST_CASE("postgres: settings and answers keep their numbers in a comma-decimal locale") {
  callmem::test_locale::CommaDecimalLocale in_de_de;
  Engine mem(memory_options(fresh_schema()));
  const std::string settings = mem.configure_tenant_json(
      "acme", R"({"levels": {"very_high": 0.95, "high": 0.75, "medium": 0.55}, "recommendations": )"
              R"({"reuse": 0.55, "confirm": 0.35}, "identity": {"weights": {"ani": {"m": 0.875}}}})");
  for (const char* number : {R"("very_high":0.95)", R"("reuse":0.55)", R"("confirm":0.35)", R"("m":0.875)"})
    CHECK(settings.find(number) != std::string::npos);
  CHECK(mem.tenant_settings("acme").reuse == 0.55);
  CHECK(mem.tenant_settings("acme").identity_weights.ani_m == 0.875);
  mem.start_call_json("acme", start_json("l-1", "+14155550144"));
  const StartResponse again =
      json::read_start_response(mem.start_call_json("acme", start_json("l-2", "+14155550144")));
  CHECK(again.identity.confidence > 0.55);
  CHECK(again.identity.recommendation == callmem::Recommendation::reuse);
  // Feedback keeps the answer's probability (a double) for re-estimation.
  mem.identity_feedback_json("acme", R"({"call_id": "l-2", "outcome": "confirmed"})");
  CHECK(mem.tenant_settings("acme").level_very_high == 0.95);
}

TEST_CASE("postgres: a variable with its own ttl keeps its customer and the links that lead to it") {
  const Millis day = 86400000;
  auto clock = std::make_shared<ManualClock>(1770000000000);
  EngineOptions o = memory_options(fresh_schema());
  o.clock = clock;
  Engine mem(o);
  mem.configure_tenant_json("acme", R"({"ttl_days": 1})");
  const std::string ref = ref_of(mem.start_call_json("acme", start_json("k-1", "+14155550155")));
  mem.end_call_json("acme", R"({"call_id": "k-1", "variables": {"order_id": "A1", "name": "Ann"}, )"
                            R"("variable_ttl_seconds": {"order_id": 2592000}})");
  clock->advance(5 * day);
  CHECK(mem.purge_expired(PurgeRequest{std::nullopt, 1000}).deleted.customers == 0);
  const CustomerView v = customer(mem, ref);
  CHECK(v.variables.size() == 1);
  CHECK(v.variables.count("order_id") == 1);
  CHECK(v.identities.size() == 1);
  const StartResponse again = json::read_start_response(mem.start_call_json(
      "acme",
      R"({"call_id": "k-2", "identity_hints": {"ani": "+14155550155", "external_ids": {"crm_id": "K2"}}, )"
      R"("telco": {"line_type": "mobile"}})"));
  CHECK(again.customer_ref == ref);
  CHECK(again.variables.count("order_id") == 1);
  clock->advance(15 * day);
  CHECK(ref_of(mem.start_call_json(
            "acme", R"({"call_id": "k-3", "identity_hints": {"external_ids": {"crm_id": "K2"}}})")) == ref);
  clock->advance(11 * day);  // past the variable's 30 days
  CHECK_THROWS_AS(customer(mem, ref), Error);
}

TEST_CASE("postgres: the C ABI opens a shared memory from its configuration") {
  const std::string config = fmt::format(
      R"({{"store": "postgres", "dsn": "{}", "schema": "{}", "pool_size": 4}})", dsn(), fresh_schema());
  callmem_db* a = nullptr;
  callmem_db* b = nullptr;
  REQUIRE(callmem_open(&a, config.c_str()) == CALLMEM_OK);
  REQUIRE(callmem_open(&b, config.c_str()) == CALLMEM_OK);
  char* out = nullptr;
  REQUIRE(callmem_call_start(a, "acme", start_json("abi-1", "+14155550122").c_str(), &out) == CALLMEM_OK);
  const std::string first = out;
  callmem_free(out);
  // The other node answers the replay with the same bytes.
  REQUIRE(callmem_call_start(b, "acme", start_json("abi-1", "+14155550122").c_str(), &out) == CALLMEM_OK);
  CHECK(first == out);
  callmem_free(out);
  // And a conflicting reuse of the call_id is a conflict there too.
  CHECK(callmem_call_start(b, "acme", start_json("abi-1", "+14155550999").c_str(), nullptr) ==
        CALLMEM_ECONFLICT);
  callmem_close(a);
  callmem_close(b);

  callmem_db* none = nullptr;
  CHECK(callmem_open(&none, R"({"store": "postgres"})") == CALLMEM_EINVALID);
  CHECK(none == nullptr);
  CHECK(std::string(callmem_last_error()).find("dsn") != std::string::npos);
}

TEST_CASE("postgres: two nodes taking the first call from one new number make one customer") {
  const std::string schema = fresh_schema();
  Engine node_a(memory_options(schema));
  Engine node_b(memory_options(schema));
  Engine* nodes[] = {&node_a, &node_b};
  constexpr int kThreads = 8;
  for (int round = 0; round < 10; ++round) {
    const std::string ani = fmt::format("+1415556{:04}", round);
    const std::vector<std::string> refs = run_threads(kThreads, [&](int t) {
      return ref_of(nodes[t % 2]->start_call_json("acme", start_json(fmt::format("r{}-{}", round, t), ani)));
    });
    CAPTURE(round);
    CHECK(std::set<std::string>(refs.begin(), refs.end()).size() == 1);
  }
}

TEST_CASE("postgres: concurrent ends of one customer's calls on two nodes lose no update") {
  const std::string schema = fresh_schema();
  Engine node_a(memory_options(schema));
  Engine node_b(memory_options(schema));
  constexpr int kCalls = 24;
  std::string ref;
  for (int i = 0; i < kCalls; ++i)
    ref = ref_of(node_a.start_call_json("acme", start_json(fmt::format("e{}", i), "+14155550133")));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      Engine& node = i % 2 ? node_a : node_b;
      node.end_call_json(
          "acme", fmt::format(R"({{"call_id": "e{}", "intent": "topic_{}", "variables": {{"v{}": {}}}}})", i,
                              i % 6, i, i));
    });
  }
  for (auto& t : threads) t.join();
  const CustomerView v = customer(node_b, ref);
  CHECK(v.variables.size() == kCalls);
  REQUIRE(v.intents.size() == 6);
  std::int64_t attempts = 0;
  for (const auto& i : v.intents) attempts += i.attempt_count;
  CHECK(attempts == kCalls);
}

TEST_CASE("postgres: credits are never overdrawn by nodes racing") {
  const std::string schema = fresh_schema();
  Engine node_a(memory_options(schema));
  Engine node_b(memory_options(schema));
  node_a.configure_tenant_json("acme", R"({"billing": {"enabled": true, "prices": {"start_new": 1}}})");
  node_a.grant_credits_json("acme", R"({"amount": 10, "idempotency_key": "g1"})");
  node_b.grant_credits_json("acme",
                            R"({"amount": 10, "idempotency_key": "g1"})");  // a replay: no more credits
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&, i] {
      try {
        (i % 2 ? node_a : node_b)
            .start_call_json("acme", start_json(fmt::format("p{}", i), fmt::format("+1415557{:04}", i)));
        ++ok;
      } catch (const Error& e) {
        (e.status() == Status::insufficient_credits ? refused : other)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok.load() == 10);
  CHECK(refused.load() == 20);
  CHECK(other.load() == 0);
  CHECK(node_b.usage("acme", UsageRequest{}).balance == 0);
}

TEST_CASE("postgres: several nodes purge at once without double work or deadlock") {
  const std::string schema = fresh_schema();
  auto clock = std::make_shared<ManualClock>(1770000000000);
  EngineOptions o = memory_options(schema);
  o.clock = clock;
  Engine writer(o);
  writer.configure_tenant_json("acme", R"({"ttl_days": 1})");
  constexpr int kCalls = 120;
  for (int i = 0; i < kCalls; ++i) {
    writer.start_call_json("acme", start_json(fmt::format("x{}", i), fmt::format("+1415558{:04}", i)));
    writer.end_call_json("acme",
                         fmt::format(R"({{"call_id": "x{}", "intent": "a", "variables": {{"k": 1}}}})", i));
  }
  // Per call: a customer, its link, a call, an intent, a variable.
  constexpr std::int64_t kRows = 5 * kCalls;
  std::atomic<std::int64_t> deleted{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < 3; ++n) {
    threads.emplace_back([&] {
      try {
        Engine node(o);
        for (;;) {
          const PurgeResult r = node.purge_expired(PurgeRequest{1770000000000 + 3 * 86400000LL, 50});
          deleted += r.deleted.total();
          if (r.deleted.total() == 0) break;
        }
      } catch (const std::exception& e) {
        ++errors;
        MESSAGE(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors.load() == 0);
  CHECK(deleted.load() == kRows);
  CHECK(sql(fmt::format("SELECT (SELECT count(*) FROM {0}.customers) + (SELECT count(*) FROM {0}.calls) + "
                        "(SELECT count(*) FROM {0}.identities) + (SELECT count(*) FROM {0}.intents) + "
                        "(SELECT count(*) FROM {0}.variables)",
                        schema)) == "0");
}

TEST_CASE("postgres: a store reconnects after the server dropped its connections") {
  const std::string schema = fresh_schema();
  Engine mem(memory_options(schema));
  const std::string ref = ref_of(mem.start_call_json("acme", start_json("k1", "+14155550144")));
  // Every connection of the library's is killed, as a server restart would.
  CHECK(
      sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'callmem' "
          "AND pid <> pg_backend_pid()") != "0");
  CHECK(ref_of(mem.start_call_json("acme", start_json("k2", "+14155550144"))) == ref);
  CHECK(ref_of(mem.start_call_json("acme", start_json("k3", "+14155550144"))) == ref);
}

TEST_CASE("postgres: a connection that could not be set up again is closed, and its slot freed") {
  const std::string schema = fresh_schema();
  PgOptions o = pg_options(schema);
  o.pool_size = 1;
  PgStore store(o);
  {
    auto tx = store.begin("acme", Access::write);
    tx->tenant_put(TenantRow{});
    tx->commit();
  }
  // The store's one connection is dropped, and a new one cannot prepare the
  // statements on tenants for now: the transaction that reconnects fails.
  drop_library_connections();
  sql(fmt::format("ALTER TABLE {}.tenants RENAME TO tenants_away", schema));
  {
    auto tx = store.begin("acme", Access::read);
    CHECK_THROWS_AS(tx->tenant_get(), Error);
  }
  sql(fmt::format("ALTER TABLE {}.tenants_away RENAME TO tenants", schema));
  // The half set up connection was not pooled: the one slot makes a new one.
  auto tx = store.begin("acme", Access::read);
  CHECK(tx->tenant_get().has_value());
  tx->commit();
}

TEST_CASE("postgres: both stores' schemas have the same tables and columns") {
  TempDir dir;
  const std::string path = dir.file("columns.db");
  { SqliteStore create(path, 1000); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(
      sqlite3_prepare_v2(db,
                         "SELECT m.name || '.' || c.name FROM sqlite_master m, pragma_table_info(m.name) c "
                         "WHERE m.type = 'table' ORDER BY 1",
                         -1, &s, nullptr) == SQLITE_OK);
  std::string sqlite_columns;
  while (sqlite3_step(s) == SQLITE_ROW)
    sqlite_columns += std::string(sqlite_columns.empty() ? "" : ",") +
                      reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);

  const std::string schema = fresh_schema();
  { PgStore create(pg_options(schema)); }
  // schema_version is PostgreSQL's PRAGMA user_version.
  const std::string pg_columns = sql(fmt::format(
      "SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name || '.' || column_name "
      "COLLATE \"C\") "
      "FROM information_schema.columns WHERE table_schema = '{}' AND table_name <> 'schema_version'",
      schema));
  CHECK(sqlite_columns.find("tenants.identity_weights") != std::string::npos);
  CHECK(sqlite_columns == pg_columns);
}

TEST_CASE("postgres: a store carries on after the server restarted") {
  const char* dir = std::getenv("CALLMEM_TEST_PG_DIR");
  if (dir == nullptr || *dir == '\0') {
    MESSAGE("CALLMEM_TEST_PG_DIR is not set: the server (scripts/pg-server) is not restarted");
    return;
  }
  const std::string schema = fresh_schema();
  Engine mem(memory_options(schema));
  const std::string ref = ref_of(mem.start_call_json("acme", start_json("r1", "+14155550155")));
  mem.end_call_json("acme", R"({"call_id": "r1", "variables": {"name": "Ann"}})");
  const std::string restart = fmt::format("{}/scripts/pg-server restart '{}'", CALLMEM_SOURCE_DIR, dir);
  REQUIRE(std::system(restart.c_str()) == 0);
  // Every pooled connection is dead now: the first batch of the next
  // operation finds out, and is sent again on a new connection.
  const StartResponse r =
      json::read_start_response(mem.start_call_json("acme", start_json("r2", "+14155550155")));
  CHECK(r.customer_ref == ref);
  CHECK(r.variables.at("name").value.text == "\"Ann\"");
  mem.end_call_json("acme", R"({"call_id": "r2"})");
}

TEST_CASE(
    "postgres: a writer waiting past the busy timeout for its tenant is busy; other tenants are not held") {
  const std::string schema = fresh_schema();
  PgOptions o = pg_options(schema);
  o.busy_timeout_ms = 300;
  PgStore store(o);
  auto holder = store.begin("acme", Access::write);
  holder->customer_insert(store_suite::customer("c1", store_suite::kT0, store_suite::kT0 + 1000));
  holder->tenant_get();  // sends: the lock is held from here
  {
    auto other = store.begin("globex", Access::write);
    other->tenant_get();  // another tenant: no wait
    other->commit();
  }
  auto waiter = store.begin("acme", Access::write);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    waiter->tenant_get();
    FAIL("took a held lock");
  } catch (const Error& e) {
    CHECK(e.status() == Status::busy);
  }
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(250));
  holder->commit();
  auto after = store.begin("acme", Access::read);
  CHECK(after->customer_get("c1", store_suite::kT0).has_value());
}

TEST_CASE("postgres: processes as separate nodes hammering one database") {
  const std::string schema = fresh_schema();
  { Engine create(memory_options(schema)); }  // the schema exists before the race
  constexpr int kProcs = 4, kCalls = 40, kNumbers = 8;
  const std::string all = run_processes(kProcs, [&](int p) {
    Engine mem(memory_options(schema));
    std::string out;
    for (int i = 0; i < kCalls; ++i) {
      const std::string call = fmt::format("p{}-{}", p, i);
      const int number = (i * 7 + p) % kNumbers;
      const std::string ref =
          ref_of(mem.start_call_json("acme", start_json(call, fmt::format("+1415559{:04}", number))));
      mem.end_call_json("acme",
                        fmt::format(R"({{"call_id": "{}", "variables": {{"p{}_{}": true}}}})", call, p, i));
      out += fmt::format("{} {}\n", number, ref);
    }
    return out;
  });
  std::map<int, std::set<std::string>> refs;
  std::istringstream in(all);
  int number;
  std::string ref;
  while (in >> number >> ref) refs[number].insert(ref);
  REQUIRE(refs.size() == kNumbers);
  Engine mem(memory_options(schema));
  std::size_t variables = 0;
  for (const auto& [n, set] : refs) {
    CAPTURE(n);
    REQUIRE(set.size() == 1);  // one customer per number, whichever node took its first call
    variables += customer(mem, *set.begin()).variables.size();
  }
  CHECK(variables == kProcs * kCalls);  // every node's every end kept
}

// ---- what a writer locks (docs/storage.md, "Concurrency across nodes")

namespace {

// A write transaction holding what a start of `call_id` from `ani` contends on.
std::unique_ptr<Transaction> holding(Store& store, const std::string& call_id, const std::string& ani) {
  auto tx = store.begin("acme", Access::write);
  tx->prefetch(Prefetch{call_id, {Identifier{"ani", "", ani}}, {}});
  return tx;
}

// How many rows of `ref` are left in the schema's tables.
std::string rows_of(const std::string& schema, const std::string& ref) {
  return sql(
      fmt::format("SELECT (SELECT count(*) FROM {0}.customers WHERE customer_ref = '{1}') + "
                  "(SELECT count(*) FROM {0}.identities WHERE customer_ref = '{1}') + "
                  "(SELECT count(*) FROM {0}.calls WHERE customer_ref = '{1}') + "
                  "(SELECT count(*) FROM {0}.intents WHERE customer_ref = '{1}') + "
                  "(SELECT count(*) FROM {0}.variables WHERE customer_ref = '{1}')",
                  schema, ref));
}

}  // namespace

TEST_CASE("postgres: writers of one tenant on other numbers and customers do not wait for each other") {
  const std::string schema = fresh_schema();
  PgOptions o = pg_options(schema);
  o.busy_timeout_ms = 300;
  Engine node(std::make_unique<PgStore>(o), EngineOptions{});
  const std::string known = ref_of(node.start_call_json("acme", start_json("w-0", "+14155550160")));
  node.start_call_json("acme", start_json("w-1", "+14155550161"));
  PgStore other(o);
  // Another node is in the middle of a start from +14155550162 (the number's
  // lock and the call's are held until it commits).
  auto held = holding(other, "w-2", "+14155550162");
  // Writers of other numbers, calls and customers go on meanwhile.
  CHECK(ref_of(node.start_call_json("acme", start_json("w-3", "+14155550160"))) == known);
  node.start_call_json("acme", start_json("w-4", "+14155550163"));
  node.end_call_json("acme", R"({"call_id": "w-1", "variables": {"name": "Bo"}})");
  node.configure_tenant_json("globex", R"({"ttl_days": 10})");
  // A start from the same number waits for it: past the busy timeout, busy.
  try {
    node.start_call_json("acme", start_json("w-5", "+14155550162"));
    FAIL("took a held number");
  } catch (const Error& e) {
    CHECK(e.status() == Status::busy);
  }
  // So does a retry of the same call from any number,
  CHECK_THROWS_AS(node.start_call_json("acme", start_json("w-2", "+14155550169")), Error);
  // and what locks the whole tenant (its settings).
  CHECK_THROWS_AS(node.configure_tenant_json("acme", R"({"ttl_days": 10})"), Error);
  held->commit();
  node.start_call_json("acme", start_json("w-5", "+14155550162"));

  // With PgLock::tenant (as before), the tenant's writers take turns.
  o.lock = PgLock::tenant;
  PgStore whole(o);
  auto turns = holding(whole, "w-6", "+14155550164");
  Engine tenant_node(std::make_unique<PgStore>(o), EngineOptions{});
  CHECK_THROWS_AS(tenant_node.start_call_json("acme", start_json("w-7", "+14155550165")), Error);
  // A node locking finely waits for it too (the tenant's lock, held shared).
  CHECK_THROWS_AS(node.start_call_json("acme", start_json("w-8", "+14155550166")), Error);
  turns->commit();
  tenant_node.start_call_json("acme", start_json("w-7", "+14155550165"));
}

TEST_CASE("postgres: a retried start on two nodes at once answers the same bytes") {
  const std::string schema = fresh_schema();
  Engine node_a(memory_options(schema));
  Engine node_b(memory_options(schema));
  Engine* nodes[] = {&node_a, &node_b};
  for (int round = 0; round < 5; ++round) {
    const std::string request =
        start_json(fmt::format("same-{}", round), fmt::format("+1415554{:04}", round));
    const std::vector<std::string> answers =
        run_threads(6, [&](int t) { return nodes[t % 2]->start_call_json("acme", request); });
    CHECK(std::set<std::string>(answers.begin(), answers.end()).size() == 1);
  }
}

TEST_CASE("postgres: merges racing ends of both customers' calls lose nothing") {
  const std::string schema = fresh_schema();
  Engine node_a(memory_options(schema));
  Engine node_b(memory_options(schema));
  constexpr int kCalls = 8;
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    const std::string x_ani = fmt::format("+1415553{:04}", 2 * round),
                      y_ani = fmt::format("+1415553{:04}", 2 * round + 1);
    const std::string x =
        ref_of(node_a.start_call_json("acme", start_json(fmt::format("m{}-x0", round), x_ani)));
    const std::string y =
        ref_of(node_a.start_call_json("acme", start_json(fmt::format("m{}-y0", round), y_ani)));
    for (int i = 1; i <= kCalls; ++i) {
      node_a.start_call_json("acme", start_json(fmt::format("m{}-x{}", round, i), x_ani));
      node_a.start_call_json("acme", start_json(fmt::format("m{}-y{}", round, i), y_ani));
    }
    // The ends of both customers' calls on two nodes, and the correction
    // that merges y into x, all at once.
    run_threads(2 * kCalls + 1, [&](int t) {
      if (t == 2 * kCalls) {
        return node_b.identity_feedback_json(
            "acme", fmt::format(R"({{"call_id": "m{}-y0", "outcome": "corrected", "customer_ref": "{}"}})",
                                round, x));
      }
      const char who = t % 2 ? 'x' : 'y';
      const std::string call = fmt::format("m{}-{}{}", round, who, t / 2 + 1);
      return (t % 4 < 2 ? node_a : node_b)
          .end_call_json(
              "acme", fmt::format(R"({{"call_id": "{}", "intent": "topic_{}", "variables": {{"v_{}": 1}}}})",
                                  call, who, call));
    });
    const CustomerView v = customer(node_b, x);
    CHECK(v.variables.size() == 2 * kCalls);
    REQUIRE(v.intents.size() == 2);
    for (const auto& i : v.intents) CHECK(i.attempt_count == kCalls);
    CHECK(v.identities.size() == 2);
    CHECK(rows_of(schema, y) == "0");  // everything of y moved, nothing written to it after
    GetRequest by_alias;
    by_alias.who.customer_ref = y;
    CHECK(node_a.get_customer("acme", by_alias).customer_ref == x);
  }
}

TEST_CASE("postgres: a forget racing starts of the same customer leaves nothing of it") {
  const std::string schema = fresh_schema();
  Engine node_a(memory_options(schema));
  Engine node_b(memory_options(schema));
  for (int round = 0; round < 8; ++round) {
    CAPTURE(round);
    const std::string ani = fmt::format("+1415552{:04}", round);
    const std::string a =
        ref_of(node_a.start_call_json("acme", start_json(fmt::format("g{}-0", round), ani)));
    node_a.end_call_json(
        "acme",
        fmt::format(R"({{"call_id": "g{}-0", "intent": "refund", "variables": {{"name": "Ann"}}}})", round));
    const std::vector<std::string> refs = run_threads(5, [&](int t) {
      if (t == 0) {
        node_b.forget_customer_json("acme", fmt::format(R"({{"customer_ref": "{}"}})", a));
        return std::string();
      }
      return ref_of((t % 2 ? node_a : node_b)
                        .start_call_json("acme", start_json(fmt::format("g{}-{}", round, t), ani)));
    });
    CHECK(rows_of(schema, a) ==
          "0");  // a start before the forget: its call went with it; after: a new customer
    std::set<std::string> after;
    for (const std::string& r : refs)
      if (!r.empty() && r != a) after.insert(r);
    CHECK(after.size() <= 1);  // one new customer for the number, whichever start made it
    for (const std::string& b : after) CHECK(customer(node_a, b).identities.size() == 1);
  }
}
