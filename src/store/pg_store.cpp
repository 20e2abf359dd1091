// PostgreSQL store: schema, migrations, the connection pool, pipelined
// statements and the per-transaction read cache (see pg_store.hpp).
#include "store/pg_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "callmem/error.hpp"
#include "json/codec.hpp"
#include "store/merge_rows.hpp"

namespace callmem {
namespace {

// ---------------------------------------------------------------- schema --

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
};

constexpr int kSchemaVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

// ------------------------------------------------------------ statements --

enum Sql : int {
  kLock,
  kTenantGet,
  kTenantPut,
  kShiftCustomers,
  kShiftIdentities,
  kShiftCalls,
  kShiftIntents,
  kShiftVariables,
  kShiftAliases,
  kShiftMerges,
  kCustomerGet,
  kCustomerInsert,
  kCustomerTouch,
  kCustomerRemove,
  kDeleteIdentities,
  kDeleteIntents,
  kDeleteVariables,
  kDeleteCalls,
  kDeleteAliases,
  kDeleteMergeRowsOf,
  kDeleteMergesOf,
  kLinksFind,
  kLinksOf,
  kLinkUpsert,
  kLinkDelete,
  kCallGet,
  kCallInsert,
  kCallEnd,
  kCallMove,
  kCallFeedback,
  kCallsOf,
  kCallsOfAfter,
  kIntentsOf,
  kIntentGet,
  kIntentPut,
  kIntentDelete,
  kVariablesOf,
  kVariablePut,
  kVariableDelete,
  kAliasGet,
  kAliasPut,
  kAliasDelete,
  kAliasesRetarget,
  kMergeInsert,
  kMergeRowInsert,
  kMergeGet,
  kMergeRowsGet,
  kMergeUndone,
  kFeedbackStatAdd,
  kFeedbackStats,
  kApiKeyInsert,
  kApiKeyByHash,
  kApiKeyById,
  kApiKeysOf,
  kApiKeyRevoke,
  kGrantGet,
  kGrantInsert,
  kUsageAdd,
  kUsageBetween,
  kPurgeVariables,
  kPurgeIntents,
  kPurgeIdentities,
  kPurgeCalls,
  kPurgeCustomers,
  kPurgeAliases,
  kPurgeMerges,
  kPrefetchAliases,
  kPrefetchCustomers,
  kPrefetchLinks,
  kPrefetchIntents,
  kPrefetchVariables,
  kKeepCustomer,
  kKeepLinks,
  kKeepAliases,
  kRekeepCustomers,
  kRekeepLinks,
  kRekeepAliases,
  kSqlCount
};

// Per customer of tenant $1, the last expiry of its variables with their own
// ttl: what keeps it and its links and aliases (Transaction::customer_keep).
#define CALLMEM_KEPT_UNTIL                                                           \
  "(SELECT customer_ref, max(expires_at) AS until FROM variables WHERE tenant = $1 " \
  " AND own_ttl_seconds > 0 GROUP BY customer_ref) AS kept"

#define CALLMEM_CALL_COLUMNS                                                     \
  "call_id, customer_ref, started_at, ended_at, channel, direction, call_data, " \
  "start_fingerprint, start_response, end_fingerprint, end_response, created_customer, expires_at, " \
  "identifiers, feedback_fingerprint, feedback_outcome, feedback_response"

// The customers a prefetch is about ($1 tenant; $2, $3, $4 the identifiers'
// types, keys and values; $5 the call; $6 the refs named, and their targets).
#define CALLMEM_PREFETCH_REFS                                                                   \
  "(SELECT customer_ref FROM identities WHERE tenant = $1 AND (type, key, value) IN "          \
  "   (SELECT * FROM unnest($2::text[], $3::text[], $4::text[])) "                               \
  " UNION SELECT customer_ref FROM calls WHERE tenant = $1 AND call_id = $5 "                    \
  " UNION SELECT unnest($6::text[]) "                                                           \
  " UNION SELECT target_ref FROM aliases WHERE tenant = $1 AND alias_ref = ANY($6::text[]))"

// Deletes at most $2 rows expired at $1, skipping rows other transactions hold.
#define CALLMEM_PURGE(TABLE)                                                              \
  "DELETE FROM " TABLE " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " TABLE                    \
  " WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)) AND expires_at <= $1"

const char* sql_text(Sql id) {
  switch (id) {
    // The tenant's write lock ($1: the schema and the tenant).
    case kLock:
      return "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

    case kTenantGet:
      return "SELECT ttl_days, default_region, level_very_high, level_high, level_medium, reuse, "
             "confirm, billing_enabled, price_start_new, price_start_returning, price_end, balance, "
             "identity_profile, identity_weights, identity_merge_duplicates, rate_limit_per_minute "
             "FROM tenants WHERE tenant = $1";
    case kTenantPut:
      return "INSERT INTO tenants(tenant, ttl_days, default_region, level_very_high, level_high, "
             "level_medium, reuse, confirm, billing_enabled, price_start_new, price_start_returning, "
             "price_end, balance, identity_profile, identity_weights, identity_merge_duplicates, "
             "rate_limit_per_minute) "
             "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
             "ON CONFLICT(tenant) DO UPDATE SET ttl_days = excluded.ttl_days, "
             "default_region = excluded.default_region, level_very_high = excluded.level_very_high, "
             "level_high = excluded.level_high, level_medium = excluded.level_medium, "
             "reuse = excluded.reuse, confirm = excluded.confirm, "
             "billing_enabled = excluded.billing_enabled, price_start_new = excluded.price_start_new, "
             "price_start_returning = excluded.price_start_returning, price_end = excluded.price_end, "
             "balance = excluded.balance, identity_profile = excluded.identity_profile, "
             "identity_weights = excluded.identity_weights, "
             "identity_merge_duplicates = excluded.identity_merge_duplicates, "
             "rate_limit_per_minute = excluded.rate_limit_per_minute";
    case kShiftCustomers:
      return "UPDATE customers SET expires_at = expires_at + $2 WHERE tenant = $1";
    case kShiftIdentities:
      return "UPDATE identities SET expires_at = expires_at + $2 WHERE tenant = $1";
    case kShiftCalls:
      return "UPDATE calls SET expires_at = expires_at + $2 WHERE tenant = $1";
    case kShiftIntents:
      return "UPDATE intents SET expires_at = expires_at + $2 WHERE tenant = $1";
    case kShiftVariables:
      return "UPDATE variables SET expires_at = expires_at + $2 WHERE tenant = $1 AND own_ttl_seconds = 0";
    case kShiftAliases:
      return "UPDATE aliases SET expires_at = expires_at + $2 WHERE tenant = $1";
    case kShiftMerges:
      return "UPDATE merges SET expires_at = expires_at + $2, alias_expires_at = alias_expires_at + $2 "
             "WHERE tenant = $1";

    case kCustomerGet:
      return "SELECT created_at, last_seen, expires_at FROM customers "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3";
    case kCustomerInsert:
      return "INSERT INTO customers(tenant, customer_ref, created_at, last_seen, expires_at) "
             "VALUES($1, $2, $3, $4, $5) ON CONFLICT(tenant, customer_ref) DO UPDATE SET "
             "created_at = excluded.created_at, last_seen = excluded.last_seen, "
             "expires_at = excluded.expires_at";
    case kCustomerTouch:
      return "UPDATE customers SET last_seen = GREATEST(last_seen, $3), expires_at = GREATEST(expires_at, $4) "
             "WHERE tenant = $1 AND customer_ref = $2";
    case kCustomerRemove:
      return "DELETE FROM customers WHERE tenant = $1 AND customer_ref = $2";
    case kDeleteIdentities:
      return "DELETE FROM identities WHERE tenant = $1 AND customer_ref = $2";
    case kDeleteIntents:
      return "DELETE FROM intents WHERE tenant = $1 AND customer_ref = $2";
    case kDeleteVariables:
      return "DELETE FROM variables WHERE tenant = $1 AND customer_ref = $2";
    case kDeleteCalls:
      return "DELETE FROM calls WHERE tenant = $1 AND customer_ref = $2";
    case kDeleteAliases:
      return "DELETE FROM aliases WHERE tenant = $1 AND target_ref = $2";
    case kDeleteMergeRowsOf:
      return "DELETE FROM merge_rows WHERE tenant = $1 AND merge_id IN "
             "(SELECT merge_id FROM merges WHERE tenant = $1 AND (alias_ref = $2 OR target_ref = $2))";
    case kDeleteMergesOf:
      return "DELETE FROM merges WHERE tenant = $1 AND (alias_ref = $2 OR target_ref = $2)";

    // Expired links too: the caller filters (a prefetch reads the same rows).
    case kLinksFind:
      return "SELECT type, key, value, customer_ref, line_type, first_seen, last_seen, expires_at "
             "FROM identities WHERE tenant = $1 AND (type, key, value) IN "
             "(SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))";
    case kLinksOf:
      return "SELECT type, key, value, line_type, first_seen, last_seen, expires_at FROM identities "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 ORDER BY type, key, value";
    case kLinkUpsert:
      return "INSERT INTO identities AS i(tenant, type, key, value, customer_ref, line_type, first_seen, "
             "last_seen, expires_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
             "ON CONFLICT(tenant, type, key, value, customer_ref) DO UPDATE SET "
             "first_seen = CASE WHEN i.expires_at <= excluded.last_seen "
             "  THEN excluded.first_seen ELSE i.first_seen END, "
             "line_type = CASE WHEN excluded.line_type <> '' OR i.expires_at <= excluded.last_seen "
             "  THEN excluded.line_type ELSE i.line_type END, "
             "last_seen = GREATEST(i.last_seen, excluded.last_seen), "
             "expires_at = GREATEST(i.expires_at, excluded.expires_at)";
    case kLinkDelete:
      return "DELETE FROM identities WHERE tenant = $1 AND type = $2 AND key = $3 AND value = $4 "
             "AND customer_ref = $5";

    case kCallGet:
      return "SELECT " CALLMEM_CALL_COLUMNS " FROM calls WHERE tenant = $1 AND call_id = $2";
    case kCallInsert:
      return "INSERT INTO calls(tenant, " CALLMEM_CALL_COLUMNS
             ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
    case kCallEnd:
      return "UPDATE calls SET ended_at = $3, end_fingerprint = $4, end_response = $5, "
             "call_data = $6, identifiers = $7 WHERE tenant = $1 AND call_id = $2";
    case kCallMove:
      return "UPDATE calls SET customer_ref = $3, created_customer = $4 WHERE tenant = $1 AND call_id = $2";
    case kCallFeedback:
      return "UPDATE calls SET feedback_fingerprint = $3, feedback_outcome = $4, feedback_response = $5 "
             "WHERE tenant = $1 AND call_id = $2";
    case kCallsOf:
      return "SELECT " CALLMEM_CALL_COLUMNS " FROM calls "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 "
             "ORDER BY started_at DESC, call_id DESC LIMIT $4";
    case kCallsOfAfter:
      return "SELECT " CALLMEM_CALL_COLUMNS " FROM calls "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 "
             "AND (started_at < $5 OR (started_at = $5 AND call_id < $6)) "
             "ORDER BY started_at DESC, call_id DESC LIMIT $4";

    case kIntentsOf:
      return "SELECT intent, status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
             "FROM intents WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 "
             "AND ($4 = 0 OR status <> 'resolved') ORDER BY last_seen DESC, intent";
    case kIntentGet:
      return "SELECT status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
             "FROM intents WHERE tenant = $1 AND customer_ref = $2 AND intent = $3";
    case kIntentPut:
      return "INSERT INTO intents(tenant, customer_ref, intent, status, attempt_count, first_seen, "
             "last_seen, last_call_id, expires_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
             "ON CONFLICT(tenant, customer_ref, intent) DO UPDATE SET status = excluded.status, "
             "attempt_count = excluded.attempt_count, first_seen = excluded.first_seen, "
             "last_seen = excluded.last_seen, last_call_id = excluded.last_call_id, "
             "expires_at = excluded.expires_at";
    case kIntentDelete:
      return "DELETE FROM intents WHERE tenant = $1 AND customer_ref = $2 AND intent = $3";

    case kVariablesOf:
      return "SELECT name, value, source, updated_at, own_ttl_seconds, expires_at FROM variables "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 ORDER BY name";
    case kVariablePut:
      return "INSERT INTO variables(tenant, customer_ref, name, value, source, updated_at, "
             "own_ttl_seconds, expires_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8) "
             "ON CONFLICT(tenant, customer_ref, name) DO UPDATE SET value = excluded.value, "
             "source = excluded.source, updated_at = excluded.updated_at, "
             "own_ttl_seconds = excluded.own_ttl_seconds, expires_at = excluded.expires_at";
    case kVariableDelete:
      return "DELETE FROM variables WHERE tenant = $1 AND customer_ref = $2 AND name = $3 "
             "RETURNING expires_at > $4";

    case kAliasGet:
      return "SELECT target_ref FROM aliases WHERE tenant = $1 AND alias_ref = $2 AND expires_at > $3";
    case kAliasPut:
      return "INSERT INTO aliases(tenant, alias_ref, target_ref, created_at, expires_at) "
             "VALUES($1, $2, $3, $4, $5) ON CONFLICT(tenant, alias_ref) DO UPDATE SET "
             "target_ref = excluded.target_ref, created_at = excluded.created_at, "
             "expires_at = excluded.expires_at";
    case kAliasDelete:
      return "DELETE FROM aliases WHERE tenant = $1 AND alias_ref = $2";
    case kAliasesRetarget:
      return "UPDATE aliases SET target_ref = $3 WHERE tenant = $1 AND target_ref = $2 RETURNING alias_ref";
    case kMergeInsert:
      return "INSERT INTO merges(tenant, merge_id, alias_ref, target_ref, call_id, alias_created_at, "
             "alias_last_seen, alias_expires_at, merged_at, unmerged_at, expires_at, response, "
             "unmerge_response) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    case kMergeRowInsert:
      return "INSERT INTO merge_rows(tenant, merge_id, seq, kind, role, k1, k2, k3, t1, t2, i1, i2, i3, i4) "
             "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    case kMergeGet:
      return "SELECT alias_ref, target_ref, call_id, alias_created_at, alias_last_seen, alias_expires_at, "
             "merged_at, unmerged_at, expires_at, response, unmerge_response FROM merges "
             "WHERE tenant = $1 AND merge_id = $2";
    case kMergeRowsGet:
      return "SELECT kind, role, k1, k2, k3, t1, t2, i1, i2, i3, i4 FROM merge_rows "
             "WHERE tenant = $1 AND merge_id = $2 ORDER BY seq";
    case kMergeUndone:
      return "UPDATE merges SET unmerged_at = $3, unmerge_response = $4 WHERE tenant = $1 AND merge_id = $2";
    case kFeedbackStatAdd:
      return "INSERT INTO feedback_stats AS f(tenant, signal, confirmed, rejected, predicted) "
             "VALUES($1, $2, $3, $4, $5) ON CONFLICT(tenant, signal) DO UPDATE SET "
             "confirmed = f.confirmed + excluded.confirmed, rejected = f.rejected + excluded.rejected, "
             "predicted = f.predicted + excluded.predicted";
    case kFeedbackStats:
      return "SELECT signal, confirmed, rejected, predicted FROM feedback_stats WHERE tenant = $1 ORDER BY signal";

    case kApiKeyInsert:
      return "INSERT INTO api_keys(tenant, key_id, name, key_hash, created_at, revoked_at) "
             "VALUES($1, $2, $3, $4, $5, $6)";
    case kApiKeyByHash:
      return "SELECT tenant, key_id, name, key_hash, created_at, revoked_at FROM api_keys WHERE key_hash = $1";
    case kApiKeyById:
      return "SELECT tenant, key_id, name, key_hash, created_at, revoked_at FROM api_keys WHERE key_id = $1";
    case kApiKeysOf:
      return "SELECT tenant, key_id, name, key_hash, created_at, revoked_at FROM api_keys WHERE tenant = $1 "
             "ORDER BY created_at, key_id";
    case kApiKeyRevoke:
      return "UPDATE api_keys SET revoked_at = $3 WHERE tenant = $1 AND key_id = $2 AND revoked_at = 0";

    case kGrantGet:
      return "SELECT amount FROM credit_grants WHERE tenant = $1 AND idempotency_key = $2";
    case kGrantInsert:
      return "INSERT INTO credit_grants(tenant, idempotency_key, amount, granted_at) VALUES($1, $2, $3, $4)";
    case kUsageAdd:
      return "INSERT INTO usage AS u(tenant, day, operation, count, credits) VALUES($1, $2, $3, 1, $4) "
             "ON CONFLICT(tenant, day, operation) DO UPDATE SET count = u.count + 1, "
             "credits = u.credits + excluded.credits";
    case kUsageBetween:
      return "SELECT day, operation, count, credits FROM usage "
             "WHERE tenant = $1 AND day >= $2 AND day <= $3 ORDER BY day, operation";

    case kPurgeVariables:
      return CALLMEM_PURGE("variables");
    case kPurgeIntents:
      return CALLMEM_PURGE("intents");
    case kPurgeIdentities:
      return CALLMEM_PURGE("identities");
    case kPurgeCalls:
      return CALLMEM_PURGE("calls");
    case kPurgeAliases:
      return CALLMEM_PURGE("aliases");
    // A customer goes once nothing of its is left, and only when its tenant's
    // lock is free at once: no writer of the tenant can be about to use it.
    case kPurgeCustomers:
      return "DELETE FROM customers c WHERE ctid = ANY(ARRAY(SELECT ctid FROM customers x "
             " WHERE x.expires_at <= $1 "
             " AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.tenant = x.tenant AND i.customer_ref = x.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM intents i WHERE i.tenant = x.tenant AND i.customer_ref = x.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM variables i WHERE i.tenant = x.tenant AND i.customer_ref = x.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM calls i WHERE i.tenant = x.tenant AND i.customer_ref = x.customer_ref) "
             " LIMIT $2 FOR UPDATE SKIP LOCKED)) "
             "AND c.expires_at <= $1 AND pg_try_advisory_xact_lock(hashtextextended($3::text || c.tenant, 0))";
    // A merge log goes with its rows (counted as one).
    case kPurgeMerges:
      return "WITH gone AS (" CALLMEM_PURGE("merges") " RETURNING tenant, merge_id), "
             "rows AS (DELETE FROM merge_rows r USING gone g WHERE r.tenant = g.tenant AND r.merge_id = g.merge_id) "
             "SELECT count(*) FROM gone";

    case kPrefetchAliases:
      return "SELECT alias_ref, target_ref, expires_at FROM aliases WHERE tenant = $1 AND alias_ref = ANY($2::text[])";
    case kPrefetchCustomers:
      return "SELECT customer_ref, created_at, last_seen, expires_at FROM customers "
             "WHERE tenant = $1 AND customer_ref IN " CALLMEM_PREFETCH_REFS;
    case kPrefetchLinks:
      return "SELECT customer_ref, type, key, value, line_type, first_seen, last_seen, expires_at "
             "FROM identities WHERE tenant = $1 AND customer_ref IN " CALLMEM_PREFETCH_REFS;
    case kPrefetchIntents:
      return "SELECT customer_ref, intent, status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
             "FROM intents WHERE tenant = $1 AND customer_ref IN " CALLMEM_PREFETCH_REFS;
    case kPrefetchVariables:
      return "SELECT customer_ref, name, value, source, updated_at, own_ttl_seconds, expires_at "
             "FROM variables WHERE tenant = $1 AND customer_ref IN " CALLMEM_PREFETCH_REFS;

    // $3 until, $4 the tenant's ttl, $5 now.
    case kKeepCustomer:
      return "UPDATE customers SET expires_at = GREATEST(last_seen + $4, $3) WHERE tenant = $1 AND "
             "customer_ref = $2";
    case kKeepLinks:
      return "UPDATE identities SET expires_at = GREATEST(last_seen + $4, $3) "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $5";
    case kKeepAliases:
      return "UPDATE aliases SET expires_at = GREATEST(created_at + $4, $3) "
             "WHERE tenant = $1 AND target_ref = $2 AND expires_at > $5";
    // After a shift by $2: rows that were kept (at or past `until` before it)
    // do not fall below `until`.
    case kRekeepCustomers:
      return "UPDATE customers c SET expires_at = kept.until FROM " CALLMEM_KEPT_UNTIL
             " WHERE c.tenant = $1 AND c.customer_ref = kept.customer_ref "
             "AND c.expires_at < kept.until AND c.expires_at - $2 >= kept.until";
    case kRekeepLinks:
      return "UPDATE identities i SET expires_at = kept.until FROM " CALLMEM_KEPT_UNTIL
             " WHERE i.tenant = $1 AND i.customer_ref = kept.customer_ref "
             "AND i.expires_at < kept.until AND i.expires_at - $2 >= kept.until";
    case kRekeepAliases:
      return "UPDATE aliases a SET expires_at = kept.until FROM " CALLMEM_KEPT_UNTIL
             " WHERE a.tenant = $1 AND a.target_ref = kept.customer_ref "
             "AND a.expires_at < kept.until AND a.expires_at - $2 >= kept.until";

    case kSqlCount:
      break;
  }
  return nullptr;
}

#undef CALLMEM_CALL_COLUMNS
#undef CALLMEM_KEPT_UNTIL
#undef CALLMEM_PREFETCH_REFS
#undef CALLMEM_PURGE

// ---------------------------------------------------------------- errors --

// SQLSTATEs that mean "try again": the lock was not granted in time, a
// deadlock or serialization failure, the server going away or not there yet.
bool transient(const std::string& state) {
  return state == "55P03" || state == "40001" || state == "40P01" || state == "57P01" ||
         state == "57P02" || state == "57P03" || state == "57014" || state.rfind("08", 0) == 0;
}

[[noreturn]] void fail(const std::string& state, const std::string& message) {
  throw Error(transient(state) ? Status::busy : Status::store, "postgres: " + message);
}

std::string trimmed(const char* s) {
  std::string m = s ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// --------------------------------------------------------------- values --

// Numbers go to and from the server as text, with std::to_chars and
// std::from_chars: never through the C locale, which a host may have set to
// one that writes 0.9 as "0,9" (and reads "0.95" as 0).
std::string text_of(std::int64_t v) {
  char buf[24];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
std::string text_of(double v) {
  char buf[32];  // the shortest text that reads back as the same double
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// The whole text as a number; a store error when it is not one.
template <typename T>
T number_of(const char* text, std::size_t size) {
  T v{};
  const auto [end, ec] = std::from_chars(text, text + size, v);
  if (ec != std::errc() || end != text + size)
    throw Error(Status::store, "postgres: not a number: \"" + std::string(text, size) + "\"");
  return v;
}
std::string bool_of(bool v) { return v ? "true" : "false"; }

// A text[] literal: {"a","b\"c"}.
std::string array_of(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// One row of a result, read by column.
class Row {
 public:
  Row(const PGresult* r, int i) : r_(r), i_(i) {}
  std::string text(int c) const {
    return std::string(PQgetvalue(r_, i_, c), static_cast<std::size_t>(PQgetlength(r_, i_, c)));
  }
  std::int64_t i64(int c) const { return number_of<std::int64_t>(PQgetvalue(r_, i_, c), length(c)); }
  std::uint64_t u64(int c) const { return static_cast<std::uint64_t>(i64(c)); }
  double real(int c) const { return number_of<double>(PQgetvalue(r_, i_, c), length(c)); }
  bool boolean(int c) const { return PQgetvalue(r_, i_, c)[0] == 't'; }

 private:
  std::size_t length(int c) const { return static_cast<std::size_t>(PQgetlength(r_, i_, c)); }
  const PGresult* r_;
  int i_;
};

using Handler = std::function<void(const PGresult*)>;

// Calls f for each row.
template <typename F>
Handler rows(F f) {
  return [f](const PGresult* r) {
    for (int i = 0, n = PQntuples(r); i < n; ++i) f(Row(r, i));
  };
}

// Stores the number of rows the statement changed.
Handler changed(std::int64_t& out) {
  return [&out](const PGresult* r) {
    const char* n = PQcmdTuples(const_cast<PGresult*>(r));
    out = *n ? number_of<std::int64_t>(n, std::strlen(n)) : 0;
  };
}

CallRow read_call(const Row& s) {
  CallRow row;
  row.call_id = s.text(0);
  row.customer_ref = s.text(1);
  row.started_at = s.i64(2);
  row.ended_at = s.i64(3);
  row.channel = s.text(4);
  row.direction = s.text(5);
  row.call_data_json = s.text(6);
  row.start_fingerprint = s.u64(7);
  row.start_response = s.text(8);
  row.end_fingerprint = s.u64(9);
  row.end_response = s.text(10);
  row.created_customer = s.boolean(11);
  row.expires_at = s.i64(12);
  row.identifiers_json = s.text(13);
  row.feedback_fingerprint = s.u64(14);
  row.feedback_outcome = s.text(15);
  row.feedback_response = s.text(16);
  return row;
}

// ----------------------------------------------------------- connections --

// One statement waiting to be sent: a prepared one (by Sql) or a text.
struct Pending {
  int sql = -1;          // a Sql, or -1 for `text`
  const char* text = nullptr;
  std::vector<std::string> params;
  Handler on_result;     // null: nothing to read but success
};

struct Connection {
  PGconn* pg = nullptr;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (pg) PQfinish(pg);
  }
  bool ok() const { return pg && PQstatus(pg) == CONNECTION_OK; }
};

std::string conn_error(PGconn* pg) { return trimmed(pg ? PQerrorMessage(pg) : "out of memory"); }

// Runs one plain statement outside pipeline mode (setup and migration).
void exec(PGconn* pg, const std::string& sql) {
  PGresult* r = PQexec(pg, sql.c_str());
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    PQclear(r);
    return;
  }
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = code ? code : (PQstatus(pg) == CONNECTION_OK ? "" : "08000");
  const std::string message = r ? trimmed(PQresultErrorMessage(r)) : conn_error(pg);
  PQclear(r);
  fail(state, message);
}

// Sends the queue and a sync, and reads every result (one round trip). The
// first error is thrown once all results are read, the connection left in
// pipeline mode and usable (its transaction, if any, aborted). A lost
// connection is reported with the state "08006".
void run_pipeline(PGconn* pg, std::vector<Pending>& queue) {
  std::string state, message;
  auto note = [&](const std::string& st, const std::string& m) {
    if (message.empty()) {
      state = st;
      message = m;
    }
  };
  for (const Pending& p : queue) {
    std::vector<const char*> values;
    values.reserve(p.params.size());
    for (const std::string& v : p.params) values.push_back(v.c_str());
    int sent;
    if (p.sql >= 0) {
      const std::string name = "s" + std::to_string(p.sql);
      sent = PQsendQueryPrepared(pg, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                 nullptr, 0);
    } else {
      sent = PQsendQueryParams(pg, p.text, static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    }
    if (!sent) fail("08006", "lost the connection: " + conn_error(pg));
  }
  if (!PQpipelineSync(pg)) fail("08006", "lost the connection: " + conn_error(pg));
  for (Pending& p : queue) {
    PGresult* r = PQgetResult(pg);
    if (r == nullptr) fail("08006", "lost the connection: " + conn_error(pg));
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      if (p.on_result && message.empty()) {
        try {
          p.on_result(r);
        } catch (const std::exception& e) {
          note("", e.what());
        }
      }
    } else if (st == PGRES_FATAL_ERROR) {
      const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      note(code ? code : "08006", trimmed(PQresultErrorMessage(r)));
    } else if (st != PGRES_PIPELINE_ABORTED) {
      note("", std::string("unexpected result ") + PQresStatus(st));
    }
    PQclear(r);
    // Each statement's results end with a null.
    while ((r = PQgetResult(pg)) != nullptr) PQclear(r);
  }
  PGresult* sync = PQgetResult(pg);
  const bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced && message.empty()) note("08006", "lost the connection: " + conn_error(pg));
  if (!message.empty()) fail(state, message);
}

// Session settings, pipeline mode, and every statement prepared (one round trip).
void set_up(PGconn* pg, const PgOptions& o) {
  char* schema = PQescapeIdentifier(pg, o.schema.c_str(), o.schema.size());
  if (!schema) fail("", "cannot quote the schema name: " + conn_error(pg));
  const std::string quoted = schema;
  PQfreemem(schema);
  exec(pg, "SET search_path TO " + quoted + "; SET lock_timeout = " + std::to_string(o.busy_timeout_ms) +
               "; SET application_name = 'callmem'; SET client_min_messages = warning");
  if (!PQenterPipelineMode(pg)) fail("08006", "cannot enter pipeline mode: " + conn_error(pg));
  for (int id = 0; id < kSqlCount; ++id) {
    const std::string name = "s" + std::to_string(id);
    if (!PQsendPrepare(pg, name.c_str(), sql_text(static_cast<Sql>(id)), 0, nullptr))
      fail("08006", "lost the connection: " + conn_error(pg));
  }
  if (!PQpipelineSync(pg)) fail("08006", "lost the connection: " + conn_error(pg));
  std::string state, message;
  for (int id = 0; id < kSqlCount; ++id) {
    PGresult* r = PQgetResult(pg);
    if (!r) fail("08006", "lost the connection: " + conn_error(pg));
    if (PQresultStatus(r) == PGRES_FATAL_ERROR && message.empty()) {
      const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      state = code ? code : "";
      message = "prepare s" + std::to_string(id) + ": " + trimmed(PQresultErrorMessage(r));
    }
    PQclear(r);
    while ((r = PQgetResult(pg)) != nullptr) PQclear(r);
  }
  PGresult* sync = PQgetResult(pg);
  PQclear(sync);
  if (!message.empty()) fail(state, message);
}

std::unique_ptr<Connection> connect(const PgOptions& o) {
  auto c = std::make_unique<Connection>();
  c->pg = PQconnectdb(o.dsn.c_str());
  if (!c->ok()) fail("08001", "cannot connect: " + conn_error(c->pg));
  return c;
}

// Brings the schema to kSchemaVersion, under an advisory lock: nodes opening
// one fresh database at once take turns.
void migrate(PGconn* pg, const PgOptions& o) {
  const std::string migrate_key = "callmem.migrate:" + o.schema;
  char* schema = PQescapeIdentifier(pg, o.schema.c_str(), o.schema.size());
  char* key = PQescapeLiteral(pg, migrate_key.c_str(), migrate_key.size());
  if (!schema || !key) {
    PQfreemem(schema);
    PQfreemem(key);
    fail("", "cannot quote the schema name: " + conn_error(pg));
  }
  const std::string quoted = schema, lock_key = key;
  PQfreemem(schema);
  PQfreemem(key);
  exec(pg, "SET client_min_messages = warning");  // not "schema already exists, skipping"
  exec(pg, "BEGIN");
  try {
    exec(pg, "SELECT pg_advisory_xact_lock(hashtextextended(" + lock_key + ", 0))");
    exec(pg, "CREATE SCHEMA IF NOT EXISTS " + quoted);
    exec(pg, "SET LOCAL search_path TO " + quoted);
    exec(pg, "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)");
    PGresult* r = PQexec(pg, "SELECT max(version) FROM schema_version");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
      const std::string m = r ? trimmed(PQresultErrorMessage(r)) : conn_error(pg);
      PQclear(r);
      fail("", "read the schema version: " + m);
    }
    int version = 0;
    try {
      if (!PQgetisnull(r, 0, 0))
        version = number_of<int>(PQgetvalue(r, 0, 0), std::strlen(PQgetvalue(r, 0, 0)));
    } catch (...) {
      PQclear(r);
      throw;
    }
    PQclear(r);
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
    PQclear(PQexec(pg, "ROLLBACK"));
    throw;
  }
}

}  // namespace

