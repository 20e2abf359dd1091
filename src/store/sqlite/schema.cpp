// The SQLite store's schema: its migrations, and what makes a file callmem's
// (PRAGMA application_id and user_version; docs/storage.md).
#include "store/sqlite/schema.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "callmem/error.hpp"
#include "store/sqlite/connection.hpp"

namespace callmem::sqlite {
namespace {

// Applied in order; migration i brings user_version from i to i + 1. Append
// only: a released migration is never edited.
const char* const kMigrations[] = {
    // 1: the first schema. The tenant leads every key: nothing is ever looked
    // up across tenants except by purge, which scans the expires_at indexes.
    R"sql(
CREATE TABLE tenants(
  tenant TEXT NOT NULL PRIMARY KEY,
  ttl_days INTEGER NOT NULL,
  default_region TEXT NOT NULL,
  level_very_high REAL NOT NULL,
  level_high REAL NOT NULL,
  level_medium REAL NOT NULL,
  reuse REAL NOT NULL,
  confirm REAL NOT NULL,
  billing_enabled INTEGER NOT NULL,
  price_start_new INTEGER NOT NULL,
  price_start_returning INTEGER NOT NULL,
  price_end INTEGER NOT NULL,
  balance INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE customers(
  tenant TEXT NOT NULL,
  customer_ref TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, customer_ref)
) WITHOUT ROWID;
CREATE INDEX customers_expiry ON customers(expires_at);

CREATE TABLE identities(
  tenant TEXT NOT NULL,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  customer_ref TEXT NOT NULL,
  line_type TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, type, key, value, customer_ref)
) WITHOUT ROWID;
CREATE INDEX identities_customer ON identities(tenant, customer_ref);
CREATE INDEX identities_expiry ON identities(expires_at);

-- A rowid table: start_response and end_response can be kilobytes.
CREATE TABLE calls(
  tenant TEXT NOT NULL,
  call_id TEXT NOT NULL,
  customer_ref TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  channel TEXT NOT NULL,
  direction TEXT NOT NULL,
  call_data TEXT NOT NULL,
  start_fingerprint INTEGER NOT NULL,
  start_response TEXT NOT NULL,
  end_fingerprint INTEGER NOT NULL,
  end_response TEXT NOT NULL,
  created_customer INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, call_id)
);
CREATE INDEX calls_customer ON calls(tenant, customer_ref, started_at DESC, call_id DESC);
CREATE INDEX calls_expiry ON calls(expires_at);

CREATE TABLE intents(
  tenant TEXT NOT NULL,
  customer_ref TEXT NOT NULL,
  intent TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  last_call_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, customer_ref, intent)
) WITHOUT ROWID;
CREATE INDEX intents_expiry ON intents(expires_at);

CREATE TABLE variables(
  tenant TEXT NOT NULL,
  customer_ref TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  source TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  own_ttl_seconds INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, customer_ref, name)
) WITHOUT ROWID;
CREATE INDEX variables_expiry ON variables(expires_at);

CREATE TABLE credit_grants(
  tenant TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  amount INTEGER NOT NULL,
  granted_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, idempotency_key)
) WITHOUT ROWID;

CREATE TABLE usage(
  tenant TEXT NOT NULL,
  day TEXT NOT NULL,
  operation TEXT NOT NULL,
  count INTEGER NOT NULL,
  credits INTEGER NOT NULL,
  PRIMARY KEY(tenant, day, operation)
) WITHOUT ROWID;
)sql",
    // 2: the tenant's identity scoring profile.
    R"sql(
ALTER TABLE tenants ADD COLUMN identity_profile TEXT NOT NULL DEFAULT 'probabilistic';
)sql",
    // 3: identity feedback (docs/feedback.md): the call's identifiers and its
    // feedback; aliases of merged refs; merge logs (merge_rows holds what a
    // merge moved or replaced, by kind: see merge_insert); outcome counts.
    R"sql(
ALTER TABLE calls ADD COLUMN identifiers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE calls ADD COLUMN feedback_fingerprint INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN feedback_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN feedback_response TEXT NOT NULL DEFAULT '';

CREATE TABLE aliases(
  tenant TEXT NOT NULL,
  alias_ref TEXT NOT NULL,
  target_ref TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, alias_ref)
) WITHOUT ROWID;
CREATE INDEX aliases_target ON aliases(tenant, target_ref);
CREATE INDEX aliases_expiry ON aliases(expires_at);

