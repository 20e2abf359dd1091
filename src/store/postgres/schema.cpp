// The PostgreSQL store's schema: its migrations, applied under an advisory
// lock by the first store to open the database (docs/storage.md).
#include "store/postgres/schema.hpp"

#include <cstring>

#include "store/postgres/connection.hpp"

namespace callmem::postgres {
namespace {

// Applied in order; migration i brings schema_version from i to i + 1. Append
// only: a released migration is never edited. The tenant leads every key, so
// that the tables shard by tenant (docs/storage.md).
const char* const kMigrations[] = {
    // 1: the schema of SQLite's migrations 1 to 4.
    R"sql(
CREATE TABLE tenants(
  tenant text NOT NULL PRIMARY KEY,
  ttl_days bigint NOT NULL,
  default_region text NOT NULL,
  level_very_high double precision NOT NULL,
  level_high double precision NOT NULL,
  level_medium double precision NOT NULL,
  reuse double precision NOT NULL,
  confirm double precision NOT NULL,
  billing_enabled boolean NOT NULL,
  price_start_new bigint NOT NULL,
  price_start_returning bigint NOT NULL,
  price_end bigint NOT NULL,
  balance bigint NOT NULL,
  identity_profile text NOT NULL
);

CREATE TABLE customers(
  tenant text NOT NULL,
  customer_ref text NOT NULL,
  created_at bigint NOT NULL,
  last_seen bigint NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY(tenant, customer_ref)
);
CREATE INDEX customers_expiry ON customers(expires_at);

CREATE TABLE identities(
  tenant text NOT NULL,
  type text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  customer_ref text NOT NULL,
  line_type text NOT NULL,
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY(tenant, type, key, value, customer_ref)
);
CREATE INDEX identities_customer ON identities(tenant, customer_ref);
CREATE INDEX identities_expiry ON identities(expires_at);

CREATE TABLE calls(
  tenant text NOT NULL,
  call_id text NOT NULL,
  customer_ref text NOT NULL,
  started_at bigint NOT NULL,
  ended_at bigint NOT NULL,
  channel text NOT NULL,
  direction text NOT NULL,
  call_data text NOT NULL,
  start_fingerprint bigint NOT NULL,
  start_response text NOT NULL,
  end_fingerprint bigint NOT NULL,
  end_response text NOT NULL,
  created_customer boolean NOT NULL,
  expires_at bigint NOT NULL,
  identifiers text NOT NULL,
  feedback_fingerprint bigint NOT NULL,
  feedback_outcome text NOT NULL,
  feedback_response text NOT NULL,
  PRIMARY KEY(tenant, call_id)
);
CREATE INDEX calls_customer ON calls(tenant, customer_ref, started_at DESC, call_id DESC);
CREATE INDEX calls_expiry ON calls(expires_at);

CREATE TABLE intents(
  tenant text NOT NULL,
  customer_ref text NOT NULL,
  intent text NOT NULL,
  status text NOT NULL,
  attempt_count bigint NOT NULL,
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL,
  last_call_id text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY(tenant, customer_ref, intent)
);
CREATE INDEX intents_expiry ON intents(expires_at);

CREATE TABLE variables(
  tenant text NOT NULL,
  customer_ref text NOT NULL,
  name text NOT NULL,
  value text NOT NULL,
  source text NOT NULL,
  updated_at bigint NOT NULL,
  own_ttl_seconds bigint NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY(tenant, customer_ref, name)
);
CREATE INDEX variables_expiry ON variables(expires_at);

CREATE TABLE credit_grants(
  tenant text NOT NULL,
  idempotency_key text NOT NULL,
  amount bigint NOT NULL,
  granted_at bigint NOT NULL,
  PRIMARY KEY(tenant, idempotency_key)
);

CREATE TABLE usage(
  tenant text NOT NULL,
  day text NOT NULL,
  operation text NOT NULL,
  count bigint NOT NULL,
  credits bigint NOT NULL,
  PRIMARY KEY(tenant, day, operation)
);

CREATE TABLE aliases(
  tenant text NOT NULL,
  alias_ref text NOT NULL,
  target_ref text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY(tenant, alias_ref)
);
CREATE INDEX aliases_target ON aliases(tenant, target_ref);
CREATE INDEX aliases_expiry ON aliases(expires_at);

CREATE TABLE merges(
  tenant text NOT NULL,
  merge_id text NOT NULL,
  alias_ref text NOT NULL,
  target_ref text NOT NULL,
  call_id text NOT NULL,
  alias_created_at bigint NOT NULL,
  alias_last_seen bigint NOT NULL,
  alias_expires_at bigint NOT NULL,
  merged_at bigint NOT NULL,
  unmerged_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  response text NOT NULL,
  unmerge_response text NOT NULL,
  PRIMARY KEY(tenant, merge_id)
);
CREATE INDEX merges_alias ON merges(tenant, alias_ref);
CREATE INDEX merges_target ON merges(tenant, target_ref);
CREATE INDEX merges_expiry ON merges(expires_at);

CREATE TABLE merge_rows(
  tenant text NOT NULL,
  merge_id text NOT NULL,
  seq bigint NOT NULL,
  kind text NOT NULL,
  role text NOT NULL,
  k1 text NOT NULL,
  k2 text NOT NULL,
  k3 text NOT NULL,
  t1 text NOT NULL,
  t2 text NOT NULL,
  i1 bigint NOT NULL,
  i2 bigint NOT NULL,
  i3 bigint NOT NULL,
  i4 bigint NOT NULL,
  PRIMARY KEY(tenant, merge_id, seq)
);

CREATE TABLE feedback_stats(
  tenant text NOT NULL,
  signal text NOT NULL,
  confirmed bigint NOT NULL,
  rejected bigint NOT NULL,
  predicted double precision NOT NULL,
  PRIMARY KEY(tenant, signal)
);
)sql",
    // 2: the tenant's identity weights (json::write_identity_weights: the
    // values that differ from the defaults; '{}' is the defaults).
    R"sql(
ALTER TABLE tenants ADD COLUMN identity_weights text NOT NULL DEFAULT '{}';
)sql",
    // 3: whether a confirmation may merge a customer made twice.
    R"sql(
ALTER TABLE tenants ADD COLUMN identity_merge_duplicates boolean NOT NULL DEFAULT true;
)sql",
    // 4: `callmem serve`: a tenant's requests per minute (0: no limit), and
    // its API keys, kept as their SHA-256 only.
    R"sql(