// ------------------------------------------------------------------ pool --

class PgStore::Pool {
 public:
  explicit Pool(PgOptions o) : options_(std::move(o)) {
    auto first = connect(options_);
    migrate(first->pg, options_);
    set_up(first->pg, options_);
    free_.push_back(std::move(first));
    open_ = 1;
  }

  const PgOptions& options() const { return options_; }

  // A connection of our own; waits up to the busy timeout when all are in use.
  std::unique_ptr<Connection> acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.busy_timeout_ms);
    while (free_.empty() && open_ >= options_.pool_size) {
      if (available_.wait_until(lock, deadline) == std::cv_status::timeout && free_.empty() &&
          open_ >= options_.pool_size)
        throw Error(Status::busy, "postgres: all " + std::to_string(options_.pool_size) + " connections are in use");
    }
    if (!free_.empty()) {
      std::unique_ptr<Connection> c = std::move(free_.back());
      free_.pop_back();
      lock.unlock();
      if (!c->ok()) revive(*c);
      return c;
    }
    ++open_;
    lock.unlock();
    try {
      auto c = connect(options_);
      set_up(c->pg, options_);
      return c;
    } catch (...) {
      forget();
      throw;
    }
  }

  // Reconnects a connection the server dropped, with the same settings.
  void revive(Connection& c) {
    PQfinish(c.pg);
    c.pg = PQconnectdb(options_.dsn.c_str());
    if (!c.ok()) fail("08001", "cannot reconnect: " + conn_error(c.pg));
    set_up(c.pg, options_);
  }

  // Takes back a connection that is outside any transaction.
  void release(std::unique_ptr<Connection> c) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(std::move(c));
    }
    available_.notify_one();
  }

  // Closes a connection that cannot be trusted any more.
  void discard(std::unique_ptr<Connection> c) {
    c.reset();
    forget();
  }

  void count_round_trip() { round_trips_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t round_trips() const { return round_trips_.load(std::memory_order_relaxed); }

 private:
  void forget() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --open_;
    }
    available_.notify_one();
  }

  PgOptions options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> free_;
  int open_ = 0;
  std::atomic<std::uint64_t> round_trips_{0};
};