CREATE TABLE merges(
  tenant TEXT NOT NULL,
  merge_id TEXT NOT NULL,
  alias_ref TEXT NOT NULL,
  target_ref TEXT NOT NULL,
  call_id TEXT NOT NULL,
  alias_created_at INTEGER NOT NULL,
  alias_last_seen INTEGER NOT NULL,
  alias_expires_at INTEGER NOT NULL,
  merged_at INTEGER NOT NULL,
  unmerged_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  response TEXT NOT NULL,
  unmerge_response TEXT NOT NULL,
  PRIMARY KEY(tenant, merge_id)
);
CREATE INDEX merges_alias ON merges(tenant, alias_ref);
CREATE INDEX merges_target ON merges(tenant, target_ref);
CREATE INDEX merges_expiry ON merges(expires_at);

CREATE TABLE merge_rows(
  tenant TEXT NOT NULL,
  merge_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  role TEXT NOT NULL,
  k1 TEXT NOT NULL,
  k2 TEXT NOT NULL,
  k3 TEXT NOT NULL,
  t1 TEXT NOT NULL,
  t2 TEXT NOT NULL,
  i1 INTEGER NOT NULL,
  i2 INTEGER NOT NULL,
  i3 INTEGER NOT NULL,
  i4 INTEGER NOT NULL,
  PRIMARY KEY(tenant, merge_id, seq)
) WITHOUT ROWID;

CREATE TABLE feedback_stats(
  tenant TEXT NOT NULL,
  signal TEXT NOT NULL,
  confirmed INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  PRIMARY KEY(tenant, signal)
) WITHOUT ROWID;
)sql",
    // 4: the probabilities feedback was given on, so that outcomes are
    // weighed against what the scorer predicted.
    R"sql(
ALTER TABLE feedback_stats ADD COLUMN predicted REAL NOT NULL DEFAULT 0;
)sql",
    // 5: the tenant's identity weights (json::write_identity_weights: the
    // values that differ from the defaults; '{}' is the defaults).
    R"sql(
ALTER TABLE tenants ADD COLUMN identity_weights TEXT NOT NULL DEFAULT '{}';
)sql",
    // 6: whether a confirmation may merge a customer made twice (1: yes).
    R"sql(
ALTER TABLE tenants ADD COLUMN identity_merge_duplicates INTEGER NOT NULL DEFAULT 1;
)sql",
    // 7: `callmem serve`: a tenant's requests per minute (0: no limit), and
    // its API keys, kept as their SHA-256 only.
    R"sql(
ALTER TABLE tenants ADD COLUMN rate_limit_per_minute INTEGER NOT NULL DEFAULT 0;
CREATE TABLE api_keys(
  tenant TEXT NOT NULL,
  key_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL,
  PRIMARY KEY(tenant, key_id)
) WITHOUT ROWID;
)sql",
    // 8: fewer pages per call. The rows a start or an end extends (customers,
    // identities, intents, variables) are found by purge through a day on
    // or before the one they expire (expiry_day <= expires_at / 86400000),
    // no longer through expires_at: a call that extends a row writes the
    // row's page, not an index's. Inserts set expiry_day to the day; an
    // update that brings expires_at before it (a tenant's shorter TTL)
    // brings it back (the trigger, until migration 10); purge moves a live
    // row's day forward when it finds it. Reads still compare expires_at,
    // to the millisecond.
    R"sql(
ALTER TABLE customers ADD COLUMN expiry_day INTEGER NOT NULL DEFAULT 0;
UPDATE customers SET expiry_day = expires_at / 86400000;
DROP INDEX customers_expiry;
CREATE INDEX customers_expiry ON customers(expiry_day);
CREATE TRIGGER customers_expiry_day AFTER UPDATE OF expires_at ON customers
WHEN NEW.expires_at / 86400000 < NEW.expiry_day BEGIN
  UPDATE customers SET expiry_day = NEW.expires_at / 86400000 WHERE tenant = NEW.tenant AND customer_ref = NEW.customer_ref;
