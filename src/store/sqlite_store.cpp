// SQLite store: schema, migrations, the connection pool and one prepared
// statement per Transaction method (see sqlite_store.hpp for the rules).
#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "callmem/error.hpp"
#include "json/codec.hpp"
#include "store/merge_rows.hpp"

namespace callmem {
namespace {

// ---------------------------------------------------------------- schema --

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
};

constexpr int kSchemaVersion = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

// PRAGMA application_id of a callmem database: "CMEM". Written when callmem
// creates a database, so that a file that is not callmem's is never taken
// for one (see check_ours).
constexpr int kApplicationId = 0x434D454D;

// ------------------------------------------------------------ statements --

enum Sql : int {
  kBeginRead,
  kBeginWrite,
  kCommit,
  kRollback,
  kTenantGet,
  kTenantPut,
  kShiftCustomers,
  kShiftIdentities,
  kShiftCalls,
  kShiftIntents,
  kShiftVariables,
  kCustomerGet,
  kCustomerInsert,
  kCustomerTouch,
  kDeleteIdentities,
  kDeleteIntents,
  kDeleteVariables,
  kDeleteCalls,
  kDeleteCustomer,
  kLinkFind,
  kLinksOf,
  kLinkUpsert,
  kCallGet,
  kCallInsert,
  kCallEnd,
  kCallsOf,
  kCallsOfAfter,
  kIntentsOf,
  kIntentGet,
  kIntentPut,
  kVariablesOf,
  kVariablePut,
  kVariableDelete,
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
  kCustomerRemove,
  kDeleteAliases,
  kDeleteMergeRowsOf,
  kDeleteMergesOf,
  kLinkDelete,
  kCallMove,
  kCallFeedback,
  kIntentDelete,
  kAliasGet,
  kAliasPut,
  kAliasDelete,
  kAliasesOfTarget,
  kAliasesRetarget,
  kMergeInsert,
  kMergeRowInsert,
  kMergeGet,
  kMergeRowsGet,
  kMergeUndone,
  kFeedbackStatAdd,
  kFeedbackStats,
  kPurgeAliases,
  kPurgeMerges,
  kPurgeMergeRows,
  kShiftAliases,
  kShiftMerges,
  kKeepCustomer,
  kKeepLinks,
  kKeepAliases,
  kRekeepCustomers,
  kRekeepLinks,
  kRekeepAliases,
  kSqlCount
};

// Per customer of tenant ?1, the last expiry of its variables with their own
// ttl: what keeps it and its links and aliases (Transaction::customer_keep).
#define CALLMEM_KEPT_UNTIL                                                           \
  "(SELECT customer_ref, MAX(expires_at) AS until FROM variables WHERE tenant = ?1 " \
  " AND own_ttl_seconds > 0 GROUP BY customer_ref) AS kept"

#define CALLMEM_CALL_COLUMNS                                                     \
  "call_id, customer_ref, started_at, ended_at, channel, direction, call_data, " \
  "start_fingerprint, start_response, end_fingerprint, end_response, created_customer, expires_at, " \
  "identifiers, feedback_fingerprint, feedback_outcome, feedback_response"

const char* sql_text(Sql id) {
  switch (id) {
    case kBeginRead:
      return "BEGIN";
    case kBeginWrite:
      return "BEGIN IMMEDIATE";
    case kCommit:
      return "COMMIT";
    case kRollback:
      return "ROLLBACK";

    case kTenantGet:
      return "SELECT ttl_days, default_region, level_very_high, level_high, level_medium, reuse, "
             "confirm, billing_enabled, price_start_new, price_start_returning, price_end, balance, "
             "identity_profile, identity_weights, identity_merge_duplicates, rate_limit_per_minute "
             "FROM tenants WHERE tenant = ?1";
    case kTenantPut:
      return "INSERT INTO tenants(tenant, ttl_days, default_region, level_very_high, level_high, "
             "level_medium, reuse, confirm, billing_enabled, price_start_new, price_start_returning, "
             "price_end, balance, identity_profile, identity_weights, identity_merge_duplicates, "
             "rate_limit_per_minute) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
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
      return "UPDATE customers SET expires_at = expires_at + ?2 WHERE tenant = ?1";
    case kShiftIdentities:
      return "UPDATE identities SET expires_at = expires_at + ?2 WHERE tenant = ?1";
    case kShiftCalls:
      return "UPDATE calls SET expires_at = expires_at + ?2 WHERE tenant = ?1";
    case kShiftIntents:
      return "UPDATE intents SET expires_at = expires_at + ?2 WHERE tenant = ?1";
    case kShiftVariables:
      return "UPDATE variables SET expires_at = expires_at + ?2 "
             "WHERE tenant = ?1 AND own_ttl_seconds = 0";

    case kCustomerGet:
      return "SELECT created_at, last_seen, expires_at FROM customers "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3";
    // An expired row not yet purged may hold the ref (a host's customer_ref
    // hint coming back): the new customer replaces it.
    case kCustomerInsert:
      return "INSERT INTO customers(tenant, customer_ref, created_at, last_seen, expires_at) "
             "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(tenant, customer_ref) DO UPDATE SET "
             "created_at = excluded.created_at, last_seen = excluded.last_seen, "
             "expires_at = excluded.expires_at";
    case kCustomerTouch:
      return "UPDATE customers SET last_seen = MAX(last_seen, ?3), expires_at = MAX(expires_at, ?4) "
             "WHERE tenant = ?1 AND customer_ref = ?2";
    case kDeleteIdentities:
      return "DELETE FROM identities WHERE tenant = ?1 AND customer_ref = ?2";
    case kDeleteIntents:
      return "DELETE FROM intents WHERE tenant = ?1 AND customer_ref = ?2";
    case kDeleteVariables:
      return "DELETE FROM variables WHERE tenant = ?1 AND customer_ref = ?2";
    case kDeleteCalls:
      return "DELETE FROM calls WHERE tenant = ?1 AND customer_ref = ?2";
    case kDeleteCustomer:
      return "DELETE FROM customers WHERE tenant = ?1 AND customer_ref = ?2";

    case kLinkFind:
      return "SELECT customer_ref, line_type, first_seen, last_seen, expires_at FROM identities "
             "WHERE tenant = ?1 AND type = ?2 AND key = ?3 AND value = ?4 AND expires_at > ?5";
    // Without statistics the planner would rather scan the tenant's whole
    // primary key; the index (which ends with the key's other columns) also
    // gives the order.
    case kLinksOf:
      return "SELECT type, key, value, line_type, first_seen, last_seen, expires_at FROM identities "
             "INDEXED BY identities_customer "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 ORDER BY type, key, value";
    // A link that had expired before this sighting starts afresh: its old
    // first_seen and line_type were data that is no longer kept.
    case kLinkUpsert:
      return "INSERT INTO identities(tenant, type, key, value, customer_ref, line_type, first_seen, "
             "last_seen, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
             "ON CONFLICT(tenant, type, key, value, customer_ref) DO UPDATE SET "
             "first_seen = CASE WHEN identities.expires_at <= excluded.last_seen "
             "  THEN excluded.first_seen ELSE identities.first_seen END, "
             "line_type = CASE WHEN excluded.line_type <> '' "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN excluded.line_type ELSE identities.line_type END, "
             "last_seen = MAX(identities.last_seen, excluded.last_seen), "
             "expires_at = MAX(identities.expires_at, excluded.expires_at)";

    case kCallGet:
      return "SELECT " CALLMEM_CALL_COLUMNS " FROM calls WHERE tenant = ?1 AND call_id = ?2";
    case kCallInsert:
      return "INSERT INTO calls(tenant, " CALLMEM_CALL_COLUMNS
             ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
    case kCallEnd:
      return "UPDATE calls SET ended_at = ?3, end_fingerprint = ?4, end_response = ?5, "
             "call_data = ?6, identifiers = ?7 WHERE tenant = ?1 AND call_id = ?2";
    case kCallsOf:
      return "SELECT " CALLMEM_CALL_COLUMNS
             " FROM calls "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 "
             "ORDER BY started_at DESC, call_id DESC LIMIT ?4";
    case kCallsOfAfter:
      return "SELECT " CALLMEM_CALL_COLUMNS
             " FROM calls "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 "
             "AND (started_at < ?5 OR (started_at = ?5 AND call_id < ?6)) "
             "ORDER BY started_at DESC, call_id DESC LIMIT ?4";

    case kIntentsOf:
      return "SELECT intent, status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
             "FROM intents WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 "
             "AND (?4 = 0 OR status <> 'resolved') ORDER BY last_seen DESC, intent";
    case kIntentGet:
      return "SELECT status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
             "FROM intents WHERE tenant = ?1 AND customer_ref = ?2 AND intent = ?3";
    case kIntentPut:
      return "INSERT INTO intents(tenant, customer_ref, intent, status, attempt_count, first_seen, "
             "last_seen, last_call_id, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
             "ON CONFLICT(tenant, customer_ref, intent) DO UPDATE SET status = excluded.status, "
             "attempt_count = excluded.attempt_count, first_seen = excluded.first_seen, "
             "last_seen = excluded.last_seen, last_call_id = excluded.last_call_id, "
             "expires_at = excluded.expires_at";

    case kVariablesOf:
      return "SELECT name, value, source, updated_at, own_ttl_seconds, expires_at FROM variables "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 ORDER BY name";
    case kVariablePut:
      return "INSERT INTO variables(tenant, customer_ref, name, value, source, updated_at, "
             "own_ttl_seconds, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
             "ON CONFLICT(tenant, customer_ref, name) DO UPDATE SET value = excluded.value, "
             "source = excluded.source, updated_at = excluded.updated_at, "
             "own_ttl_seconds = excluded.own_ttl_seconds, expires_at = excluded.expires_at";
    // An expired row goes too, but only an unexpired one counts as deleted.
    case kVariableDelete:
      return "DELETE FROM variables WHERE tenant = ?1 AND customer_ref = ?2 AND name = ?3 "
             "RETURNING expires_at > ?4";

    case kApiKeyInsert:
      return "INSERT INTO api_keys(tenant, key_id, name, key_hash, created_at, revoked_at) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    case kApiKeyByHash:
      return "SELECT tenant, key_id, name, key_hash, created_at, revoked_at FROM api_keys WHERE key_hash = ?1";
    case kApiKeyById:
      return "SELECT tenant, key_id, name, key_hash, created_at, revoked_at FROM api_keys WHERE key_id = ?1";
    case kApiKeysOf:
      return "SELECT tenant, key_id, name, key_hash, created_at, revoked_at FROM api_keys WHERE tenant = ?1 "
             "ORDER BY created_at, key_id";
    case kApiKeyRevoke:
      return "UPDATE api_keys SET revoked_at = ?3 WHERE tenant = ?1 AND key_id = ?2 AND revoked_at = 0";

    case kGrantGet:
      return "SELECT amount FROM credit_grants WHERE tenant = ?1 AND idempotency_key = ?2";
    case kGrantInsert:
      return "INSERT INTO credit_grants(tenant, idempotency_key, amount, granted_at) "
             "VALUES(?1, ?2, ?3, ?4)";
    case kUsageAdd:
      return "INSERT INTO usage(tenant, day, operation, count, credits) VALUES(?1, ?2, ?3, 1, ?4) "
             "ON CONFLICT(tenant, day, operation) DO UPDATE SET count = count + 1, "
             "credits = credits + excluded.credits";
    case kUsageBetween:
      return "SELECT day, operation, count, credits FROM usage "
             "WHERE tenant = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day, operation";

    case kPurgeVariables:
      return "DELETE FROM variables WHERE (tenant, customer_ref, name) IN "
             "(SELECT tenant, customer_ref, name FROM variables WHERE expires_at <= ?1 LIMIT ?2)";
    case kPurgeIntents:
      return "DELETE FROM intents WHERE (tenant, customer_ref, intent) IN "
             "(SELECT tenant, customer_ref, intent FROM intents WHERE expires_at <= ?1 LIMIT ?2)";
    case kPurgeIdentities:
      return "DELETE FROM identities WHERE (tenant, type, key, value, customer_ref) IN "
             "(SELECT tenant, type, key, value, customer_ref FROM identities "
             " WHERE expires_at <= ?1 LIMIT ?2)";
    case kPurgeCalls:
      return "DELETE FROM calls WHERE rowid IN "
             "(SELECT rowid FROM calls WHERE expires_at <= ?1 LIMIT ?2)";
    case kPurgeCustomers:
      return "DELETE FROM customers WHERE (tenant, customer_ref) IN "
             "(SELECT c.tenant, c.customer_ref FROM customers c WHERE c.expires_at <= ?1 "
             " AND NOT EXISTS (SELECT 1 FROM identities x "
             "                 WHERE x.tenant = c.tenant AND x.customer_ref = c.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM intents x "
             "                 WHERE x.tenant = c.tenant AND x.customer_ref = c.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM variables x "
             "                 WHERE x.tenant = c.tenant AND x.customer_ref = c.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM calls x "
             "                 WHERE x.tenant = c.tenant AND x.customer_ref = c.customer_ref) "
             " LIMIT ?2)";

    case kCustomerRemove:
      return "DELETE FROM customers WHERE tenant = ?1 AND customer_ref = ?2";
    case kDeleteAliases:
      return "DELETE FROM aliases WHERE tenant = ?1 AND target_ref = ?2";
    case kDeleteMergeRowsOf:
      return "DELETE FROM merge_rows WHERE tenant = ?1 AND merge_id IN "
             "(SELECT merge_id FROM merges WHERE tenant = ?1 AND alias_ref = ?2 "
             " UNION SELECT merge_id FROM merges WHERE tenant = ?1 AND target_ref = ?2)";
    case kDeleteMergesOf:
      return "DELETE FROM merges WHERE tenant = ?1 AND (alias_ref = ?2 OR target_ref = ?2)";
    case kLinkDelete:
      return "DELETE FROM identities WHERE tenant = ?1 AND type = ?2 AND key = ?3 AND value = ?4 "
             "AND customer_ref = ?5";
    case kCallMove:
      return "UPDATE calls SET customer_ref = ?3, created_customer = ?4 WHERE tenant = ?1 AND call_id = ?2";
    case kCallFeedback:
      return "UPDATE calls SET feedback_fingerprint = ?3, feedback_outcome = ?4, feedback_response = ?5 "
             "WHERE tenant = ?1 AND call_id = ?2";
    case kIntentDelete:
      return "DELETE FROM intents WHERE tenant = ?1 AND customer_ref = ?2 AND intent = ?3";
    case kAliasGet:
      return "SELECT target_ref FROM aliases WHERE tenant = ?1 AND alias_ref = ?2 AND expires_at > ?3";
    case kAliasPut:
      return "INSERT INTO aliases(tenant, alias_ref, target_ref, created_at, expires_at) "
             "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(tenant, alias_ref) DO UPDATE SET "
             "target_ref = excluded.target_ref, created_at = excluded.created_at, "
             "expires_at = excluded.expires_at";
    case kAliasDelete:
      return "DELETE FROM aliases WHERE tenant = ?1 AND alias_ref = ?2";
    case kAliasesOfTarget:
      return "SELECT alias_ref FROM aliases WHERE tenant = ?1 AND target_ref = ?2 ORDER BY alias_ref";
    case kAliasesRetarget:
      return "UPDATE aliases SET target_ref = ?3 WHERE tenant = ?1 AND target_ref = ?2";
    case kMergeInsert:
      return "INSERT INTO merges(tenant, merge_id, alias_ref, target_ref, call_id, alias_created_at, "
             "alias_last_seen, alias_expires_at, merged_at, unmerged_at, expires_at, response, "
             "unmerge_response) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    case kMergeRowInsert:
      return "INSERT INTO merge_rows(tenant, merge_id, seq, kind, role, k1, k2, k3, t1, t2, i1, i2, i3, i4) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    case kMergeGet:
      return "SELECT alias_ref, target_ref, call_id, alias_created_at, alias_last_seen, alias_expires_at, "
             "merged_at, unmerged_at, expires_at, response, unmerge_response FROM merges "
             "WHERE tenant = ?1 AND merge_id = ?2";
    case kMergeRowsGet:
      return "SELECT kind, role, k1, k2, k3, t1, t2, i1, i2, i3, i4 FROM merge_rows "
             "WHERE tenant = ?1 AND merge_id = ?2 ORDER BY seq";
    case kMergeUndone:
      return "UPDATE merges SET unmerged_at = ?3, unmerge_response = ?4 WHERE tenant = ?1 AND merge_id = ?2";
    case kFeedbackStatAdd:
      return "INSERT INTO feedback_stats(tenant, signal, confirmed, rejected, predicted) "
             "VALUES(?1, ?2, ?3, ?4, ?5) "
             "ON CONFLICT(tenant, signal) DO UPDATE SET confirmed = confirmed + excluded.confirmed, "
             "rejected = rejected + excluded.rejected, predicted = predicted + excluded.predicted";
    case kFeedbackStats:
      return "SELECT signal, confirmed, rejected, predicted FROM feedback_stats WHERE tenant = ?1 "
             "ORDER BY signal";
    case kPurgeAliases:
      return "DELETE FROM aliases WHERE (tenant, alias_ref) IN "
             "(SELECT tenant, alias_ref FROM aliases WHERE expires_at <= ?1 LIMIT ?2)";
    case kPurgeMerges:
      return "DELETE FROM merges WHERE rowid IN "
             "(SELECT rowid FROM merges WHERE expires_at <= ?1 LIMIT ?2)";
    // The rows of merges that are gone (merges are rare: a scan is fine).
    case kPurgeMergeRows:
      return "DELETE FROM merge_rows WHERE NOT EXISTS (SELECT 1 FROM merges m "
             "WHERE m.tenant = merge_rows.tenant AND m.merge_id = merge_rows.merge_id)";
    case kShiftAliases:
      return "UPDATE aliases SET expires_at = expires_at + ?2 WHERE tenant = ?1";
    case kShiftMerges:
      return "UPDATE merges SET expires_at = expires_at + ?2, alias_expires_at = alias_expires_at + ?2 "
             "WHERE tenant = ?1";

    // ?3 until, ?4 the tenant's ttl, ?5 now.
    case kKeepCustomer:
      return "UPDATE customers SET expires_at = MAX(last_seen + ?4, ?3) WHERE tenant = ?1 AND customer_ref = "
             "?2";
    case kKeepLinks:
      return "UPDATE identities SET expires_at = MAX(last_seen + ?4, ?3) "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?5";
    case kKeepAliases:
      return "UPDATE aliases SET expires_at = MAX(created_at + ?4, ?3) "
             "WHERE tenant = ?1 AND target_ref = ?2 AND expires_at > ?5";
    // After a shift by ?2: rows that were kept (at or past `until` before it)
    // do not fall below `until`.
    case kRekeepCustomers:
      return "UPDATE customers SET expires_at = kept.until FROM " CALLMEM_KEPT_UNTIL
             " WHERE customers.tenant = ?1 AND customers.customer_ref = kept.customer_ref "
             "AND customers.expires_at < kept.until AND customers.expires_at - ?2 >= kept.until";
    case kRekeepLinks:
      return "UPDATE identities SET expires_at = kept.until FROM " CALLMEM_KEPT_UNTIL
             " WHERE identities.tenant = ?1 AND identities.customer_ref = kept.customer_ref "
             "AND identities.expires_at < kept.until AND identities.expires_at - ?2 >= kept.until";
    case kRekeepAliases:
      return "UPDATE aliases SET expires_at = kept.until FROM " CALLMEM_KEPT_UNTIL
             " WHERE aliases.tenant = ?1 AND aliases.target_ref = kept.customer_ref "
             "AND aliases.expires_at < kept.until AND aliases.expires_at - ?2 >= kept.until";

    case kSqlCount:
      break;
  }
  return nullptr;
}

#undef CALLMEM_CALL_COLUMNS
#undef CALLMEM_KEPT_UNTIL

// ---------------------------------------------------------------- errors --

[[noreturn]] void fail(sqlite3* db, int rc, const char* what) {
  // The host's memory ran out, not the store: CALLMEM_ERROR "out of memory".
  if ((rc & 0xff) == SQLITE_NOMEM) throw std::bad_alloc();
  std::string message =
      std::string("sqlite: ") + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Error(Status::busy, message);
  throw Error(Status::store, message);
}

void exec(sqlite3* db, const char* sql, const char* what) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, what);
}