// ----------------------------------------------------------- transaction --

namespace {

// What a prefetch read, as stored (expired rows too: reads filter by their own
// `now`), and kept until this transaction writes what it covers.
struct RefCache {
  bool have_customer = false, have_links = false, have_intents = false, have_variables = false;
  std::optional<CustomerRow> customer;
  std::vector<LinkRow> links;
  std::vector<IntentRow> intents;
  std::vector<VariableRow> variables;
};

struct Cache {
  bool active = false;
  std::string tenant;
  bool have_call = false;
  std::string call_id;
  std::optional<CallRow> call;
  bool have_tenant = false;
  std::optional<TenantRow> tenant_row;
  bool have_find = false;
  std::vector<Identifier> find_ids;
  std::vector<LinkRow> find_rows;
  std::map<std::string, std::optional<AliasRow>> aliases;
  std::map<std::string, RefCache> refs;

  void clear() { *this = Cache(); }
  bool covers(const std::string& t) const { return active && t == tenant; }
  RefCache* ref(const std::string& t, const std::string& r) {
    if (!covers(t)) return nullptr;
    auto it = refs.find(r);
    return it == refs.end() ? nullptr : &it->second;
  }
};

// The links of `ids` among rows, unexpired at `now`, in the order of ids (each
// identifier once), then by customer_ref.
std::vector<LinkRow> links_matching(const std::vector<LinkRow>& rows, const std::vector<Identifier>& ids,
                                    Millis now) {
  std::vector<LinkRow> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j) seen = ids[j] == ids[i];
    if (seen) continue;
    const std::size_t first = out.size();
    for (const LinkRow& l : rows)
      if (l.id == ids[i] && l.expires_at > now) out.push_back(l);
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const LinkRow& a, const LinkRow& b) { return a.customer_ref < b.customer_ref; });
  }
  return out;
}

