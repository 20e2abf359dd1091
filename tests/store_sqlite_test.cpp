// The store suite against SQLite (a real file in a temporary directory, and
// ":memory:"), then what only SQLite has: migrations, WAL, busy, reopening.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine.hpp"
#include "locale.hpp"
#include "store/sqlite/pool.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_suite.hpp"
#include "temp_dir.hpp"

namespace {

using callmem::Access;
using callmem::AcrossTenants;
using callmem::Error;
using callmem::SqliteStore;
using callmem::Status;
using callmem::Store;
using callmem::Transaction;
namespace suite = callmem::store_suite;

// A SQLite store on a file of its own, and the directory it lives in (the
// store closes before the directory goes).
class TempFileStore final : public Store {
 public:
  TempFileStore() : store_(dir_.file("callmem.db"), 5000) {}
  std::unique_ptr<Transaction> begin(const std::string& tenant, Access access) override {
    return store_.begin(tenant, access);
  }
  std::unique_ptr<AcrossTenants> begin_all(Access access) override { return store_.begin_all(access); }

 private:
  TempDir dir_;
  SqliteStore store_;
};

std::unique_ptr<Store> make_file_store() { return std::make_unique<TempFileStore>(); }
std::unique_ptr<Store> make_memory_store() { return std::make_unique<SqliteStore>(":memory:", 5000); }

// What a plain connection of our own reads from the file.
std::string pragma(const std::string& path, const std::string& name) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::string sql = "PRAGMA " + name;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// The first value a query gives on a plain connection of our own.
std::string exec_count(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
          SQLITE_OK);
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

// A file's bytes, "" when it does not exist.
std::string bytes_of(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return "";
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fclose(f);
  return out;
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

// Opening `path` is refused with a store error that says why (`reason`), and
// leaves the file as it was: the same bytes, no -wal, -shm or -journal beside it.
void refused(const std::string& path, const std::string& reason) {
  CAPTURE(path);
  const std::string before = bytes_of(path);
  REQUIRE_FALSE(before.empty());
  try {
    SqliteStore store(path, 1000);
    FAIL("opened a file that is not callmem's");
  } catch (const Error& e) {
    CHECK(e.status() == Status::store);
    const std::string what = e.what();
    CHECK(what.find(path + " is not a callmem database") != std::string::npos);
    CHECK_MESSAGE(what.find(reason) != std::string::npos, what);
  }
  CHECK(bytes_of(path) == before);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) CHECK_FALSE(exists(path + suffix));
}

Status status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

}  // namespace

CALLMEM_STORE_SUITE("sqlite file store", make_file_store)
CALLMEM_STORE_SUITE("sqlite memory store", make_memory_store)
// No number conversion may depend on the host's C locale (tests/locale.hpp).
CALLMEM_STORE_SUITE_IN("sqlite file store in de_DE.UTF-8", make_file_store,
                       callmem::test_locale::CommaDecimalLocale)

TEST_CASE("sqlite store: a fresh file gets the schema version, WAL and the tables") {
  TempDir dir;
  const std::string path = dir.file("fresh.db");
  { SqliteStore store(path, 1000); }
  CHECK(SqliteStore::schema_version() >= 1);
  CHECK(pragma(path, "user_version") == std::to_string(SqliteStore::schema_version()));
  CHECK(pragma(path, "journal_mode") == "wal");
  for (const char* table :
       {"tenants", "customers", "identities", "calls", "intents", "variables", "credit_grants", "usage"}) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    CHECK_MESSAGE(sqlite3_table_column_metadata(db, nullptr, table, "tenant", nullptr, nullptr, nullptr,
                                                nullptr, nullptr) == SQLITE_OK,
                  table);
    sqlite3_close(db);
  }
}

TEST_CASE("sqlite store: reopening keeps the data and does not migrate again") {
  TempDir dir;
  const std::string path = dir.file("reopen.db");
  {
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->customer_insert(suite::customer("c1", suite::kT0, suite::kT0 + suite::kHour));
    tx->variable_put("c1", suite::variable("name", "\"x\"", suite::kT0, suite::kT0 + suite::kHour));
    tx->commit();
  }
  for (int i = 0; i < 2; ++i) {
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::read);
    CHECK(tx->customer_get("c1", suite::kT0).has_value());
    CHECK(tx->variables_of("c1", suite::kT0).size() == 1);
  }
  CHECK(pragma(path, "user_version") == std::to_string(SqliteStore::schema_version()));
}