// ----------------------------------------------------------- connections --

struct Connection {
  sqlite3* db = nullptr;
  std::array<sqlite3_stmt*, kSqlCount> stmts{};

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (sqlite3_stmt* s : stmts) sqlite3_finalize(s);
    sqlite3_close_v2(db);
  }

  // Prepared once per connection, on first use.
  sqlite3_stmt* stmt(Sql id) {
    sqlite3_stmt*& s = stmts[static_cast<std::size_t>(id)];
    if (s == nullptr) {
      const int rc = sqlite3_prepare_v3(db, sql_text(id), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        s = nullptr;
        fail(db, rc, "prepare");
      }
    }
    return s;
  }
};

// One use of a cached statement; reset and cleared when it goes out of scope.
// Text is bound without a copy: what is bound must outlive the Stmt.
class Stmt {
 public:
  Stmt(Connection& c, Sql id) : db_(c.db), s_(c.stmt(id)) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& text(int i, const std::string& v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
    return *this;
  }
  Stmt& i64(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Stmt& u64(int i, std::uint64_t v) { return i64(i, static_cast<std::int64_t>(v)); }
  Stmt& real(int i, double v) {
    check(sqlite3_bind_double(s_, i, v));
    return *this;
  }

  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, "step");
  }
  // Runs a statement that returns no rows; the number of rows it changed.
  std::int64_t run() {
    while (step()) {
    }
    return sqlite3_changes(db_);
  }

  std::int64_t col_i64(int c) const { return sqlite3_column_int64(s_, c); }
  std::uint64_t col_u64(int c) const { return static_cast<std::uint64_t>(col_i64(c)); }
  double col_real(int c) const { return sqlite3_column_double(s_, c); }
  std::string col_text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    // NULL is also SQLite out of memory, after which resetting the statement
    // rolls the whole transaction back: never read it as an empty text.
    if (p == nullptr && sqlite3_errcode(db_) == SQLITE_NOMEM) throw std::bad_alloc();
    if (p == nullptr) return std::string();
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)));
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, rc, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
};