class PgTransaction final : public Transaction {
 public:
  PgTransaction(std::shared_ptr<PgStore::Pool> pool, std::unique_ptr<Connection> conn, bool write)
      : pool_(std::move(pool)), conn_(std::move(conn)), write_(write) {
    Pending begin;
    begin.text = write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                       : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    queue_.push_back(std::move(begin));
  }
  ~PgTransaction() override {
    if (conn_) abort();
  }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  void commit() override {
    guarded([&] {
      if (!sent_) {
        // Nothing reached the server: only writes (or nothing) were queued.
        if (queue_.size() == 1) {
          queue_.clear();
          return;
        }
      }
      Pending c;
      c.text = "COMMIT";
      queue_.push_back(std::move(c));
      flush(false);
    });
    pool_->release(std::move(conn_));
  }

  void prefetch(const Prefetch& p) override {
    guarded([&] {
      lock(p.tenant);
      cache_.clear();
      cache_.active = true;
      cache_.tenant = p.tenant;
      cache_.have_call = cache_.have_tenant = cache_.have_find = true;
      cache_.call_id = p.call_id;
      cache_.find_ids = p.ids;
      std::vector<std::string> types, keys, values;
      for (const Identifier& id : p.ids) {
        types.push_back(id.type);
        keys.push_back(id.key);
        values.push_back(id.value);
      }
      const std::string a_types = array_of(types), a_keys = array_of(keys), a_values = array_of(values);
      const std::string a_refs = array_of(p.refs);
      send(kCallGet, {p.tenant, p.call_id}, rows([this](const Row& s) { cache_.call = read_call(s); }));
      send(kTenantGet, {p.tenant}, rows([this](const Row& s) { cache_.tenant_row = read_tenant(s); }));
      send(kLinksFind, {p.tenant, a_types, a_keys, a_values}, rows([this](const Row& s) {
             cache_.find_rows.push_back(read_found_link(s));
           }));
      for (const std::string& r : p.refs) cache_.aliases[r] = std::nullopt;
      send(kPrefetchAliases, {p.tenant, a_refs}, rows([this](const Row& s) {
             cache_.aliases[s.text(0)] = AliasRow{s.text(0), s.text(1), 0, s.i64(2)};
           }));
      const std::vector<std::string> all{p.tenant, a_types, a_keys, a_values, p.call_id, a_refs};
      send(kPrefetchCustomers, all, rows([this](const Row& s) {
             CustomerRow c{s.text(0), s.i64(1), s.i64(2), s.i64(3)};
             cache_.refs[c.customer_ref].customer = c;
           }));
      send(kPrefetchLinks, all, rows([this](const Row& s) {
             LinkRow l;
             l.customer_ref = s.text(0);
             l.id = Identifier{s.text(1), s.text(2), s.text(3)};
             l.line_type = s.text(4);
             l.first_seen = s.i64(5);
             l.last_seen = s.i64(6);
             l.expires_at = s.i64(7);
             cache_.refs[l.customer_ref].links.push_back(std::move(l));
           }));
      send(kPrefetchIntents, all, rows([this](const Row& s) {
             IntentRow i;
             i.intent = s.text(1);
             i.status = s.text(2);
             i.attempt_count = s.i64(3);
             i.first_seen = s.i64(4);
             i.last_seen = s.i64(5);
             i.last_call_id = s.text(6);
             i.expires_at = s.i64(7);
             cache_.refs[s.text(0)].intents.push_back(std::move(i));
           }));
      send(kPrefetchVariables, all, rows([this](const Row& s) {
             VariableRow v;
             v.name = s.text(1);
             v.value_json = s.text(2);
             v.source = s.text(3);
             v.updated_at = s.i64(4);
             v.own_ttl_seconds = s.i64(5);
             v.expires_at = s.i64(6);
             cache_.refs[s.text(0)].variables.push_back(std::move(v));
           }));
      try {
        flush(true);
      } catch (...) {
        cache_.clear();
        throw;
      }
      // Every customer the batch was about is known now, present or not.
      std::set<std::string> about(p.refs.begin(), p.refs.end());
      for (const LinkRow& l : cache_.find_rows) about.insert(l.customer_ref);
      if (cache_.call) about.insert(cache_.call->customer_ref);
      for (const auto& [alias, row] : cache_.aliases)
        if (row) about.insert(row->target_ref);
      for (const std::string& r : about) {
        RefCache& rc = cache_.refs[r];
        rc.have_customer = rc.have_links = rc.have_intents = rc.have_variables = true;
      }
    });
  }