TEST_CASE("sqlite store: a schema newer than the library is refused") {
  TempDir dir;
  const std::string path = dir.file("newer.db");
  { SqliteStore store(path, 1000); }
  exec_sql(path, "PRAGMA user_version = " + std::to_string(SqliteStore::schema_version() + 1));
  CHECK(status_of([&] { SqliteStore store(path, 1000); }) == Status::store);
}

TEST_CASE("sqlite store: a file that is not a database is a store error") {
  TempDir dir;
  const std::string path = dir.file("junk.db");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  CHECK(status_of([&] { SqliteStore store(path, 100); }) == Status::store);
  CHECK(status_of([&] { SqliteStore store(dir.file("no/such/dir/x.db"), 100); }) == Status::store);
}

TEST_CASE("sqlite store: a file that is not callmem's is refused and left as it was") {
  TempDir dir;
  // Another application's database, with a table of its own.
  const std::string notes = dir.file("notes.db");
  exec_sql(
      notes,
      "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES('keep me')");
  refused(notes, "tables that are not callmem's: notes");
  // Another user_version, no tables.
  const std::string versioned = dir.file("versioned.db");
  exec_sql(versioned, "PRAGMA user_version = 7; VACUUM");
  refused(versioned, "user_version 7");
  // Another user_version and a table.
  const std::string both = dir.file("both.db");
  exec_sql(both, "PRAGMA user_version = 3; CREATE TABLE customers(id INTEGER)");
  refused(both, "its tables (customers) and user_version 3 are not callmem's schema");
  // Another application's database in WAL mode.
  const std::string wal = dir.file("wal.db");
  exec_sql(wal, "PRAGMA journal_mode=WAL; CREATE TABLE events(at INTEGER); INSERT INTO events VALUES(1)");
  refused(wal, "tables that are not callmem's: events");
  // Another application's id.
  const std::string stamped = dir.file("stamped.db");
  exec_sql(stamped, "PRAGMA application_id = 1234; VACUUM");
  refused(stamped, "application_id 1234");
  // Not SQLite at all.
  const std::string text = dir.file("text.db");
  {
    std::FILE* f = std::fopen(text.c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string line = "name,number\nAnn,+14155551234\n";
    std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
  }
  refused(text, "not an SQLite database");
  // Through the façade too.
  callmem::EngineOptions o;
  o.path = notes;
  CHECK(status_of([&] { callmem::Engine m(o); }) == Status::store);
  CHECK(exec_count(notes, "SELECT count(*) FROM notes") == "1");
}

// Takes a database back to before migration 8 (expiry_day), as version 7 made
// it. (Migration 8's triggers are gone since migration 10: nothing to undo.)
// Takes calls back to before migration 12 (rowids in insertion order, and
// the expiry index).
const char* const kUndoMigration12 =
    "UPDATE calls SET rowid = k.n FROM (SELECT rowid AS old, row_number() OVER (ORDER BY rowid) AS n "
    "FROM calls) AS k WHERE calls.rowid = k.old; "
    "CREATE INDEX calls_expiry ON calls(expires_at); ";
const char* const kUndoMigration9 =
    "ALTER TABLE identities DROP COLUMN line_reports; ALTER TABLE identities DROP COLUMN confirmed_days; "
    "ALTER TABLE identities DROP COLUMN confirmed_on; ";
const char* const kUndoMigration8 =
    "DROP INDEX customers_expiry; DROP INDEX identities_expiry; DROP INDEX intents_expiry; "
    "DROP INDEX variables_expiry; "
    "ALTER TABLE customers DROP COLUMN expiry_day; ALTER TABLE identities DROP COLUMN expiry_day; "
    "ALTER TABLE intents DROP COLUMN expiry_day; ALTER TABLE variables DROP COLUMN expiry_day; "
    "CREATE INDEX customers_expiry ON customers(expires_at); "
    "CREATE INDEX identities_expiry ON identities(expires_at); "
    "CREATE INDEX intents_expiry ON intents(expires_at); "
    "CREATE INDEX variables_expiry ON variables(expires_at); ";

TEST_CASE(
    "sqlite store: callmem's databases carry its application_id; older ones are recognised and stamped") {
  TempDir dir;
  const std::string fresh = dir.file("fresh.db");
  { SqliteStore store(fresh, 1000); }
  CHECK(pragma(fresh, "application_id") == std::to_string(SqliteStore::application_id()));
  // An empty file is callmem's to create.
  const std::string empty = dir.file("empty.db");
  {
    std::FILE* f = std::fopen(empty.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fclose(f);
  }
  { SqliteStore store(empty, 1000); }
  CHECK(pragma(empty, "application_id") == std::to_string(SqliteStore::application_id()));
  CHECK(pragma(empty, "user_version") == std::to_string(SqliteStore::schema_version()));
  // A database made before the application_id: callmem's tables and
  // user_version, application_id 0. Its data stays.
  const std::string older = dir.file("older.db");
  {
    SqliteStore store(older, 1000);
    auto tx = store.begin("a", Access::write);
    tx->customer_insert(suite::customer("c1", suite::kT0, suite::kT0 + suite::kHour));
    tx->commit();
  }
  exec_sql(older, "PRAGMA application_id = 0");
  REQUIRE(pragma(older, "application_id") == "0");
  {
    SqliteStore store(older, 1000);
    CHECK(store.begin("a", Access::read)->customer_get("c1", suite::kT0).has_value());
  }
  CHECK(pragma(older, "application_id") == std::to_string(SqliteStore::application_id()));
  // An older schema version of callmem's is migrated and stamped as well.
  exec_sql(older, std::string("PRAGMA application_id = 0; PRAGMA user_version = 5; ") + kUndoMigration12 +
                      kUndoMigration9 + kUndoMigration8 +
                      "ALTER TABLE tenants DROP COLUMN identity_merge_duplicates; "
                      "ALTER TABLE tenants DROP COLUMN rate_limit_per_minute; DROP TABLE api_keys");
  { SqliteStore store(older, 1000); }
  CHECK(pragma(older, "application_id") == std::to_string(SqliteStore::application_id()));
  CHECK(pragma(older, "user_version") == std::to_string(SqliteStore::schema_version()));
}

TEST_CASE("sqlite store: stores opening a fresh file at once all migrate it once") {
  TempDir dir;
  const std::string path = dir.file("race.db");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::mutex mutex;
  std::string why;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      try {
        SqliteStore store(path, 5000);
        auto tx = store.begin("a", Access::write);
        tx->usage_add("2026-02-07", "end", 0);
        tx->commit();
      } catch (const std::exception& e) {
        ++failures;
        std::lock_guard<std::mutex> lock(mutex);
        why += std::string(e.what()) + "; ";
      }
    });
  }
  for (auto& t : threads) t.join();
  CAPTURE(why);
  CHECK(failures.load() == 0);
  SqliteStore store(path, 1000);
  auto tx = store.begin("a", Access::read);
  auto rows = tx->usage_between("2026-02-07", "2026-02-07");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].count == 6);
}