END;
ALTER TABLE identities ADD COLUMN expiry_day INTEGER NOT NULL DEFAULT 0;
UPDATE identities SET expiry_day = expires_at / 86400000;
DROP INDEX identities_expiry;
CREATE INDEX identities_expiry ON identities(expiry_day);
CREATE TRIGGER identities_expiry_day AFTER UPDATE OF expires_at ON identities
WHEN NEW.expires_at / 86400000 < NEW.expiry_day BEGIN
  UPDATE identities SET expiry_day = NEW.expires_at / 86400000 WHERE tenant = NEW.tenant AND type = NEW.type AND key = NEW.key AND value = NEW.value AND customer_ref = NEW.customer_ref;
END;
ALTER TABLE intents ADD COLUMN expiry_day INTEGER NOT NULL DEFAULT 0;
UPDATE intents SET expiry_day = expires_at / 86400000;
DROP INDEX intents_expiry;
CREATE INDEX intents_expiry ON intents(expiry_day);
CREATE TRIGGER intents_expiry_day AFTER UPDATE OF expires_at ON intents
WHEN NEW.expires_at / 86400000 < NEW.expiry_day BEGIN
  UPDATE intents SET expiry_day = NEW.expires_at / 86400000 WHERE tenant = NEW.tenant AND customer_ref = NEW.customer_ref AND intent = NEW.intent;
END;
ALTER TABLE variables ADD COLUMN expiry_day INTEGER NOT NULL DEFAULT 0;
UPDATE variables SET expiry_day = expires_at / 86400000;
DROP INDEX variables_expiry;
CREATE INDEX variables_expiry ON variables(expiry_day);
CREATE TRIGGER variables_expiry_day AFTER UPDATE OF expires_at ON variables
WHEN NEW.expires_at / 86400000 < NEW.expiry_day BEGIN
  UPDATE variables SET expiry_day = NEW.expires_at / 86400000 WHERE tenant = NEW.tenant AND customer_ref = NEW.customer_ref AND name = NEW.name;
END;
)sql",
    // 9: what the identity code learns of a number (docs/identity.md): the
    // carrier's reports of its type over the calls, and the distinct days
    // the hosts confirmed it as the linked customer's.
    R"sql(
ALTER TABLE identities ADD COLUMN line_reports TEXT NOT NULL DEFAULT '';
ALTER TABLE identities ADD COLUMN confirmed_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN confirmed_on INTEGER NOT NULL DEFAULT 0;
)sql",
    // 10: migration 8's triggers go: each ran on every update of expires_at
    // (a quarter of a start's SQLite work and more of an end's). The
    // statements that can bring expires_at before expiry_day's day (the
    // tenant's TTL shift, a merge's keep, the put of an intent or a variable
    // with a shorter TTL, a customer row replaced) lower the day themselves
    // (store/sqlite/statements.cpp); the others only extend.
    R"sql(
DROP TRIGGER customers_expiry_day;
DROP TRIGGER identities_expiry_day;
DROP TRIGGER intents_expiry_day;
DROP TRIGGER variables_expiry_day;
)sql",
    // 11: calls' stored answers may be packed (store/sqlite/answers.hpp):
    // a BLOB in start_response, end_response or feedback_response. Nothing
    // changes in the tables; the version tells a library that would read a
    // packed answer as text (schema 10 and before) that the file is newer.
    R"sql(
-- no statement: the answers' columns keep their TEXT declaration
)sql",
    // 12: a call's rowid is where it expires (store/sqlite/statements.cpp,
    // CALLMEM_CALL_KEY): the millisecond of expires_at times 2^20 plus its
    // place among the calls that expire in it. Purge finds expired calls by
    // rowid, and calls_expiry, an index page written by every start, goes.
    R"sql(
UPDATE calls SET rowid = k.ms * 1048576 + k.place
FROM (SELECT rowid AS old, max(min(expires_at, 8796093022206), -8796093022208) AS ms,
             row_number() OVER (PARTITION BY max(min(expires_at, 8796093022206), -8796093022208)
                                ORDER BY rowid) - 1 AS place
      FROM calls) AS k
WHERE calls.rowid = k.old;
DROP INDEX calls_expiry;
)sql",
};

constexpr int kSchemaVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

// PRAGMA application_id of a callmem database: "CMEM". Written when callmem
// creates a database, so that a file that is not callmem's is never taken
// for one (see check_ours).
constexpr int kApplicationId = 0x434D454D;