  // ---- tenants

  std::optional<TenantRow> tenant_get(const std::string& tenant) override {
    if (cache_.covers(tenant) && cache_.have_tenant) return cache_.tenant_row;
    return guarded([&] {
      lock(tenant);
      std::optional<TenantRow> out;
      send(kTenantGet, {tenant}, rows([&](const Row& s) { out = read_tenant(s); }));
      flush(true);
      return out;
    });
  }

  void tenant_put(const std::string& tenant, const TenantRow& row) override {
    guarded([&] {
      wrote(tenant);
      cache_.have_tenant = false;
      const TenantSettings& t = row.settings;
      send(kTenantPut, {tenant, text_of(t.ttl_days), t.default_region, text_of(t.level_very_high),
                        text_of(t.level_high), text_of(t.level_medium), text_of(t.reuse), text_of(t.confirm),
                        bool_of(t.billing_enabled), text_of(t.prices.start_new),
                        text_of(t.prices.start_returning), text_of(t.prices.end), text_of(row.balance),
                        t.identity_profile, json::write_identity_weights(t.identity_weights),
                        bool_of(t.identity_merge_duplicates), text_of(t.rate_limit_per_minute)});
    });
  }

  void tenant_shift_expiry(const std::string& tenant, Millis delta) override {
    guarded([&] {
      wrote(tenant);
      cache_.clear();
      for (Sql id : {kShiftCustomers, kShiftIdentities, kShiftCalls, kShiftIntents, kShiftVariables,
                     kShiftAliases, kShiftMerges, kRekeepCustomers, kRekeepLinks, kRekeepAliases})
        send(id, {tenant, text_of(delta)});
    });
  }

  // ---- customers

  std::optional<CustomerRow> customer_get(const std::string& tenant, const std::string& ref,
                                          Millis now) override {
    if (RefCache* c = cache_.ref(tenant, ref); c && c->have_customer) {
      if (c->customer && c->customer->expires_at > now) return c->customer;
      return std::nullopt;
    }
    return guarded([&] {
      lock(tenant);
      std::optional<CustomerRow> out;
      send(kCustomerGet, {tenant, ref, text_of(now)},
           rows([&](const Row& s) { out = CustomerRow{ref, s.i64(0), s.i64(1), s.i64(2)}; }));
      flush(true);
      return out;
    });
  }

  void customer_insert(const std::string& tenant, const CustomerRow& row) override {
    guarded([&] {
      forget(tenant, row.customer_ref, &RefCache::have_customer);
      send(kCustomerInsert, {tenant, row.customer_ref, text_of(row.created_at), text_of(row.last_seen),
                             text_of(row.expires_at)});
    });
  }

  void customer_touch(const std::string& tenant, const std::string& ref, Millis last_seen,
                      Millis expires_at) override {
    guarded([&] {
      forget(tenant, ref, &RefCache::have_customer);
      send(kCustomerTouch, {tenant, ref, text_of(last_seen), text_of(expires_at)});
    });
  }

  void customer_keep(const std::string& tenant, const std::string& ref, Millis until, Millis ttl,
                     Millis now) override {
    guarded([&] {
      forget(tenant, ref, &RefCache::have_customer);
      forget(tenant, ref, &RefCache::have_links);
      cache_.have_find = false;
      cache_.aliases.clear();
      send(kKeepCustomer, {tenant, ref, text_of(until), text_of(ttl)});
      send(kKeepLinks, {tenant, ref, text_of(until), text_of(ttl), text_of(now)});
      send(kKeepAliases, {tenant, ref, text_of(until), text_of(ttl), text_of(now)});
    });
  }

  Removed customer_delete(const std::string& tenant, const std::string& ref) override {
    return guarded([&] {
      wrote(tenant);
      cache_.clear();
      Removed r;
      std::int64_t ignored = 0;
      send(kDeleteIdentities, {tenant, ref}, changed(r.identities));
      send(kDeleteIntents, {tenant, ref}, changed(r.intents));
      send(kDeleteVariables, {tenant, ref}, changed(r.variables));
      send(kDeleteCalls, {tenant, ref}, changed(r.calls));
      send(kCustomerRemove, {tenant, ref}, changed(r.customers));
      send(kDeleteAliases, {tenant, ref}, changed(r.aliases));
      send(kDeleteMergeRowsOf, {tenant, ref}, changed(ignored));
      send(kDeleteMergesOf, {tenant, ref}, changed(r.merges));
      flush(true);
      return r;
    });
  }

  bool customer_remove(const std::string& tenant, const std::string& ref) override {
    return guarded([&] {
      forget(tenant, ref, &RefCache::have_customer);
      std::int64_t n = 0;
      send(kCustomerRemove, {tenant, ref}, changed(n));
      flush(true);
      return n > 0;
    });
  }

  // ---- identity links

  std::vector<LinkRow> links_find(const std::string& tenant, const std::vector<Identifier>& ids,
                                  Millis now) override {
    if (cache_.covers(tenant) && cache_.have_find &&
        std::all_of(ids.begin(), ids.end(), [&](const Identifier& id) {
          return std::find(cache_.find_ids.begin(), cache_.find_ids.end(), id) != cache_.find_ids.end();
        }))
      return links_matching(cache_.find_rows, ids, now);
    return guarded([&] {
      lock(tenant);
      std::vector<std::string> types, keys, values;
      for (const Identifier& id : ids) {
        types.push_back(id.type);
        keys.push_back(id.key);
        values.push_back(id.value);
      }
      std::vector<LinkRow> found;
      send(kLinksFind, {tenant, array_of(types), array_of(keys), array_of(values)},
           rows([&](const Row& s) { found.push_back(read_found_link(s)); }));
      flush(true);
      return links_matching(found, ids, now);
    });
  }