TEST_CASE("sqlite store: a writer blocked past busy_timeout gets Status::busy") {
  TempDir dir;
  const std::string path = dir.file("busy.db");
  SqliteStore holder(path, 1000);
  SqliteStore other(path, 50);

  auto held = holder.begin("a", Access::write);
  held->usage_add("2026-02-07", "end", 0);

  // Another store (another pool) on the same file.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(status_of([&] { other.begin("a", Access::write); }) == Status::busy);
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(40));

  // Another thread of the same store opens a second connection and waits too.
  std::thread([&] { CHECK(status_of([&] { holder.begin("a", Access::write); }) == Status::busy); }).join();

  // Readers are not blocked by a writer (WAL), and do not see its writes.
  {
    auto reader = other.begin("a", Access::read);
    CHECK(reader->usage_between("0", "9").empty());
  }

  held->commit();
  // Once the lock is free, the busy store works normally (its connection was
  // not left inside a transaction).
  auto tx = other.begin("a", Access::write);
  CHECK(tx->usage_between("0", "9").size() == 1);
  tx->commit();
}

TEST_CASE("sqlite store: a writer in another process makes this one busy") {
  TempDir dir;
  const std::string path = dir.file("process.db");
  { SqliteStore store(path, 1000); }
  int to_parent[2];
  int to_child[2];
  REQUIRE(pipe(to_parent) == 0);
  REQUIRE(pipe(to_child) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: take the write lock, say so, hold it until told to go.
    int code = 0;
    try {
      SqliteStore store(path, 1000);
      auto tx = store.begin("child", Access::write);
      tx->usage_add("2026-02-07", "end", 0);
      char c = 'l';
      if (write(to_parent[1], &c, 1) != 1) code = 2;
      if (read(to_child[0], &c, 1) != 1) code = 3;
      tx->commit();
    } catch (...) {
      code = 1;
    }
    _exit(code);
  }
  char c = 0;
  REQUIRE(read(to_parent[0], &c, 1) == 1);
  {
    SqliteStore store(path, 30);
    CHECK(status_of([&] { store.begin("a", Access::write); }) == Status::busy);
    c = 'g';
    REQUIRE(write(to_child[1], &c, 1) == 1);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    auto tx = store.begin("child", Access::write);
    CHECK(tx->usage_between("0", "9").size() == 1);
    tx->commit();
  }
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) close(fd);
}