int user_version(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, "read user_version");
  rc = sqlite3_step(s);
  const int v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) fail(db, rc, "read user_version");
  return v;
}

// One integer a pragma or query gives.
int int_of(sqlite3* db, const char* sql, const char* what) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, what);
  rc = sqlite3_step(s);
  const int v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) fail(db, rc, what);
  return v;
}

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
  const int version = user_version(db);
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

void set_wal(sqlite3* db, int busy_timeout_ms) {
  // Switching a fresh file to WAL needs it to itself, and SQLite answers
  // BUSY at once rather than wait: processes opening one new file together
  // take turns, within the busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (int attempt = 0;; ++attempt) {
    const int result = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (result == SQLITE_OK) break;
    const int primary = result & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline)
      fail(db, result, "set journal_mode");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + attempt, 20)));
  }
}

void configure(sqlite3* db, int busy_timeout_ms, bool memory) {
  if (!memory) set_wal(db, busy_timeout_ms);
  exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF", "configure");
}

// A connection to the file; `checked`: the file is known to be callmem's
// (else the caller checks it, then configures the connection).
std::unique_ptr<Connection> open_connection(const std::string& path, int busy_timeout_ms, bool memory,
                                            bool checked = true) {
  auto c = std::make_unique<Connection>();
  const int rc = sqlite3_open_v2(path.c_str(), &c->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if ((rc & 0xff) == SQLITE_NOMEM) throw std::bad_alloc();
  if (rc != SQLITE_OK) {
    std::string message = "sqlite: cannot open " + path + ": " +
                          (c->db != nullptr ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    throw Error(Status::store, message);
  }
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_busy_timeout(c->db, busy_timeout_ms);
  if (checked) configure(c->db, busy_timeout_ms, memory);
  return c;
}

[[noreturn]] void newer(int version) {
  throw Error(Status::store, "sqlite: the database's schema version " + std::to_string(version) +
                                 " is newer than this library's " + std::to_string(kSchemaVersion));
}

// Brings the schema to kSchemaVersion and stamps callmem's application_id.
// Two processes may open a fresh file at once: what the file is, and its
// version, are read again once the write lock is held.
void migrate(sqlite3* db, const std::string& path) {
  int version = user_version(db);
  if (version > kSchemaVersion) newer(version);
  if (version == kSchemaVersion &&
      int_of(db, "PRAGMA application_id", "read application_id") == kApplicationId)
    return;
  exec(db, "BEGIN IMMEDIATE", "migrate");
  try {
    check_ours(db, path);
    version = user_version(db);
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

// ------------------------------------------------------------------ pool --

// A writer's turn (Pool::writer_turn), given to the next writer when it ends.
class WriterTurn {
 public:
  WriterTurn() = default;
  explicit WriterTurn(SqliteStore::Pool* pool) : pool_(pool) {}
  WriterTurn(WriterTurn&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)) {}
  WriterTurn& operator=(WriterTurn&& o) noexcept {
    end();
    pool_ = std::exchange(o.pool_, nullptr);
    return *this;
  }
  ~WriterTurn() { end(); }
  void end() noexcept;

 private:
  SqliteStore::Pool* pool_ = nullptr;
};

class SqliteStore::Pool {
 public:
  Pool(std::string path, int busy_timeout_ms)
      : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms), memory_(path_ == ":memory:") {
    auto first = open_connection(path_, busy_timeout_ms_, memory_, false);
    if (!memory_) {
      // Before anything is written: a file that is not callmem's is refused
      // as it is (not switched to WAL, no table added).
      if (check_ours(first->db, path_) == Ownership::ours) {
        const int version = user_version(first->db);
        if (version > kSchemaVersion) newer(version);
      }
    }
    configure(first->db, busy_timeout_ms_, memory_);
    migrate(first->db, path_);
    free_.push_back(std::move(first));
  }

  std::unique_ptr<Connection> acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (memory_ && free_.empty()) {
      // The one connection is in use: wait for it as SQLite waits for a lock.
      const bool got = available_.wait_for(lock, std::chrono::milliseconds(busy_timeout_ms_),
                                           [this] { return !free_.empty(); });
      if (!got) throw Error(Status::busy, "sqlite: the in-memory database is busy");
    }
    if (!free_.empty()) {
      std::unique_ptr<Connection> c = std::move(free_.back());
      free_.pop_back();
      return c;
    }
    lock.unlock();
    return open_connection(path_, busy_timeout_ms_, memory_);
  }

  // Takes back a connection that is not inside a transaction.
  void release(std::unique_ptr<Connection> c) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(std::move(c));
    }
    available_.notify_one();
  }

  // Writers of this process take turns here before BEGIN IMMEDIATE, in the
  // order they came, so that they queue instead of polling the file's lock
  // through SQLite's busy handler, which sleeps up to 100 ms between tries
  // (the slowest 1 % of starts under 16 threads). Writers of other processes
  // still meet at the file's lock, with the busy timeout.
  WriterTurn writer_turn() {
    std::unique_lock<std::mutex> lock(turns_mutex_);
    if (!writing_ && waiting_.empty()) {
      writing_ = true;
      return WriterTurn(this);
    }
    Waiter me;  // woken alone when its turn comes
    waiting_.push_back(&me);
    if (!me.wake.wait_for(lock, std::chrono::milliseconds(busy_timeout_ms_), [&] { return me.granted; })) {
      waiting_.erase(std::find(waiting_.begin(), waiting_.end(), &me));
      throw Error(Status::busy, "sqlite: the database is busy: this process's other writers held it too long");
    }
    return WriterTurn(this);
  }
  // The turn goes to the writer waiting longest.
  void give_turn() {
    const std::lock_guard<std::mutex> lock(turns_mutex_);
    if (waiting_.empty()) {
      writing_ = false;
      return;
    }
    Waiter* next = waiting_.front();
    waiting_.pop_front();
    next->granted = true;
    next->wake.notify_one();  // under the lock: `next` lives until it has it again
  }

  // A connection stuck inside a transaction is closed, never pooled; the
  // in-memory one cannot be replaced (it is the database), so it is kept.
  void discard(std::unique_ptr<Connection> c) {
    if (memory_) {
      release(std::move(c));
      return;
    }
    c.reset();
  }

 private:
  std::string path_;
  int busy_timeout_ms_;
  bool memory_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> free_;
  struct Waiter {
    std::condition_variable wake;
    bool granted = false;
  };
  std::mutex turns_mutex_;
  bool writing_ = false;          // a writer of this process has its turn
  std::deque<Waiter*> waiting_;   // the others, first come first
};