  std::vector<LinkRow> links_of(const std::string& tenant, const std::string& ref, Millis now) override {
    if (RefCache* c = cache_.ref(tenant, ref); c && c->have_links) {
      std::vector<LinkRow> out;
      for (const LinkRow& l : c->links)
        if (l.expires_at > now) out.push_back(l);
      std::sort(out.begin(), out.end(), [](const LinkRow& a, const LinkRow& b) { return a.id < b.id; });
      return out;
    }
    return guarded([&] {
      lock(tenant);
      std::vector<LinkRow> out;
      send(kLinksOf, {tenant, ref, text_of(now)}, rows([&](const Row& s) {
             LinkRow row;
             row.id = Identifier{s.text(0), s.text(1), s.text(2)};
             row.customer_ref = ref;
             row.line_type = s.text(3);
             row.first_seen = s.i64(4);
             row.last_seen = s.i64(5);
             row.expires_at = s.i64(6);
             out.push_back(std::move(row));
           }));
      flush(true);
      return out;
    });
  }

  void link_upsert(const std::string& tenant, const LinkRow& row) override {
    guarded([&] {
      forget(tenant, row.customer_ref, &RefCache::have_links);
      cache_.have_find = false;
      send(kLinkUpsert, {tenant, row.id.type, row.id.key, row.id.value, row.customer_ref, row.line_type,
                         text_of(row.first_seen), text_of(row.last_seen), text_of(row.expires_at)});
    });
  }

  bool link_delete(const std::string& tenant, const Identifier& id, const std::string& ref) override {
    return guarded([&] {
      forget(tenant, ref, &RefCache::have_links);
      cache_.have_find = false;
      std::int64_t n = 0;
      send(kLinkDelete, {tenant, id.type, id.key, id.value, ref}, changed(n));
      flush(true);
      return n > 0;
    });
  }

  // ---- calls

  std::optional<CallRow> call_get(const std::string& tenant, const std::string& call_id) override {
    if (cache_.covers(tenant) && cache_.have_call && cache_.call_id == call_id) return cache_.call;
    return guarded([&] {
      lock(tenant);
      std::optional<CallRow> out;
      send(kCallGet, {tenant, call_id}, rows([&](const Row& s) { out = read_call(s); }));
      flush(true);
      return out;
    });
  }

  void call_insert(const std::string& tenant, const CallRow& row) override {
    guarded([&] {
      wrote(tenant);
      cache_.have_call = false;
      send(kCallInsert,
           {tenant, row.call_id, row.customer_ref, text_of(row.started_at), text_of(row.ended_at), row.channel,
            row.direction, row.call_data_json, text_of(static_cast<std::int64_t>(row.start_fingerprint)),
            row.start_response, text_of(static_cast<std::int64_t>(row.end_fingerprint)), row.end_response,
            bool_of(row.created_customer), text_of(row.expires_at), row.identifiers_json,
            text_of(static_cast<std::int64_t>(row.feedback_fingerprint)), row.feedback_outcome,
            row.feedback_response});
    });
  }

  void call_end(const std::string& tenant, const CallRow& row) override {
    guarded([&] {
      wrote(tenant);
      cache_.have_call = false;
      send(kCallEnd, {tenant, row.call_id, text_of(row.ended_at),
                      text_of(static_cast<std::int64_t>(row.end_fingerprint)), row.end_response,
                      row.call_data_json, row.identifiers_json});
    });
  }

  void call_move(const std::string& tenant, const std::string& call_id, const std::string& ref,
                 bool created_customer) override {
    guarded([&] {
      wrote(tenant);
      cache_.have_call = false;
      send(kCallMove, {tenant, call_id, ref, bool_of(created_customer)});
    });
  }

  void call_feedback(const std::string& tenant, const CallRow& row) override {
    guarded([&] {
      wrote(tenant);
      cache_.have_call = false;
      send(kCallFeedback, {tenant, row.call_id, text_of(static_cast<std::int64_t>(row.feedback_fingerprint)),
                           row.feedback_outcome, row.feedback_response});
    });
  }

  std::vector<CallRow> calls_of(const std::string& tenant, const std::string& ref, Millis now,
                                const std::optional<CallCursor>& after, std::int64_t limit) override {
    return guarded([&] {
      std::vector<CallRow> out;
      if (limit <= 0) return out;
      lock(tenant);
      std::vector<std::string> params{tenant, ref, text_of(now), text_of(limit)};
      if (after) {
        params.push_back(text_of(after->started_at));
        params.push_back(after->call_id);
      }
      send(after ? kCallsOfAfter : kCallsOf, params, rows([&](const Row& s) { out.push_back(read_call(s)); }));
      flush(true);
      return out;
    });
  }

  // ---- intents

  std::vector<IntentRow> intents_of(const std::string& tenant, const std::string& ref, Millis now,
                                    bool open_only) override {
    if (RefCache* c = cache_.ref(tenant, ref); c && c->have_intents) {
      std::vector<IntentRow> out;
      for (const IntentRow& i : c->intents)
        if (i.expires_at > now && (!open_only || i.status != "resolved")) out.push_back(i);
      std::sort(out.begin(), out.end(), [](const IntentRow& a, const IntentRow& b) {
        if (a.last_seen != b.last_seen) return a.last_seen > b.last_seen;
        return a.intent < b.intent;
      });
      return out;
    }
    return guarded([&] {
      lock(tenant);
      std::vector<IntentRow> out;
      send(kIntentsOf, {tenant, ref, text_of(now), open_only ? "1" : "0"}, rows([&](const Row& s) {
             IntentRow row;
             row.intent = s.text(0);
             row.status = s.text(1);
             row.attempt_count = s.i64(2);
             row.first_seen = s.i64(3);
             row.last_seen = s.i64(4);
             row.last_call_id = s.text(5);
             row.expires_at = s.i64(6);
             out.push_back(std::move(row));
           }));
      flush(true);
      return out;
    });
  }

  std::optional<IntentRow> intent_get(const std::string& tenant, const std::string& ref,
                                      const std::string& intent) override {
    if (RefCache* c = cache_.ref(tenant, ref); c && c->have_intents) {
      for (const IntentRow& i : c->intents)
        if (i.intent == intent) return i;
      return std::nullopt;
    }
    return guarded([&] {
      lock(tenant);
      std::optional<IntentRow> out;
      send(kIntentGet, {tenant, ref, intent}, rows([&](const Row& s) {
             IntentRow row;
             row.intent = intent;
             row.status = s.text(0);
             row.attempt_count = s.i64(1);
             row.first_seen = s.i64(2);
             row.last_seen = s.i64(3);
             row.last_call_id = s.text(4);
             row.expires_at = s.i64(5);
             out = std::move(row);
           }));
      flush(true);
      return out;
    });
  }

  void intent_put(const std::string& tenant, const std::string& ref, const IntentRow& row) override {
    guarded([&] {
      forget(tenant, ref, &RefCache::have_intents);
      send(kIntentPut, {tenant, ref, row.intent, row.status, text_of(row.attempt_count), text_of(row.first_seen),
                        text_of(row.last_seen), row.last_call_id, text_of(row.expires_at)});
    });
  }

  bool intent_delete(const std::string& tenant, const std::string& ref, const std::string& intent) override {
    return guarded([&] {
      forget(tenant, ref, &RefCache::have_intents);
      std::int64_t n = 0;
      send(kIntentDelete, {tenant, ref, intent}, changed(n));
      flush(true);
      return n > 0;
    });
  }

  // ---- variables

  std::vector<VariableRow> variables_of(const std::string& tenant, const std::string& ref,
                                        Millis now) override {
    if (RefCache* c = cache_.ref(tenant, ref); c && c->have_variables) {
      std::vector<VariableRow> out;
      for (const VariableRow& v : c->variables)
        if (v.expires_at > now) out.push_back(v);
      std::sort(out.begin(), out.end(), [](const VariableRow& a, const VariableRow& b) { return a.name < b.name; });
      return out;
    }
    return guarded([&] {
      lock(tenant);
      std::vector<VariableRow> out;
      send(kVariablesOf, {tenant, ref, text_of(now)}, rows([&](const Row& s) {
             VariableRow row;
             row.name = s.text(0);
             row.value_json = s.text(1);
             row.source = s.text(2);
             row.updated_at = s.i64(3);
             row.own_ttl_seconds = s.i64(4);
             row.expires_at = s.i64(5);
             out.push_back(std::move(row));
           }));
      flush(true);
      return out;
    });
  }

  void variable_put(const std::string& tenant, const std::string& ref, const VariableRow& row) override {
    guarded([&] {
      forget(tenant, ref, &RefCache::have_variables);
      send(kVariablePut, {tenant, ref, row.name, row.value_json, row.source, text_of(row.updated_at),
                          text_of(row.own_ttl_seconds), text_of(row.expires_at)});
    });
  }