TEST_CASE("sqlite store: the memory store's one connection is busy while in use") {
  SqliteStore store(":memory:", 30);
  auto held = store.begin("a", Access::write);
  std::thread([&] { CHECK(status_of([&] { store.begin("a", Access::read); }) == Status::busy); }).join();
  held.reset();
  std::thread([&] {
    auto tx = store.begin("a", Access::read);
    tx->commit();
  }).join();
  // Two memory stores are two databases.
  SqliteStore second(":memory:", 30);
  {
    auto tx = store.begin("a", Access::write);
    tx->usage_add("2026-02-07", "end", 0);
    tx->commit();
  }
  auto tx = second.begin("a", Access::read);
  CHECK(tx->usage_between("0", "9").empty());
}

TEST_CASE("sqlite store: a failed statement rolls the whole transaction back") {
  for (const bool memory : {false, true}) {
    CAPTURE(memory);
    std::unique_ptr<Store> store = memory ? make_memory_store() : make_file_store();
    {
      auto tx = store->begin("a", Access::write);
      tx->call_insert(suite::call("k1", "c1", suite::kT0, suite::kT0 + suite::kHour));
      tx->commit();
    }
    auto tx = store->begin("a", Access::write);
    tx->customer_insert(suite::customer("c1", suite::kT0, suite::kT0 + suite::kHour));
    // A duplicate call_id: the caller should have checked call_get first.
    CHECK(status_of([&] {
            tx->call_insert(suite::call("k1", "c1", suite::kT0, suite::kT0 + suite::kHour));
          }) == Status::store);
    // The transaction is over: further use and commit fail, nothing was written.
    CHECK(status_of([&] { tx->customer_get("c1", suite::kT0); }) == Status::store);
    CHECK(status_of([&] { tx->commit(); }) == Status::store);
    tx.reset();
    auto rtx = store->begin("a", Access::write);
    CHECK_FALSE(rtx->customer_get("c1", suite::kT0).has_value());
    CHECK(rtx->call_get("k1").has_value());
    rtx->commit();
  }
}