void WriterTurn::end() noexcept {
  if (pool_) std::exchange(pool_, nullptr)->give_turn();
}

// ----------------------------------------------------------- transaction --

namespace {

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(std::shared_ptr<SqliteStore::Pool> pool, std::unique_ptr<Connection> conn, WriterTurn turn)
      : pool_(std::move(pool)), conn_(std::move(conn)), turn_(std::move(turn)) {}
  ~SqliteTransaction() override {
    if (conn_) abort();
  }
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  void commit() override {
    guarded([&] { Stmt(*conn_, kCommit).run(); });
    pool_->release(std::move(conn_));
    turn_.end();  // the next writer goes while this one writes its answer
  }

  // ---- tenants

  std::optional<TenantRow> tenant_get(const std::string& tenant) override {
    return guarded([&]() -> std::optional<TenantRow> {
      Stmt s(*conn_, kTenantGet);
      s.text(1, tenant);
      if (!s.step()) return std::nullopt;
      TenantRow row;
      TenantSettings& t = row.settings;
      t.ttl_days = s.col_i64(0);
      t.default_region = s.col_text(1);
      t.level_very_high = s.col_real(2);
      t.level_high = s.col_real(3);
      t.level_medium = s.col_real(4);
      t.reuse = s.col_real(5);
      t.confirm = s.col_real(6);
      t.billing_enabled = s.col_i64(7) != 0;
      t.prices.start_new = s.col_i64(8);
      t.prices.start_returning = s.col_i64(9);
      t.prices.end = s.col_i64(10);
      row.balance = s.col_i64(11);
      t.identity_profile = s.col_text(12);
      t.identity_weights = json::read_identity_weights(s.col_text(13));
      t.identity_merge_duplicates = s.col_i64(14) != 0;
      t.rate_limit_per_minute = s.col_i64(15);
      return row;
    });
  }