ALTER TABLE tenants ADD COLUMN rate_limit_per_minute bigint NOT NULL DEFAULT 0;
CREATE TABLE api_keys(
  tenant text NOT NULL,
  key_id text NOT NULL UNIQUE,
  name text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  revoked_at bigint NOT NULL,
  PRIMARY KEY(tenant, key_id)
);
)sql",
    // 5: the columns of SQLite's migration 8 (a day on or before the one a
    // row expires, by which SQLite's purge finds it), so that both stores
    // keep the same columns. PostgreSQL finds expired rows by expires_at
    // still: the column stays 0, which is on or before any day.
    R"sql(
ALTER TABLE customers ADD COLUMN expiry_day bigint NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN expiry_day bigint NOT NULL DEFAULT 0;
ALTER TABLE intents ADD COLUMN expiry_day bigint NOT NULL DEFAULT 0;
ALTER TABLE variables ADD COLUMN expiry_day bigint NOT NULL DEFAULT 0;
)sql",
    // 6: what the identity code learns of a number (SQLite's 9).
    R"sql(
ALTER TABLE identities ADD COLUMN line_reports text NOT NULL DEFAULT '';
ALTER TABLE identities ADD COLUMN confirmed_days bigint NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN confirmed_on bigint NOT NULL DEFAULT 0;
)sql",
};

constexpr int kSchemaVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

}  // namespace

int schema_version() noexcept { return kSchemaVersion; }

// Brings the schema to kSchemaVersion, under an advisory lock: nodes opening
// one fresh database at once take turns.
void migrate(PGconn* pg, const PgOptions& o) {
  const std::string migrate_key = "callmem.migrate:" + o.schema;
  char* schema = pq().PQescapeIdentifier(pg, o.schema.c_str(), o.schema.size());
  char* key = pq().PQescapeLiteral(pg, migrate_key.c_str(), migrate_key.size());
  if (!schema || !key) {
    pq().PQfreemem(schema);
    pq().PQfreemem(key);
    fail("", "cannot quote the schema name: " + conn_error(pg));
  }
  const std::string quoted = schema, lock_key = key;
  pq().PQfreemem(schema);
  pq().PQfreemem(key);
  exec(pg, "SET client_min_messages = warning");  // not "schema already exists, skipping"
  exec(pg, "BEGIN");
  try {
    exec(pg, "SELECT pg_advisory_xact_lock(hashtextextended(" + lock_key + ", 0))");
    exec(pg, "CREATE SCHEMA IF NOT EXISTS " + quoted);
    exec(pg, "SET LOCAL search_path TO " + quoted);
    exec(pg, "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)");
    PGresult* r = pq().PQexec(pg, "SELECT max(version) FROM schema_version");
    if (!r || pq().PQresultStatus(r) != PGRES_TUPLES_OK) {
      const std::string m = r ? trimmed(pq().PQresultErrorMessage(r)) : conn_error(pg);
      pq().PQclear(r);
      fail("", "read the schema version: " + m);
    }
    int version = 0;
    try {
      if (!pq().PQgetisnull(r, 0, 0))
        version = number_of<int>(pq().PQgetvalue(r, 0, 0), std::strlen(pq().PQgetvalue(r, 0, 0)));
    } catch (...) {
      pq().PQclear(r);
      throw;
    }
    pq().PQclear(r);
    if (version > kSchemaVersion)
      fail("", "the database's schema version " + std::to_string(version) + " is newer than this library's " +
                   std::to_string(kSchemaVersion));
    for (int i = version; i < kSchemaVersion; ++i) exec(pg, kMigrations[i]);
    if (version < kSchemaVersion) {
      exec(pg, "DELETE FROM schema_version");
      exec(pg, "INSERT INTO schema_version VALUES(" + std::to_string(kSchemaVersion) + ")");
    }
    exec(pg, "COMMIT");
  } catch (...) {
    pq().PQclear(pq().PQexec(pg, "ROLLBACK"));
    throw;
  }
}

}  // namespace callmem::postgres