TEST_CASE("sqlite store: the hot lookups use their indexes") {
  TempDir dir;
  const std::string path = dir.file("plan.db");
  { SqliteStore store(path, 1000); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  auto plan = [&](const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    const std::string q = "EXPLAIN QUERY PLAN " + sql;
    REQUIRE(sqlite3_prepare_v2(db, q.c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::string out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
      out += "\n";
    }
    sqlite3_finalize(s);
    return out;
  };
  const std::string calls_of = plan(
      "SELECT call_id FROM calls WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 "
      "AND (started_at < ?5 OR (started_at = ?5 AND call_id < ?6)) "
      "ORDER BY started_at DESC, call_id DESC LIMIT ?4");
  CHECK_MESSAGE(calls_of.find("calls_customer") != std::string::npos, calls_of);
  CHECK_MESSAGE(calls_of.find("TEMP B-TREE") == std::string::npos, calls_of);
  const std::string purge = plan(
      "DELETE FROM variables WHERE (tenant, customer_ref, name) IN "
      "(SELECT tenant, customer_ref, name FROM variables "
      " WHERE expiry_day <= ?1 / 86400000 AND expires_at <= ?1 LIMIT ?2)");
  CHECK_MESSAGE(purge.find("variables_expiry") != std::string::npos, purge);
  CHECK_MESSAGE(purge.find("SCAN variables") == std::string::npos, purge);
  const std::string links = plan(
      "SELECT customer_ref FROM identities WHERE tenant = ?1 AND type = ?2 AND key = ?3 "
      "AND value = ?4 AND expires_at > ?5");
  CHECK_MESSAGE(links.find("PRIMARY KEY") != std::string::npos, links);
  const std::string links_of = plan(
      "SELECT type, key, value, line_type, first_seen, last_seen, expires_at FROM identities "
      "INDEXED BY identities_customer "
      "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 ORDER BY type, key, value");
  CHECK_MESSAGE(links_of.find("identities_customer (tenant=? AND customer_ref=?)") != std::string::npos,
                links_of);
  CHECK_MESSAGE(links_of.find("TEMP B-TREE") == std::string::npos, links_of);
  sqlite3_close(db);
}

TEST_CASE("sqlite store: identity weights are one text column, '{}' for the defaults") {
  TempDir dir;
  const std::string path = dir.file("weights.db");
  {
    SqliteStore store(path, 1000);
    suite::Serial tx(store, Access::write);
    callmem::TenantRow row;
    row.settings.identity_weights.ani_u_landline = 0.25;
    tx("a").tenant_put(row);
    tx("b").tenant_put(callmem::TenantRow{});
    tx.commit();
  }
  // A row as schema 4 wrote it (no identity_weights given) reads the defaults.
  exec_sql(
      path,
      "INSERT INTO tenants(tenant, ttl_days, default_region, level_very_high, level_high, level_medium, "
      "reuse, confirm, billing_enabled, price_start_new, price_start_returning, price_end, balance, "
      "identity_profile) VALUES('old', 30, 'US', 0.9, 0.7, 0.5, 0.5, 0.3, 0, 1, 0, 0, 0, 'probabilistic')");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT tenant, identity_weights FROM tenants ORDER BY tenant", -1, &s,
                             nullptr) == SQLITE_OK);
  std::vector<std::string> texts;
  while (sqlite3_step(s) == SQLITE_ROW)
    texts.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) + " " +
                    reinterpret_cast<const char*>(sqlite3_column_text(s, 1)));
  sqlite3_finalize(s);
  sqlite3_close(db);
  CHECK(texts == std::vector<std::string>{R"(a {"ani":{"u":{"landline":0.25}}})", "b {}", "old {}"});

  SqliteStore store(path, 1000);
  suite::Serial tx(store, Access::read);
  CHECK(tx("a").tenant_get()->settings.identity_weights.ani_u_landline == 0.25);
  CHECK(tx("old").tenant_get()->settings.identity_weights.ani_u_landline == 0.7);
  CHECK(tx("old").tenant_get()->settings.identity_weights.ani_m == 0.85);
  CHECK(tx("old").tenant_get()->settings.identity_merge_duplicates);  // migration 6's default
}