// The tables every callmem schema has (migration 1).
constexpr const char* kCallmemTables[] = {"calls",   "credit_grants", "customers", "identities",
                                          "intents", "tenants",       "usage",     "variables"};

enum class Ownership { empty, ours, ours_unstamped };

// Whether the file `db` is open on is callmem's, by reads alone (nothing is
// written, so a file that is not callmem's is left byte for byte as it was):
// a new or empty file, or one with callmem's application_id, or one made
// before callmem wrote its application_id (0), recognised by its tables and
// user_version. Anything else is refused with the reason.
Ownership check_ours(sqlite3* db, const std::string& path) {
  const auto refuse = [&](const std::string& why) -> Ownership {
    throw Error(Status::store,
                "sqlite: " + path + " is not a callmem database: " + why +
                    "; callmem opens its own databases, or creates one in a new or empty file");
  };
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &s,
                              nullptr);
  if ((rc & 0xff) == SQLITE_NOTADB) return refuse("it is not an SQLite database");
  if (rc != SQLITE_OK) fail(db, rc, "read the schema");
  std::vector<std::string> tables;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  if ((rc & 0xff) == SQLITE_NOTADB) return refuse("it is not an SQLite database");
  if (rc != SQLITE_DONE) fail(db, rc, "read the schema");
  const int app = int_of(db, "PRAGMA application_id", "read application_id");
  const int version = int_of(db, "PRAGMA user_version", "read user_version");
  if (app == kApplicationId) return Ownership::ours;
  if (app != 0) return refuse("its application_id " + std::to_string(app) + " is another application's");
  if (tables.empty() && version == 0) return Ownership::empty;
  std::vector<std::string> foreign;
  for (const std::string& t : tables)
    if (std::find(std::begin(kCallmemTables), std::end(kCallmemTables), t) == std::end(kCallmemTables) &&
        t.rfind("sqlite_", 0) != 0)
      foreign.push_back(t);
  bool all = true;
  for (const char* t : kCallmemTables)
    all = all && std::find(tables.begin(), tables.end(), t) != tables.end();
  if (all && version >= 1) return Ownership::ours_unstamped;
  const auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  const std::string v = "user_version " + std::to_string(version);
  if (!foreign.empty())
    return refuse("it has tables that are not callmem's: " + list(foreign) + " (" + v + ")");
  if (tables.empty()) return refuse("it has no tables and " + v);
  return refuse("its tables (" + list(tables) + ") and " + v + " are not callmem's schema");
}

[[noreturn]] void newer(int version) {
  throw Error(Status::store, "sqlite: the database's schema version " + std::to_string(version) +
                                 " is newer than this library's " + std::to_string(kSchemaVersion));
}

// Brings the schema to kSchemaVersion and stamps callmem's application_id.
// Two processes may open a fresh file at once: what the file is, and its
// version, are read again once the write lock is held.
void migrate(sqlite3* db, const std::string& path) {
  int version = int_of(db, "PRAGMA user_version", "read user_version");
  if (version > kSchemaVersion) newer(version);
  if (version == kSchemaVersion &&
      int_of(db, "PRAGMA application_id", "read application_id") == kApplicationId)
    return;
  exec(db, "BEGIN IMMEDIATE", "migrate");
  try {
    check_ours(db, path);
    version = int_of(db, "PRAGMA user_version", "read user_version");
    if (version > kSchemaVersion) newer(version);
    for (int i = version; i < kSchemaVersion; ++i) exec(db, kMigrations[i], "migrate");
    const std::string set = "PRAGMA user_version = " + std::to_string(kSchemaVersion) +
                            "; PRAGMA application_id = " + std::to_string(kApplicationId);
    exec(db, set.c_str(), "migrate");
    exec(db, "COMMIT", "migrate");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace

int schema_version() noexcept { return kSchemaVersion; }

int application_id() noexcept { return kApplicationId; }

void open_schema(Connection& first, const std::string& path, int busy_timeout_ms, bool memory) {
  if (!memory) {
    // Before anything is written: a file that is not callmem's is refused
    // as it is (not switched to WAL, no table added).
    if (check_ours(first.db, path) == Ownership::ours) {
      const int version = int_of(first.db, "PRAGMA user_version", "read user_version");
      if (version > kSchemaVersion) newer(version);
    }
  }
  configure(first.db, busy_timeout_ms, memory);
  migrate(first.db, path);
}

}  // namespace callmem::sqlite