  bool variable_delete(const std::string& tenant, const std::string& ref, const std::string& name,
                       Millis now) override {
    return guarded([&] {
      forget(tenant, ref, &RefCache::have_variables);
      bool unexpired = false;
      send(kVariableDelete, {tenant, ref, name, text_of(now)},
           rows([&](const Row& s) { unexpired = unexpired || s.boolean(0); }));
      flush(true);
      return unexpired;
    });
  }

  // ---- aliases and merges

  std::optional<std::string> alias_target(const std::string& tenant, const std::string& alias_ref,
                                          Millis now) override {
    if (cache_.covers(tenant)) {
      auto it = cache_.aliases.find(alias_ref);
      if (it != cache_.aliases.end()) {
        if (it->second && it->second->expires_at > now) return it->second->target_ref;
        return std::nullopt;
      }
    }
    return guarded([&] {
      lock(tenant);
      std::optional<std::string> out;
      send(kAliasGet, {tenant, alias_ref, text_of(now)}, rows([&](const Row& s) { out = s.text(0); }));
      flush(true);
      return out;
    });
  }

  void alias_put(const std::string& tenant, const AliasRow& row) override {
    guarded([&] {
      wrote(tenant);
      cache_.aliases.clear();
      send(kAliasPut, {tenant, row.alias_ref, row.target_ref, text_of(row.created_at), text_of(row.expires_at)});
    });
  }

  bool alias_delete(const std::string& tenant, const std::string& alias_ref) override {
    return guarded([&] {
      wrote(tenant);
      cache_.aliases.clear();
      std::int64_t n = 0;
      send(kAliasDelete, {tenant, alias_ref}, changed(n));
      flush(true);
      return n > 0;
    });
  }

  std::vector<std::string> aliases_retarget(const std::string& tenant, const std::string& from,
                                            const std::string& to) override {
    return guarded([&] {
      wrote(tenant);
      cache_.aliases.clear();
      std::vector<std::string> out;
      send(kAliasesRetarget, {tenant, from, to}, rows([&](const Row& s) { out.push_back(s.text(0)); }));
      flush(true);
      std::sort(out.begin(), out.end());
      return out;
    });
  }

  // merge_rows: one row per thing moved or replaced (store/merge_rows.hpp).
  void merge_insert(const std::string& tenant, const MergeLog& log) override {
    guarded([&] {
      wrote(tenant);
      const CustomerRow& c = log.alias_customer;
      send(kMergeInsert, {tenant, log.merge_id, log.alias_ref, log.target_ref, log.call_id, text_of(c.created_at),
                          text_of(c.last_seen), text_of(c.expires_at), text_of(log.merged_at),
                          text_of(log.unmerged_at), text_of(log.expires_at), log.response, log.unmerge_response});
      std::int64_t seq = 0;
      for (const MergeRow& r : merge_rows_of(log))
        send(kMergeRowInsert, {tenant, log.merge_id, text_of(seq++), r.kind, r.role, r.k1, r.k2, r.k3, r.t1, r.t2,
                               text_of(r.i1), text_of(r.i2), text_of(r.i3), text_of(r.i4)});
    });
  }