TEST_CASE("sqlite store: tenants' weights read right one after another, and a bad text fails alone") {
  TempDir dir;
  const std::string path = dir.file("weights_memo.db");
  SqliteStore store(path, 1000);
  {
    suite::Serial tx(store, Access::write);
    callmem::TenantRow a, b;
    a.settings.identity_weights.ani_u_landline = 0.25;
    b.settings.identity_weights.ani_u_landline = 0.5;
    tx("a").tenant_put(a);
    tx("b").tenant_put(b);
    tx("bad").tenant_put(callmem::TenantRow{});
    tx("defaults").tenant_put(callmem::TenantRow{});
    tx.commit();
  }
  exec_sql(path, "UPDATE tenants SET identity_weights = '{\"ani\": {\"m\": \"high\"}}' WHERE tenant = 'bad'");
  // One thread, so every transaction has the same connection (and its memo).
  for (int round = 0; round < 2; ++round) {
    suite::Serial tx(store, Access::read);
    CHECK(tx("a").tenant_get()->settings.identity_weights.ani_u_landline == 0.25);
    CHECK(tx("a").tenant_get()->settings.identity_weights.ani_u_landline == 0.25);
    CHECK(tx("b").tenant_get()->settings.identity_weights.ani_u_landline == 0.5);
    CHECK(tx("defaults").tenant_get()->settings.identity_weights.ani_u_landline == 0.7);
    CHECK(tx("b").tenant_get()->settings.identity_weights.ani_u_landline == 0.5);
    try {
      tx("bad").tenant_get();
      FAIL("read weights that are not weights");
    } catch (const callmem::Error& e) {
      CHECK(e.status() == callmem::Status::store);
    }
    // The failure kept nothing: the same texts read as before.
    suite::Serial again(store, Access::read);
    CHECK(again("b").tenant_get()->settings.identity_weights.ani_u_landline == 0.5);
    CHECK(again("a").tenant_get()->settings.identity_weights.ani_u_landline == 0.25);
  }
}

TEST_CASE("sqlite store: cache_mb sets every connection's page cache") {
  TempDir dir;
  const std::string path = dir.file("cache.db");
  auto cache_of = [](const callmem::sqlite::Lease& c) {
    return callmem::sqlite::int_of(c->db, "PRAGMA cache_size", "read cache_size");
  };
  const auto pool = std::make_shared<SqliteStore::Pool>(path, 5000, 64);
  const callmem::sqlite::Lease first = SqliteStore::Pool::acquire(pool);
  const callmem::sqlite::Lease second = SqliteStore::Pool::acquire(pool);  // opened now: the first is held
  CHECK(cache_of(first) == -64 * 1024);                                    // KiB
  CHECK(cache_of(second) == -64 * 1024);

  // Without it, SQLite's default (-2000: about 2 MiB).
  const auto plain = std::make_shared<SqliteStore::Pool>(path, 5000);
  CHECK(cache_of(SqliteStore::Pool::acquire(plain)) == -2000);
}