  void tenant_put(const std::string& tenant, const TenantRow& row) override {
    guarded([&] {
      const TenantSettings& t = row.settings;
      const std::string weights = json::write_identity_weights(t.identity_weights);  // bound, not copied
      Stmt s(*conn_, kTenantPut);
      s.text(1, tenant)
          .i64(2, t.ttl_days)
          .text(3, t.default_region)
          .real(4, t.level_very_high)
          .real(5, t.level_high)
          .real(6, t.level_medium)
          .real(7, t.reuse)
          .real(8, t.confirm)
          .i64(9, t.billing_enabled ? 1 : 0)
          .i64(10, t.prices.start_new)
          .i64(11, t.prices.start_returning)
          .i64(12, t.prices.end)
          .i64(13, row.balance)
          .text(14, t.identity_profile)
          .text(15, weights)
          .i64(16, t.identity_merge_duplicates ? 1 : 0)
          .i64(17, t.rate_limit_per_minute);
      s.run();
    });
  }

  void tenant_shift_expiry(const std::string& tenant, Millis delta) override {
    guarded([&] {
      for (Sql id : {kShiftCustomers, kShiftIdentities, kShiftCalls, kShiftIntents, kShiftVariables,
                     kShiftAliases, kShiftMerges, kRekeepCustomers, kRekeepLinks, kRekeepAliases}) {
        Stmt s(*conn_, id);
        s.text(1, tenant).i64(2, delta);
        s.run();
      }
    });
  }

  // ---- customers

  std::optional<CustomerRow> customer_get(const std::string& tenant, const std::string& ref,
                                          Millis now) override {
    return guarded([&]() -> std::optional<CustomerRow> {
      Stmt s(*conn_, kCustomerGet);
      s.text(1, tenant).text(2, ref).i64(3, now);
      if (!s.step()) return std::nullopt;
      CustomerRow row;
      row.customer_ref = ref;
      row.created_at = s.col_i64(0);
      row.last_seen = s.col_i64(1);
      row.expires_at = s.col_i64(2);
      return row;
    });
  }