  std::optional<MergeLog> merge_get(const std::string& tenant, const std::string& merge_id) override {
    return guarded([&]() -> std::optional<MergeLog> {
      lock(tenant);
      MergeLog log;
      bool found = false;
      std::vector<MergeRow> merge_rows;
      send(kMergeGet, {tenant, merge_id}, rows([&](const Row& s) {
             found = true;
             log.merge_id = merge_id;
             log.alias_ref = s.text(0);
             log.target_ref = s.text(1);
             log.call_id = s.text(2);
             log.alias_customer.customer_ref = log.alias_ref;
             log.alias_customer.created_at = s.i64(3);
             log.alias_customer.last_seen = s.i64(4);
             log.alias_customer.expires_at = s.i64(5);
             log.merged_at = s.i64(6);
             log.unmerged_at = s.i64(7);
             log.expires_at = s.i64(8);
             log.response = s.text(9);
             log.unmerge_response = s.text(10);
           }));
      send(kMergeRowsGet, {tenant, merge_id}, rows([&](const Row& s) {
             merge_rows.push_back(MergeRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                                           s.i64(7), s.i64(8), s.i64(9), s.i64(10)});
           }));
      flush(true);
      if (!found) return std::nullopt;
      for (const MergeRow& r : merge_rows) add_merge_row(log, r);
      return log;
    });
  }

  void merge_undone(const std::string& tenant, const std::string& merge_id, Millis at,
                    const std::string& response) override {
    guarded([&] {
      wrote(tenant);
      send(kMergeUndone, {tenant, merge_id, text_of(at), response});
    });
  }

  // ---- feedback outcomes

  void feedback_stat_add(const std::string& tenant, const std::string& signal, const std::string& outcome,
                         double predicted) override {
    guarded([&] {
      wrote(tenant);
      send(kFeedbackStatAdd, {tenant, signal, outcome == "confirmed" ? "1" : "0", outcome == "rejected" ? "1" : "0",
                              text_of(predicted)});
    });
  }

  std::vector<FeedbackStat> feedback_stats(const std::string& tenant) override {
    return guarded([&] {
      lock(tenant);
      std::vector<FeedbackStat> out;
      send(kFeedbackStats, {tenant}, rows([&](const Row& s) {
             out.push_back(FeedbackStat{s.text(0), s.i64(1), s.i64(2), s.real(3)});
           }));
      flush(true);
      return out;
    });
  }

  // ---- API keys

  void api_key_insert(const ApiKeyRow& row) override {
    guarded([&] {
      wrote(row.tenant);
      send(kApiKeyInsert, {row.tenant, row.key_id, row.name, row.key_hash, text_of(row.created_at),
                           text_of(row.revoked_at)});
    });
  }

  std::optional<ApiKeyRow> api_key_by_hash(const std::string& key_hash) override {
    return api_key_one(kApiKeyByHash, key_hash);
  }

  std::optional<ApiKeyRow> api_key_by_id(const std::string& key_id) override {
    return api_key_one(kApiKeyById, key_id);
  }

  std::vector<ApiKeyRow> api_keys_of(const std::string& tenant) override {
    return guarded([&] {
      std::vector<ApiKeyRow> out;
      send(kApiKeysOf, {tenant}, rows([&](const Row& s) { out.push_back(read_api_key(s)); }));
      flush(true);
      return out;
    });
  }

  void api_key_revoke(const std::string& tenant, const std::string& key_id, Millis at) override {
    guarded([&] {
      wrote(tenant);
      send(kApiKeyRevoke, {tenant, key_id, text_of(at)});
    });
  }

  // ---- credits and usage

  std::optional<std::int64_t> grant_get(const std::string& tenant, const std::string& key) override {
    return guarded([&] {
      lock(tenant);
      std::optional<std::int64_t> out;
      send(kGrantGet, {tenant, key}, rows([&](const Row& s) { out = s.i64(0); }));
      flush(true);
      return out;
    });
  }

  void grant_insert(const std::string& tenant, const std::string& key, std::int64_t amount,
                    Millis at) override {
    guarded([&] {
      wrote(tenant);
      send(kGrantInsert, {tenant, key, text_of(amount), text_of(at)});
    });
  }

  void usage_add(const std::string& tenant, const std::string& day, const std::string& operation,
                 std::int64_t credits) override {
    guarded([&] {
      wrote(tenant);
      send(kUsageAdd, {tenant, day, operation, text_of(credits)});
    });
  }

  std::vector<UsageRow> usage_between(const std::string& tenant, const std::string& from_day,
                                      const std::string& to_day) override {
    return guarded([&] {
      lock(tenant);
      std::vector<UsageRow> out;
      send(kUsageBetween, {tenant, from_day, to_day}, rows([&](const Row& s) {
             UsageRow row;
             row.day = s.text(0);
             row.operation = s.text(1);
             row.count = s.i64(2);
             row.credits = s.i64(3);
             out.push_back(std::move(row));
           }));
      flush(true);
      return out;
    });
  }

  // ---- purge

  Removed purge(Millis now, std::int64_t limit) override {
    return guarded([&] {
      cache_.clear();
      Removed r;
      std::int64_t left = limit;
      const std::string prefix = pool_->options().schema + ":";
      auto sweep = [&](Sql id, std::int64_t& count) {
        if (left <= 0) return;
        std::vector<std::string> params{text_of(now), text_of(left)};
        if (id == kPurgeCustomers) params.push_back(prefix);
        if (id == kPurgeMerges)
          send(id, params, rows([&](const Row& s) { count = s.i64(0); }));
        else
          send(id, params, changed(count));
        flush(true);
        left -= count;
      };
      sweep(kPurgeVariables, r.variables);
      sweep(kPurgeIntents, r.intents);
      sweep(kPurgeIdentities, r.identities);
      sweep(kPurgeCalls, r.calls);
      sweep(kPurgeCustomers, r.customers);
      sweep(kPurgeAliases, r.aliases);
      sweep(kPurgeMerges, r.merges);
      return r;
    });
  }

  // ---- operators (callmem tenant list, stats, check)

  std::vector<TenantCounts> tenant_counts(Millis now) override {
    return guarded([&] {
      std::vector<TenantCounts> out;
      for (const auto& row :
           query_once("WITH t(tenant) AS (SELECT tenant FROM tenants UNION SELECT tenant FROM customers "
                      "  UNION SELECT tenant FROM calls UNION SELECT tenant FROM api_keys) "
                      "SELECT t.tenant, "
                      " EXISTS (SELECT 1 FROM tenants x WHERE x.tenant = t.tenant)::int, "
                      " (SELECT count(*) FROM customers c WHERE c.tenant = t.tenant AND c.expires_at > $1), "
                      " (SELECT count(*) FROM identities i WHERE i.tenant = t.tenant AND i.expires_at > $1), "
                      " (SELECT count(*) FROM calls k WHERE k.tenant = t.tenant AND k.expires_at > $1), "
                      " (SELECT count(*) FROM intents n WHERE n.tenant = t.tenant AND n.status <> 'resolved' "
                      "   AND n.expires_at > $1), "
                      " (SELECT count(*) FROM api_keys a WHERE a.tenant = t.tenant AND a.revoked_at = 0) "
                      "FROM t ORDER BY t.tenant COLLATE \"C\"",
                      {text_of(now)})) {
        TenantCounts c;
        c.tenant = row[0];
        c.configured = row[1] != "0";
        c.customers = std::stoll(row[2]);
        c.identifiers = std::stoll(row[3]);
        c.calls = std::stoll(row[4]);
        c.open_intents = std::stoll(row[5]);
        c.keys = std::stoll(row[6]);
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  DatabaseInfo database_info() override {
    return guarded([&] {
      DatabaseInfo info;
      info.store = "postgres";
      info.library_schema_version = kSchemaVersion;
      const auto row = query_once(
                           "SELECT (SELECT coalesce(max(version), 0) FROM schema_version), "
                           " (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                           "  JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "  WHERE n.nspname = current_schema() AND c.relkind = 'r')",
                           {})
                           .at(0);
      info.schema_version = static_cast<int>(std::stoll(row.at(0)));
      info.size_bytes = std::stoll(row.at(1));
      return info;
    });
  }

  // PostgreSQL checks its pages itself (and pg_amcheck checks them on
  // demand): here, callmem's tables, the schema version and the indexes.
  std::vector<std::string> integrity_check() override {
    return guarded([&] {
      std::vector<std::string> problems;
      std::vector<std::string> tables;
      for (const auto& row : query_once(
               "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", {}))
        tables.push_back(row[0]);
      for (const char* t :
           {"aliases", "api_keys", "calls", "credit_grants", "customers", "feedback_stats", "identities",
            "intents", "merge_rows", "merges", "schema_version", "tenants", "usage", "variables"})
        if (std::find(tables.begin(), tables.end(), t) == tables.end())
          problems.push_back(std::string("table ") + t + " is missing");
      if (std::find(tables.begin(), tables.end(), "schema_version") != tables.end()) {
        const auto versions = query_once("SELECT version FROM schema_version", {});
        if (versions.size() != 1)
          problems.push_back("schema_version holds " + std::to_string(versions.size()) + " rows, not one");
        else if (std::stoll(versions[0][0]) != kSchemaVersion)
          problems.push_back("schema version " + versions[0][0] + ", this library's is " +
                             std::to_string(kSchemaVersion));
      }
      for (const auto& row : query_once(
               "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
               " JOIN pg_namespace n ON n.oid = c.relnamespace "
               " WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready) ORDER BY 1",
               {}))
        problems.push_back("index " + row[0] + " is invalid (a failed CREATE INDEX CONCURRENTLY or REINDEX)");
      return problems;
    });
  }

  // A statement the operators run now and then, not worth a prepared one:
  // its rows, each column as text.
  std::vector<std::vector<std::string>> query_once(const char* sql, std::vector<std::string> params) {
    std::vector<std::vector<std::string>> out;
    Pending p;
    p.text = sql;
    p.params = std::move(params);
    p.on_result = [&out](const PGresult* r) {
      for (int i = 0, n = PQntuples(r); i < n; ++i) {
        std::vector<std::string> row;
        for (int c = 0, m = PQnfields(r); c < m; ++c) row.push_back(Row(r, i).text(c));
        out.push_back(std::move(row));
      }
    };
    queue_.push_back(std::move(p));
    flush(true);
    return out;
  }

 private:
  static ApiKeyRow read_api_key(const Row& s) {
    return ApiKeyRow{s.text(1), s.text(0), s.text(2), s.text(3), s.i64(4), s.i64(5)};
  }

  std::optional<ApiKeyRow> api_key_one(Sql id, const std::string& value) {
    return guarded([&] {
      std::optional<ApiKeyRow> out;
      send(id, {value}, rows([&](const Row& s) { out = read_api_key(s); }));
      flush(true);
      return out;
    });
  }

  static TenantRow read_tenant(const Row& s) {
    TenantRow row;
    TenantSettings& t = row.settings;
    t.ttl_days = s.i64(0);
    t.default_region = s.text(1);
    t.level_very_high = s.real(2);
    t.level_high = s.real(3);
    t.level_medium = s.real(4);
    t.reuse = s.real(5);
    t.confirm = s.real(6);
    t.billing_enabled = s.boolean(7);
    t.prices.start_new = s.i64(8);
    t.prices.start_returning = s.i64(9);
    t.prices.end = s.i64(10);
    row.balance = s.i64(11);
    t.identity_profile = s.text(12);
    t.identity_weights = json::read_identity_weights(s.text(13));
    t.identity_merge_duplicates = s.boolean(14);
    t.rate_limit_per_minute = s.i64(15);
    return row;
  }

  static LinkRow read_found_link(const Row& s) {
    LinkRow l;
    l.id = Identifier{s.text(0), s.text(1), s.text(2)};
    l.customer_ref = s.text(3);
    l.line_type = s.text(4);
    l.first_seen = s.i64(5);
    l.last_seen = s.i64(6);
    l.expires_at = s.i64(7);
    return l;
  }

  void send(Sql id, std::vector<std::string> params, Handler on_result = nullptr) {
    Pending p;
    p.sql = id;
    p.params = std::move(params);
    p.on_result = std::move(on_result);
    queue_.push_back(std::move(p));
  }

  // A write transaction takes the tenant's lock before its first statement on it.
  void lock(const std::string& tenant) {
    if (!write_ || locked_.count(tenant)) return;
    locked_.insert(tenant);
    send(kLock, {pool_->options().schema + ":" + tenant});
  }

  // Before a write: the lock, and what the cache knows of the tenant is
  // dropped when the write is about another tenant.
  void wrote(const std::string& tenant) {
    lock(tenant);
    if (cache_.active && cache_.tenant != tenant) cache_.clear();
  }
  // Before a write about one customer: what the cache holds of it goes.
  void forget(const std::string& tenant, const std::string& ref, bool RefCache::*what) {
    wrote(tenant);
    if (RefCache* c = cache_.ref(tenant, ref)) c->*what = false;
  }

  // Sends what is queued and reads the results (one round trip). A batch
  // that is the transaction's first and holds no COMMIT is sent again once
  // on a revived connection when the server dropped the old one: nothing of
  // it can have taken effect.
  void flush(bool may_retry) {
    if (queue_.empty()) return;
    std::vector<Pending> batch = std::move(queue_);
    queue_.clear();
    const bool first = !sent_;
    sent_ = true;
    pool_->count_round_trip();
    try {
      run_pipeline(conn_->pg, batch);
    } catch (const Error& e) {
      if (!(first && may_retry && !conn_->ok())) throw;
      pool_->revive(*conn_);
      pool_->count_round_trip();
      run_pipeline(conn_->pg, batch);
    }
  }

  template <typename F>
  auto guarded(F&& body) -> decltype(body()) {
    if (!conn_) throw Error(Status::store, "postgres: the transaction has already ended");
    try {
      return body();
    } catch (...) {
      abort();
      throw;
    }
  }

  void abort() noexcept {
    std::unique_ptr<Connection> c = std::move(conn_);
    queue_.clear();
    cache_.clear();
    if (!sent_) {
      pool_->release(std::move(c));
      return;
    }
    if (c->ok()) {
      try {
        std::vector<Pending> rollback(1);
        rollback[0].text = "ROLLBACK";
        pool_->count_round_trip();
        run_pipeline(c->pg, rollback);
        pool_->release(std::move(c));
        return;
      } catch (...) {
      }
    }
    pool_->discard(std::move(c));
  }

  std::shared_ptr<PgStore::Pool> pool_;
  std::unique_ptr<Connection> conn_;
  bool write_;
  bool sent_ = false;
  std::vector<Pending> queue_;
  std::set<std::string> locked_;
  Cache cache_;
};

}  // namespace

// ----------------------------------------------------------------- store --

PgStore::PgStore(PgOptions options) : pool_(std::make_shared<Pool>(std::move(options))) {}

PgStore::~PgStore() = default;

int PgStore::schema_version() noexcept { return kSchemaVersion; }

std::uint64_t PgStore::round_trips() const noexcept { return pool_->round_trips(); }

std::unique_ptr<Transaction> PgStore::begin(bool write) {
  return std::make_unique<PgTransaction>(pool_, pool_->acquire(), write);
}

}  // namespace callmem