TEST_CASE(
    "sqlite store: purge finds rows by the day they expire, kept right by every write and by migration 8") {
  TempDir dir;
  const std::string path = dir.file("expiry.db");
  constexpr callmem::Millis kDay = 86400000;
  const callmem::Millis day0 = suite::kT0 / kDay * kDay;  // midnight of kT0's day
  auto day_of = [&](const std::string& where) {
    return exec_count(path, "SELECT expiry_day FROM customers WHERE " + where);
  };
  {
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->customer_insert(suite::customer("c1", day0, day0 + 3 * suite::kHour));
    tx->customer_insert(suite::customer("c2", day0, day0 + 5 * suite::kHour));
    tx->commit();
  }
  const std::string d0 = std::to_string(day0 / kDay);
  const std::string d1 = std::to_string(day0 / kDay + 1);
  CHECK(day_of("customer_ref = 'c1'") == d0);
  {
    // Within the day: expires_at moves, its day does not.
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->customer_touch("c1", day0 + suite::kHour, day0 + 20 * suite::kHour);
    tx->commit();
  }
  CHECK(exec_count(path, "SELECT expires_at FROM customers WHERE customer_ref = 'c1'") ==
        std::to_string(day0 + 20 * suite::kHour));
  CHECK(day_of("customer_ref = 'c1'") == d0);
  {
    // Into the next day: the row's day stays (no index written); purge,
    // finding c1 live on its day, moves it to the day c1 expires.
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->customer_touch("c1", day0 + 2 * suite::kHour, day0 + kDay + suite::kHour);
    tx->commit();
  }
  CHECK(day_of("customer_ref = 'c1'") == d0);
  {
    // Purge is exact to the millisecond: c2 (expired) goes, c1 (tomorrow) stays.
    SqliteStore store(path, 1000);
    auto tx = store.begin_all(Access::write);
    CHECK(tx->purge(day0 + 6 * suite::kHour, 100).customers == 1);
    tx->commit();
  }
  CHECK(day_of("customer_ref = 'c1'") == d1);
  {
    // A shorter TTL brings expires_at back, and the day with it.
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->tenant_shift_expiry(-kDay);
    tx->commit();
  }
  CHECK(day_of("customer_ref = 'c1'") == d0);
  CHECK(exec_count(path, "SELECT group_concat(customer_ref) FROM customers") == "c1");
  {
    // An intent or a variable put again: extended, its day stays (no index
    // written); brought before its day (a shorter TTL), the day follows.
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->intent_put("c1", suite::intent("refund", "open", day0, day0 + 3 * kDay));
    tx->variable_put("c1", suite::variable("plan", "\"gold\"", day0, day0 + 3 * kDay));
    tx->intent_put("c1", suite::intent("refund", "open", day0, day0 + 4 * kDay));
    tx->variable_put("c1", suite::variable("plan", "\"gold\"", day0, day0 + 4 * kDay));
    tx->commit();
  }
  const auto day_in = [&](const char* table) {
    return exec_count(path, std::string("SELECT expiry_day FROM ") + table + " WHERE customer_ref = 'c1'");
  };
  const std::string d3 = std::to_string(day0 / kDay + 3);
  CHECK(day_in("intents") == d3);
  CHECK(day_in("variables") == d3);
  {
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->intent_put("c1", suite::intent("refund", "open", day0, day0 + 2 * suite::kHour));
    tx->variable_put("c1", suite::variable("plan", "\"gold\"", day0, day0 + 2 * suite::kHour));
    tx->commit();
  }
  CHECK(day_in("intents") == d0);
  CHECK(day_in("variables") == d0);
  {
    // A merge's keep may bring a customer before its day: extended, then
    // found live by a purge, c1's day is the day it expires; the keep brings
    // expires_at and the day back.
    SqliteStore store(path, 1000);
    {
      auto tx = store.begin("a", Access::write);
      tx->customer_touch("c1", day0 + 2 * suite::kHour, day0 + 3 * kDay);
      tx->commit();
    }
    {
      auto tx = store.begin_all(Access::write);
      tx->purge(day0 + suite::kHour, 100);
      tx->commit();
    }
    CHECK(day_of("customer_ref = 'c1'") == d3);
    auto tx = store.begin("a", Access::write);
    tx->customer_keep("c1", day0 + 2 * suite::kHour, suite::kHour, day0 + suite::kHour);
    tx->commit();
  }
  CHECK(exec_count(path, "SELECT expires_at FROM customers WHERE customer_ref = 'c1'") ==
        std::to_string(day0 + 3 * suite::kHour));
  CHECK(day_of("customer_ref = 'c1'") == d0);
  {
    // Purge finds each by its day, to the millisecond (c1 lives an hour more).
    SqliteStore store(path, 1000);
    auto tx = store.begin_all(Access::write);
    const auto purged = tx->purge(day0 + 2 * suite::kHour, 100);
    CHECK(purged.intents == 1);
    CHECK(purged.variables == 1);
    tx->commit();
  }

  // A database of version 7, its rows without expiry_day: migration 8 gives
  // them their day, and purge finds them.
  exec_sql(path, std::string("PRAGMA user_version = 7; ") + kUndoMigration12 + kUndoMigration9 +
                     kUndoMigration8 +
                     "INSERT INTO customers(tenant, customer_ref, created_at, last_seen, expires_at) "
                     "VALUES('a', 'old', 0, 0, " +
                     std::to_string(day0 + 10 * 60000) + ")");
  {
    SqliteStore store(path, 1000);
    CHECK(day_of("customer_ref = 'old'") == d0);
    CHECK(day_of("customer_ref = 'c1'") == d0);
    auto tx = store.begin_all(Access::write);
    CHECK(tx->purge(day0 + 30 * 60000, 100).customers == 1);
    tx->commit();
  }
  CHECK(pragma(path, "user_version") == std::to_string(SqliteStore::schema_version()));
  CHECK(exec_count(path, "SELECT group_concat(customer_ref) FROM customers") == "c1");
}