  void customer_insert(const std::string& tenant, const CustomerRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kCustomerInsert);
      s.text(1, tenant).text(2, row.customer_ref).i64(3, row.created_at).i64(4, row.last_seen);
      s.i64(5, row.expires_at);
      s.run();
    });
  }

  void customer_touch(const std::string& tenant, const std::string& ref, Millis last_seen,
                      Millis expires_at) override {
    guarded([&] {
      Stmt s(*conn_, kCustomerTouch);
      s.text(1, tenant).text(2, ref).i64(3, last_seen).i64(4, expires_at);
      s.run();
    });
  }

  void customer_keep(const std::string& tenant, const std::string& ref, Millis until, Millis ttl,
                     Millis now) override {
    guarded([&] {
      for (Sql id : {kKeepCustomer, kKeepLinks, kKeepAliases}) {
        Stmt s(*conn_, id);
        s.text(1, tenant).text(2, ref).i64(3, until).i64(4, ttl);
        if (id != kKeepCustomer) s.i64(5, now);
        s.run();
      }
    });
  }

  Removed customer_delete(const std::string& tenant, const std::string& ref) override {
    return guarded([&] {
      auto erase_all = [&](Sql id) {
        Stmt s(*conn_, id);
        s.text(1, tenant).text(2, ref);
        return s.run();
      };
      Removed r;
      r.identities = erase_all(kDeleteIdentities);
      r.intents = erase_all(kDeleteIntents);
      r.variables = erase_all(kDeleteVariables);
      r.calls = erase_all(kDeleteCalls);
      r.customers = erase_all(kDeleteCustomer);
      r.aliases = erase_all(kDeleteAliases);
      erase_all(kDeleteMergeRowsOf);
      r.merges = erase_all(kDeleteMergesOf);
      return r;
    });
  }

  bool customer_remove(const std::string& tenant, const std::string& ref) override {
    return guarded([&] {
      Stmt s(*conn_, kCustomerRemove);
      s.text(1, tenant).text(2, ref);
      return s.run() > 0;
    });
  }

  // ---- identity links

  std::vector<LinkRow> links_find(const std::string& tenant, const std::vector<Identifier>& ids,
                                  Millis now) override {
    return guarded([&] {
      std::vector<LinkRow> out;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const Identifier& id = ids[i];
        bool seen = false;  // the same identifier twice would return its links twice
        for (std::size_t j = 0; j < i && !seen; ++j) seen = ids[j] == id;
        if (seen) continue;
        Stmt s(*conn_, kLinkFind);
        s.text(1, tenant).text(2, id.type).text(3, id.key).text(4, id.value).i64(5, now);
        while (s.step()) {
          LinkRow row;
          row.id = id;
          row.customer_ref = s.col_text(0);
          row.line_type = s.col_text(1);
          row.first_seen = s.col_i64(2);
          row.last_seen = s.col_i64(3);
          row.expires_at = s.col_i64(4);
          out.push_back(std::move(row));
        }
      }
      return out;
    });
  }

  std::vector<LinkRow> links_of(const std::string& tenant, const std::string& ref, Millis now) override {
    return guarded([&] {
      std::vector<LinkRow> out;
      Stmt s(*conn_, kLinksOf);
      s.text(1, tenant).text(2, ref).i64(3, now);
      while (s.step()) {
        LinkRow row;
        row.id.type = s.col_text(0);
        row.id.key = s.col_text(1);
        row.id.value = s.col_text(2);
        row.customer_ref = ref;
        row.line_type = s.col_text(3);
        row.first_seen = s.col_i64(4);
        row.last_seen = s.col_i64(5);
        row.expires_at = s.col_i64(6);
        out.push_back(std::move(row));
      }
      return out;
    });
  }

  void link_upsert(const std::string& tenant, const LinkRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kLinkUpsert);
      s.text(1, tenant).text(2, row.id.type).text(3, row.id.key).text(4, row.id.value);
      s.text(5, row.customer_ref).text(6, row.line_type).i64(7, row.first_seen);
      s.i64(8, row.last_seen).i64(9, row.expires_at);
      s.run();
    });
  }

  bool link_delete(const std::string& tenant, const Identifier& id, const std::string& ref) override {
    return guarded([&] {
      Stmt s(*conn_, kLinkDelete);
      s.text(1, tenant).text(2, id.type).text(3, id.key).text(4, id.value).text(5, ref);
      return s.run() > 0;
    });
  }

  // ---- calls

  std::optional<CallRow> call_get(const std::string& tenant, const std::string& call_id) override {
    return guarded([&]() -> std::optional<CallRow> {
      Stmt s(*conn_, kCallGet);
      s.text(1, tenant).text(2, call_id);
      if (!s.step()) return std::nullopt;
      return read_call(s);
    });
  }

  void call_insert(const std::string& tenant, const CallRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kCallInsert);
      s.text(1, tenant).text(2, row.call_id).text(3, row.customer_ref).i64(4, row.started_at);
      s.i64(5, row.ended_at).text(6, row.channel).text(7, row.direction).text(8, row.call_data_json);
      s.u64(9, row.start_fingerprint).text(10, row.start_response).u64(11, row.end_fingerprint);
      s.text(12, row.end_response).i64(13, row.created_customer ? 1 : 0).i64(14, row.expires_at);
      s.text(15, row.identifiers_json).u64(16, row.feedback_fingerprint).text(17, row.feedback_outcome);
      s.text(18, row.feedback_response);
      s.run();
    });
  }

  void call_end(const std::string& tenant, const CallRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kCallEnd);
      s.text(1, tenant).text(2, row.call_id).i64(3, row.ended_at).u64(4, row.end_fingerprint);
      s.text(5, row.end_response).text(6, row.call_data_json).text(7, row.identifiers_json);
      s.run();
    });
  }

  void call_move(const std::string& tenant, const std::string& call_id, const std::string& ref,
                 bool created_customer) override {
    guarded([&] {
      Stmt s(*conn_, kCallMove);
      s.text(1, tenant).text(2, call_id).text(3, ref).i64(4, created_customer ? 1 : 0);
      s.run();
    });
  }

  void call_feedback(const std::string& tenant, const CallRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kCallFeedback);
      s.text(1, tenant).text(2, row.call_id).u64(3, row.feedback_fingerprint).text(4, row.feedback_outcome);
      s.text(5, row.feedback_response);
      s.run();
    });
  }

  std::vector<CallRow> calls_of(const std::string& tenant, const std::string& ref, Millis now,
                                const std::optional<CallCursor>& after, std::int64_t limit) override {
    return guarded([&] {
      std::vector<CallRow> out;
      if (limit <= 0) return out;
      Stmt s(*conn_, after ? kCallsOfAfter : kCallsOf);
      s.text(1, tenant).text(2, ref).i64(3, now).i64(4, limit);
      if (after) s.i64(5, after->started_at).text(6, after->call_id);
      while (s.step()) out.push_back(read_call(s));
      return out;
    });
  }

  // ---- intents

  std::vector<IntentRow> intents_of(const std::string& tenant, const std::string& ref, Millis now,
                                    bool open_only) override {
    return guarded([&] {
      std::vector<IntentRow> out;
      Stmt s(*conn_, kIntentsOf);
      s.text(1, tenant).text(2, ref).i64(3, now).i64(4, open_only ? 1 : 0);
      while (s.step()) {
        IntentRow row;
        row.intent = s.col_text(0);
        row.status = s.col_text(1);
        row.attempt_count = s.col_i64(2);
        row.first_seen = s.col_i64(3);
        row.last_seen = s.col_i64(4);
        row.last_call_id = s.col_text(5);
        row.expires_at = s.col_i64(6);
        out.push_back(std::move(row));
      }
      return out;
    });
  }

  std::optional<IntentRow> intent_get(const std::string& tenant, const std::string& ref,
                                      const std::string& intent) override {
    return guarded([&]() -> std::optional<IntentRow> {
      Stmt s(*conn_, kIntentGet);
      s.text(1, tenant).text(2, ref).text(3, intent);
      if (!s.step()) return std::nullopt;
      IntentRow row;
      row.intent = intent;
      row.status = s.col_text(0);
      row.attempt_count = s.col_i64(1);
      row.first_seen = s.col_i64(2);
      row.last_seen = s.col_i64(3);
      row.last_call_id = s.col_text(4);
      row.expires_at = s.col_i64(5);
      return row;
    });
  }

  void intent_put(const std::string& tenant, const std::string& ref, const IntentRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kIntentPut);
      s.text(1, tenant).text(2, ref).text(3, row.intent).text(4, row.status);
      s.i64(5, row.attempt_count).i64(6, row.first_seen).i64(7, row.last_seen);
      s.text(8, row.last_call_id).i64(9, row.expires_at);
      s.run();
    });
  }

  bool intent_delete(const std::string& tenant, const std::string& ref, const std::string& intent) override {
    return guarded([&] {
      Stmt s(*conn_, kIntentDelete);
      s.text(1, tenant).text(2, ref).text(3, intent);
      return s.run() > 0;
    });
  }

  // ---- variables

  std::vector<VariableRow> variables_of(const std::string& tenant, const std::string& ref,
                                        Millis now) override {
    return guarded([&] {
      std::vector<VariableRow> out;
      Stmt s(*conn_, kVariablesOf);
      s.text(1, tenant).text(2, ref).i64(3, now);
      while (s.step()) {
        VariableRow row;
        row.name = s.col_text(0);
        row.value_json = s.col_text(1);
        row.source = s.col_text(2);
        row.updated_at = s.col_i64(3);
        row.own_ttl_seconds = s.col_i64(4);
        row.expires_at = s.col_i64(5);
        out.push_back(std::move(row));
      }
      return out;
    });
  }

  void variable_put(const std::string& tenant, const std::string& ref, const VariableRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kVariablePut);
      s.text(1, tenant).text(2, ref).text(3, row.name).text(4, row.value_json).text(5, row.source);
      s.i64(6, row.updated_at).i64(7, row.own_ttl_seconds).i64(8, row.expires_at);
      s.run();
    });
  }

  bool variable_delete(const std::string& tenant, const std::string& ref, const std::string& name,
                       Millis now) override {
    return guarded([&] {
      Stmt s(*conn_, kVariableDelete);
      s.text(1, tenant).text(2, ref).text(3, name).i64(4, now);
      bool unexpired = false;
      while (s.step()) unexpired = unexpired || s.col_i64(0) != 0;
      return unexpired;
    });
  }

  // ---- aliases and merges

  std::optional<std::string> alias_target(const std::string& tenant, const std::string& alias_ref,
                                          Millis now) override {
    return guarded([&]() -> std::optional<std::string> {
      Stmt s(*conn_, kAliasGet);
      s.text(1, tenant).text(2, alias_ref).i64(3, now);
      if (!s.step()) return std::nullopt;
      return s.col_text(0);
    });
  }

  void alias_put(const std::string& tenant, const AliasRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kAliasPut);
      s.text(1, tenant).text(2, row.alias_ref).text(3, row.target_ref).i64(4, row.created_at);
      s.i64(5, row.expires_at);
      s.run();
    });
  }

  bool alias_delete(const std::string& tenant, const std::string& alias_ref) override {
    return guarded([&] {
      Stmt s(*conn_, kAliasDelete);
      s.text(1, tenant).text(2, alias_ref);
      return s.run() > 0;
    });
  }

  std::vector<std::string> aliases_retarget(const std::string& tenant, const std::string& from,
                                            const std::string& to) override {
    return guarded([&] {
      std::vector<std::string> out;
      {
        Stmt s(*conn_, kAliasesOfTarget);
        s.text(1, tenant).text(2, from);
        while (s.step()) out.push_back(s.col_text(0));
      }
      if (!out.empty()) {
        Stmt s(*conn_, kAliasesRetarget);
        s.text(1, tenant).text(2, from).text(3, to);
        s.run();
      }
      return out;
    });
  }

  // merge_rows: one row per thing moved or replaced (store/merge_rows.hpp).
  void merge_insert(const std::string& tenant, const MergeLog& log) override {
    guarded([&] {
      {
        const CustomerRow& c = log.alias_customer;
        Stmt s(*conn_, kMergeInsert);
        s.text(1, tenant).text(2, log.merge_id).text(3, log.alias_ref).text(4, log.target_ref);
        s.text(5, log.call_id).i64(6, c.created_at).i64(7, c.last_seen).i64(8, c.expires_at);
        s.i64(9, log.merged_at).i64(10, log.unmerged_at).i64(11, log.expires_at).text(12, log.response);
        s.text(13, log.unmerge_response);
        s.run();
      }
      std::int64_t seq = 0;
      for (const MergeRow& r : merge_rows_of(log)) {
        Stmt s(*conn_, kMergeRowInsert);
        s.text(1, tenant).text(2, log.merge_id).i64(3, seq++).text(4, r.kind).text(5, r.role);
        s.text(6, r.k1).text(7, r.k2).text(8, r.k3).text(9, r.t1).text(10, r.t2);
        s.i64(11, r.i1).i64(12, r.i2).i64(13, r.i3).i64(14, r.i4);
        s.run();
      }
    });
  }

  std::optional<MergeLog> merge_get(const std::string& tenant, const std::string& merge_id) override {
    return guarded([&]() -> std::optional<MergeLog> {
      MergeLog log;
      {
        Stmt s(*conn_, kMergeGet);
        s.text(1, tenant).text(2, merge_id);
        if (!s.step()) return std::nullopt;
        log.merge_id = merge_id;
        log.alias_ref = s.col_text(0);
        log.target_ref = s.col_text(1);
        log.call_id = s.col_text(2);
        log.alias_customer.customer_ref = log.alias_ref;
        log.alias_customer.created_at = s.col_i64(3);
        log.alias_customer.last_seen = s.col_i64(4);
        log.alias_customer.expires_at = s.col_i64(5);
        log.merged_at = s.col_i64(6);
        log.unmerged_at = s.col_i64(7);
        log.expires_at = s.col_i64(8);
        log.response = s.col_text(9);
        log.unmerge_response = s.col_text(10);
      }
      Stmt s(*conn_, kMergeRowsGet);
      s.text(1, tenant).text(2, merge_id);
      while (s.step())
        add_merge_row(log, MergeRow{s.col_text(0), s.col_text(1), s.col_text(2), s.col_text(3), s.col_text(4),
                                    s.col_text(5), s.col_text(6), s.col_i64(7), s.col_i64(8), s.col_i64(9),
                                    s.col_i64(10)});
      return log;
    });
  }

  void merge_undone(const std::string& tenant, const std::string& merge_id, Millis at,
                    const std::string& response) override {
    guarded([&] {
      Stmt s(*conn_, kMergeUndone);
      s.text(1, tenant).text(2, merge_id).i64(3, at).text(4, response);
      s.run();
    });
  }

  // ---- feedback outcomes

  void feedback_stat_add(const std::string& tenant, const std::string& signal, const std::string& outcome,
                         double predicted) override {
    guarded([&] {
      Stmt s(*conn_, kFeedbackStatAdd);
      s.text(1, tenant).text(2, signal).i64(3, outcome == "confirmed" ? 1 : 0);
      s.i64(4, outcome == "rejected" ? 1 : 0).real(5, predicted);
      s.run();
    });
  }

  std::vector<FeedbackStat> feedback_stats(const std::string& tenant) override {
    return guarded([&] {
      std::vector<FeedbackStat> out;
      Stmt s(*conn_, kFeedbackStats);
      s.text(1, tenant);
      while (s.step()) out.push_back(FeedbackStat{s.col_text(0), s.col_i64(1), s.col_i64(2), s.col_real(3)});
      return out;
    });
  }

  // ---- API keys

  void api_key_insert(const ApiKeyRow& row) override {
    guarded([&] {
      Stmt s(*conn_, kApiKeyInsert);
      s.text(1, row.tenant)
          .text(2, row.key_id)
          .text(3, row.name)
          .text(4, row.key_hash)
          .i64(5, row.created_at)
          .i64(6, row.revoked_at);
      s.run();
    });
  }

  static ApiKeyRow api_key_row(Stmt& s) {
    return ApiKeyRow{s.col_text(1), s.col_text(0), s.col_text(2), s.col_text(3), s.col_i64(4), s.col_i64(5)};
  }

  std::optional<ApiKeyRow> api_key_by_hash(const std::string& key_hash) override {
    return guarded([&]() -> std::optional<ApiKeyRow> {
      Stmt s(*conn_, kApiKeyByHash);
      s.text(1, key_hash);
      if (!s.step()) return std::nullopt;
      return api_key_row(s);
    });
  }

  std::optional<ApiKeyRow> api_key_by_id(const std::string& key_id) override {
    return guarded([&]() -> std::optional<ApiKeyRow> {
      Stmt s(*conn_, kApiKeyById);
      s.text(1, key_id);
      if (!s.step()) return std::nullopt;
      return api_key_row(s);
    });
  }

  std::vector<ApiKeyRow> api_keys_of(const std::string& tenant) override {
    return guarded([&] {
      std::vector<ApiKeyRow> out;
      Stmt s(*conn_, kApiKeysOf);
      s.text(1, tenant);
      while (s.step()) out.push_back(api_key_row(s));
      return out;
    });
  }

  void api_key_revoke(const std::string& tenant, const std::string& key_id, Millis at) override {
    guarded([&] {
      Stmt s(*conn_, kApiKeyRevoke);
      s.text(1, tenant).text(2, key_id).i64(3, at);
      s.run();
    });
  }

  // ---- credits and usage

  std::optional<std::int64_t> grant_get(const std::string& tenant, const std::string& key) override {
    return guarded([&]() -> std::optional<std::int64_t> {
      Stmt s(*conn_, kGrantGet);
      s.text(1, tenant).text(2, key);
      if (!s.step()) return std::nullopt;
      return s.col_i64(0);
    });
  }

  void grant_insert(const std::string& tenant, const std::string& key, std::int64_t amount,
                    Millis at) override {
    guarded([&] {
      Stmt s(*conn_, kGrantInsert);
      s.text(1, tenant).text(2, key).i64(3, amount).i64(4, at);
      s.run();
    });
  }

  void usage_add(const std::string& tenant, const std::string& day, const std::string& operation,
                 std::int64_t credits) override {
    guarded([&] {
      Stmt s(*conn_, kUsageAdd);
      s.text(1, tenant).text(2, day).text(3, operation).i64(4, credits);
      s.run();
    });
  }

  std::vector<UsageRow> usage_between(const std::string& tenant, const std::string& from_day,
                                      const std::string& to_day) override {
    return guarded([&] {
      std::vector<UsageRow> out;
      Stmt s(*conn_, kUsageBetween);
      s.text(1, tenant).text(2, from_day).text(3, to_day);
      while (s.step()) {
        UsageRow row;
        row.day = s.col_text(0);
        row.operation = s.col_text(1);
        row.count = s.col_i64(2);
        row.credits = s.col_i64(3);
        out.push_back(std::move(row));
      }
      return out;
    });
  }

  // ---- purge

  Removed purge(Millis now, std::int64_t limit) override {
    return guarded([&] {
      Removed r;
      std::int64_t left = limit;
      auto sweep = [&](Sql id, std::int64_t& count) {
        if (left <= 0) return;
        Stmt s(*conn_, id);
        s.i64(1, now).i64(2, left);
        count = s.run();
        left -= count;
      };
      sweep(kPurgeVariables, r.variables);
      sweep(kPurgeIntents, r.intents);
      sweep(kPurgeIdentities, r.identities);
      sweep(kPurgeCalls, r.calls);
      sweep(kPurgeCustomers, r.customers);
      sweep(kPurgeAliases, r.aliases);
      std::int64_t merges = 0;
      sweep(kPurgeMerges, merges);
      r.merges = merges;
      if (merges > 0) Stmt(*conn_, kPurgeMergeRows).run();
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
                      " (SELECT count(*) FROM tenants x WHERE x.tenant = t.tenant), "
                      " (SELECT count(*) FROM customers c WHERE c.tenant = t.tenant AND c.expires_at > ?1), "
                      " (SELECT count(*) FROM identities i WHERE i.tenant = t.tenant AND i.expires_at > ?1), "
                      " (SELECT count(*) FROM calls k WHERE k.tenant = t.tenant AND k.expires_at > ?1), "
                      " (SELECT count(*) FROM intents n WHERE n.tenant = t.tenant AND n.status <> 'resolved' "
                      "   AND n.expires_at > ?1), "
                      " (SELECT count(*) FROM api_keys a WHERE a.tenant = t.tenant AND a.revoked_at = 0) "
                      "FROM t ORDER BY t.tenant",
                      now)) {
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
      info.store = "sqlite";
      info.schema_version = user_version(conn_->db);
      info.library_schema_version = kSchemaVersion;
      info.size_bytes = std::stoll(query_once("PRAGMA page_count").at(0).at(0)) *
                        std::stoll(query_once("PRAGMA page_size").at(0).at(0));
      return info;
    });
  }

  std::vector<std::string> integrity_check() override {
    return guarded([&] {
      std::vector<std::string> problems;
      for (const auto& row : query_once("PRAGMA integrity_check"))
        if (row.at(0) != "ok") problems.push_back("integrity_check: " + row.at(0));
      const int app = int_of(conn_->db, "PRAGMA application_id", "read application_id");
      if (app != kApplicationId)
        problems.push_back("application_id is " + std::to_string(app) + ", not callmem's " +
                           std::to_string(kApplicationId));
      const int version = user_version(conn_->db);
      if (version != kSchemaVersion)
        problems.push_back("schema version " + std::to_string(version) + ", this library's is " +
                           std::to_string(kSchemaVersion));
      std::vector<std::string> tables;
      for (const auto& row : query_once("SELECT name FROM sqlite_master WHERE type = 'table'"))
        tables.push_back(row[0]);
      for (const char* t : {"aliases", "api_keys", "calls", "credit_grants", "customers", "feedback_stats",
                            "identities", "intents", "merge_rows", "merges", "tenants", "usage", "variables"})
        if (std::find(tables.begin(), tables.end(), t) == tables.end())
          problems.push_back(std::string("table ") + t + " is missing");
      return problems;
    });
  }

  // A statement the operators run now and then, not worth a cached one: its
  // rows, each column as text; ?1 bound to `p1` when given.
  std::vector<std::vector<std::string>> query_once(const char* sql,
                                                   std::optional<std::int64_t> p1 = std::nullopt) {
    sqlite3* db = conn_->db;
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "prepare");
    const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(s, sqlite3_finalize);
    if (p1 && (rc = sqlite3_bind_int64(s, 1, *p1)) != SQLITE_OK) fail(db, rc, "bind");
    std::vector<std::vector<std::string>> out;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0, n = sqlite3_column_count(s); c < n; ++c) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        if (p == nullptr && sqlite3_errcode(db) == SQLITE_NOMEM) throw std::bad_alloc();
        row.emplace_back(p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, c)))
                           : std::string());
      }
      out.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) fail(db, rc, "step");
    return out;
  }

 private:
  static CallRow read_call(const Stmt& s) {
    CallRow row;
    row.call_id = s.col_text(0);
    row.customer_ref = s.col_text(1);
    row.started_at = s.col_i64(2);
    row.ended_at = s.col_i64(3);
    row.channel = s.col_text(4);
    row.direction = s.col_text(5);
    row.call_data_json = s.col_text(6);
    row.start_fingerprint = s.col_u64(7);
    row.start_response = s.col_text(8);
    row.end_fingerprint = s.col_u64(9);
    row.end_response = s.col_text(10);
    row.created_customer = s.col_i64(11) != 0;
    row.expires_at = s.col_i64(12);
    row.identifiers_json = s.col_text(13);
    row.feedback_fingerprint = s.col_u64(14);
    row.feedback_outcome = s.col_text(15);
    row.feedback_response = s.col_text(16);
    return row;
  }

  // Runs one method's statements. Any failure rolls the whole transaction
  // back and gives the connection back, so nothing partial can be committed.
  template <typename F>
  auto guarded(F&& body) -> decltype(body()) {
    if (!conn_) throw Error(Status::store, "sqlite: the transaction has already ended");
    try {
      return body();
    } catch (...) {
      abort();
      throw;
    }
  }

  void abort() noexcept {
    std::unique_ptr<Connection> c = std::move(conn_);
    if (sqlite3_get_autocommit(c->db) == 0) {
      sqlite3_stmt* rollback = c->stmts[kRollback];
      if (rollback == nullptr) {
        sqlite3_prepare_v3(c->db, sql_text(kRollback), -1, SQLITE_PREPARE_PERSISTENT, &rollback, nullptr);
        c->stmts[kRollback] = rollback;
      }
      if (rollback != nullptr) {
        sqlite3_step(rollback);
        sqlite3_reset(rollback);
      }
      if (sqlite3_get_autocommit(c->db) == 0) {
        pool_->discard(std::move(c));
        return;
      }
    }
    pool_->release(std::move(c));
  }

  std::shared_ptr<SqliteStore::Pool> pool_;
  std::unique_ptr<Connection> conn_;
  WriterTurn turn_;  // a writer's turn in this process; none for a reader
};

}  // namespace

// ----------------------------------------------------------------- store --

SqliteStore::SqliteStore(std::string path, int busy_timeout_ms)
    : pool_(std::make_shared<Pool>(std::move(path), busy_timeout_ms)) {}

SqliteStore::~SqliteStore() = default;

int SqliteStore::schema_version() noexcept { return kSchemaVersion; }

int SqliteStore::application_id() noexcept { return kApplicationId; }

std::unique_ptr<Transaction> SqliteStore::begin(bool write) {
  WriterTurn turn;
  if (write) turn = pool_->writer_turn();
  std::unique_ptr<Connection> c = pool_->acquire();
  try {
    Stmt(*c, write ? kBeginWrite : kBeginRead).run();
  } catch (...) {
    // BEGIN failed, so the connection is not inside a transaction.
    pool_->release(std::move(c));
    throw;
  }
  return std::make_unique<SqliteTransaction>(pool_, std::move(c), std::move(turn));
}

}  // namespace callmem