TEST_CASE(
    "sqlite store: a call's rowid is where it expires; purge, a ttl change and migration 12 keep it so") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  constexpr callmem::Millis kDay = 86400000;
  const callmem::Millis t = suite::kT0;
  // Calls whose rowid is not expires_at * 2^20 plus their place in its millisecond.
  const auto misplaced = [&] {
    return exec_count(path,
                      "SELECT count(*) FROM (SELECT rowid AS r, "
                      "max(min(expires_at, 8796093022206), -8796093022208) AS ms FROM calls) "
                      "WHERE r < ms * 1048576 OR r >= (ms + 1) * 1048576");
  };
  const auto ids = [&] {
    return exec_count(path,
                      "SELECT group_concat(call_id, ' ') FROM (SELECT call_id FROM calls ORDER BY rowid)");
  };
  {
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    // Three calls expiring in one millisecond, one later, one earlier.
    tx->call_insert(suite::call("k1", "c1", t, t + 2 * kDay));
    tx->call_insert(suite::call("k2", "c1", t, t + 2 * kDay));
    tx->call_insert(suite::call("k3", "c2", t, t + 2 * kDay));
    tx->call_insert(suite::call("k4", "c2", t, t + 3 * kDay));
    tx->call_insert(suite::call("k5", "c2", t, t + kDay));
    tx->commit();
    auto b = store.begin("b", Access::write);
    b->call_insert(suite::call("k1", "c1", t, t + 2 * kDay));  // another tenant's, the same millisecond
    // Past the year 2248, kept in its last millisecond (never purged before then).
    b->call_insert(suite::call("far1", "c1", t, 9000000000001));
    b->call_insert(suite::call("far2", "c1", t, 9000000000000));
    b->commit();
  }
  CHECK(misplaced() == "0");
  CHECK(ids() == "k5 k1 k2 k3 k1 k4 far1 far2");
  CHECK(exec_count(path, "SELECT count(*) FROM sqlite_master WHERE name = 'calls_expiry'") == "0");
  {
    // Purge is exact to the millisecond.
    SqliteStore store(path, 1000);
    auto tx = store.begin_all(Access::write);
    CHECK(tx->purge(t + kDay - 1, 100).calls == 0);
    CHECK(tx->purge(t + kDay, 100).calls == 1);
    tx->commit();
  }
  CHECK(ids() == "k1 k2 k3 k1 k4 far1 far2");
  {
    // A shorter ttl for tenant a: its calls move to where they now expire,
    // found again by their call_id, b's stays.
    SqliteStore store(path, 1000);
    auto tx = store.begin("a", Access::write);
    tx->tenant_shift_expiry(-kDay - 5);
    tx->commit();
    auto r = store.begin("a", Access::read);
    CHECK(r->call_get("k4")->expires_at == t + 2 * kDay - 5);
    CHECK(r->call_get("k2")->customer_ref == "c1");
  }
  CHECK(misplaced() == "0");
  CHECK(ids() == "k1 k2 k3 k4 k1 far1 far2");
  {
    SqliteStore store(path, 1000);
    auto tx = store.begin_all(Access::write);
    const auto purged = tx->purge(t + 2 * kDay - 6, 100);
    CHECK(purged.calls == 3);
    tx->commit();
  }
  CHECK(ids() == "k4 k1 far1 far2");
  // A file of schema 11, its calls' rowids in the order they were written:
  // migration 12 gives each its place, and purge finds them.
  exec_sql(path, std::string("PRAGMA user_version = 11; ") + kUndoMigration12);
  CHECK(misplaced() == "4");
  {
    SqliteStore store(path, 1000);
    CHECK(misplaced() == "0");
    CHECK(exec_count(path, "SELECT count(*) FROM sqlite_master WHERE name = 'calls_expiry'") == "0");
    CHECK(store.begin("b", Access::read)->call_get("k1").has_value());
    auto tx = store.begin_all(Access::write);
    CHECK(tx->purge(t + 2 * kDay, 100).calls == 2);
    tx->commit();
  }
  CHECK(pragma(path, "user_version") == std::to_string(SqliteStore::schema_version()));
}
