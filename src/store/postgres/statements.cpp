// The SQL text of every statement the PostgreSQL store prepares, by id.
#include "store/statements.hpp"

#include "store/columns.hpp"
#include "store/postgres/connection.hpp"

namespace callmem::postgres {

// Per customer of tenant $1, the last expiry of its variables with their own
// ttl: what keeps it and its links and aliases (Transaction::customer_keep).
#define CALLMEM_KEPT_UNTIL                                                           \
  "(SELECT customer_ref, max(expires_at) AS until FROM variables WHERE tenant = $1 " \
  " AND own_ttl_seconds > 0 GROUP BY customer_ref) AS kept"

// The customers a prefetch is about ($1 tenant; $2, $3, $4 the identifiers'
// types, keys and values; $5 the call; $6 the refs named, and their targets).
#define CALLMEM_PREFETCH_REFS                                                         \
  "(SELECT customer_ref FROM identities WHERE tenant = $1 AND (type, key, value) IN " \
  "   (SELECT * FROM unnest($2::text[], $3::text[], $4::text[])) "                    \
  " UNION SELECT customer_ref FROM calls WHERE tenant = $1 AND call_id = $5 "         \
  " UNION SELECT unnest($6::text[]) "                                                 \
  " UNION SELECT target_ref FROM aliases WHERE tenant = $1 AND alias_ref = ANY($6::text[]))"

// Deletes at most $2 rows expired at $1, skipping rows other transactions hold.
#define CALLMEM_PURGE(TABLE)                                             \
  "DELETE FROM " TABLE " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " TABLE \
  " WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)) AND expires_at <= $1"

const char* sql_text(Sql id) {
  switch (id) {
    // The locks (store/postgres/locks.hpp). The tenant's ($1: the schema
    // and the tenant), exclusive or shared.
    case kLock:
      return "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
    case kLockShared:
      return "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))";
    // $1 keys, sorted: unnest gives them in order.
    case kLockKeys:
      return "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k";
    // The customers a prefetch is about, in the order of their refs ($7: the
    // keys' prefix); each one's ref.
    case kLockCustomers:
      return "SELECT customer_ref, pg_advisory_xact_lock(hashtextextended($7 || customer_ref, 0)) "
             "FROM (SELECT customer_ref FROM " CALLMEM_PREFETCH_REFS
             " AS r ORDER BY customer_ref COLLATE \"C\") AS s";

    case kTenantGet:
      return "SELECT " CALLMEM_TENANT_COLUMNS " FROM tenants WHERE tenant = $1";
    case kTenantPut:
      return "INSERT INTO tenants(tenant, " CALLMEM_TENANT_COLUMNS
             ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
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
      return "SELECT " CALLMEM_CUSTOMER_COLUMNS
             " FROM customers "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3";
    case kCustomerInsert:
      return "INSERT INTO customers(tenant, customer_ref, " CALLMEM_CUSTOMER_COLUMNS
             ") VALUES($1, $2, $3, $4, $5) ON CONFLICT(tenant, customer_ref) DO UPDATE SET "
             "created_at = excluded.created_at, last_seen = excluded.last_seen, "
             "expires_at = excluded.expires_at";
    case kCustomerTouch:
      return "UPDATE customers SET last_seen = GREATEST(last_seen, $3), expires_at = GREATEST(expires_at, "
             "$4) "
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
      return "SELECT " CALLMEM_IDENTIFIER_COLUMNS ", customer_ref, " CALLMEM_LINK_COLUMNS
             " "
             "FROM identities WHERE tenant = $1 AND (type, key, value) IN "
             "(SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))";
    case kLinksOf:
      return "SELECT " CALLMEM_IDENTIFIER_COLUMNS ", " CALLMEM_LINK_COLUMNS
             " FROM identities "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 ORDER BY type, key, value";
    case kLinkUpsert:
      return "INSERT INTO identities AS i(tenant, " CALLMEM_IDENTIFIER_COLUMNS
             ", customer_ref, " CALLMEM_LINK_COLUMNS
             ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
             "ON CONFLICT(tenant, type, key, value, customer_ref) DO UPDATE SET "
             "first_seen = CASE WHEN i.expires_at <= excluded.last_seen "
             "  THEN excluded.first_seen ELSE i.first_seen END, "
             "line_type = CASE WHEN excluded.line_type <> '' OR i.expires_at <= excluded.last_seen "
             "  THEN excluded.line_type ELSE i.line_type END, "
             "line_reports = CASE WHEN excluded.line_reports <> '' OR i.expires_at <= excluded.last_seen "
             "  THEN excluded.line_reports ELSE i.line_reports END, "
             "confirmed_days = CASE WHEN excluded.confirmed_on <> 0 OR i.expires_at <= excluded.last_seen "
             "  THEN GREATEST(excluded.confirmed_days, 0) ELSE i.confirmed_days END, "
             "confirmed_on = CASE WHEN excluded.confirmed_on <> 0 OR i.expires_at <= excluded.last_seen "
             "  THEN GREATEST(excluded.confirmed_on, 0) ELSE i.confirmed_on END, "
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
      return "SELECT " CALLMEM_CALL_COLUMNS
             " FROM calls "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 "
             "ORDER BY started_at DESC, call_id DESC LIMIT $4";
    case kCallsOfAfter:
      return "SELECT " CALLMEM_CALL_COLUMNS
             " FROM calls "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 "
             "AND (started_at < $5 OR (started_at = $5 AND call_id < $6)) "
             "ORDER BY started_at DESC, call_id DESC LIMIT $4";

    case kIntentsOf:
      return "SELECT intent, " CALLMEM_INTENT_COLUMNS
             " "
             "FROM intents WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 "
             "AND ($4 = 0 OR status <> 'resolved') ORDER BY last_seen DESC, intent";
    case kIntentGet:
      return "SELECT " CALLMEM_INTENT_COLUMNS
             " "
             "FROM intents WHERE tenant = $1 AND customer_ref = $2 AND intent = $3";
    case kIntentPut:
      return "INSERT INTO intents(tenant, customer_ref, intent, " CALLMEM_INTENT_COLUMNS
             ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
             "ON CONFLICT(tenant, customer_ref, intent) DO UPDATE SET status = excluded.status, "
             "attempt_count = excluded.attempt_count, first_seen = excluded.first_seen, "
             "last_seen = excluded.last_seen, last_call_id = excluded.last_call_id, "
             "expires_at = excluded.expires_at";
    case kIntentDelete:
      return "DELETE FROM intents WHERE tenant = $1 AND customer_ref = $2 AND intent = $3";

    case kVariablesOf:
      return "SELECT " CALLMEM_VARIABLE_COLUMNS
             " FROM variables "
             "WHERE tenant = $1 AND customer_ref = $2 AND expires_at > $3 ORDER BY name";
    case kVariablePut:
      return "INSERT INTO variables(tenant, customer_ref, " CALLMEM_VARIABLE_COLUMNS
             ") VALUES($1, $2, $3, $4, $5, $6, $7, $8) "
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
      return "INSERT INTO merges(tenant, merge_id, " CALLMEM_MERGE_COLUMNS
             ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    case kMergeRowInsert:
      return "INSERT INTO merge_rows(tenant, merge_id, seq, " CALLMEM_MERGE_ROW_COLUMNS
             ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    case kMergeGet:
      return "SELECT " CALLMEM_MERGE_COLUMNS
             " FROM merges "
             "WHERE tenant = $1 AND merge_id = $2";
    case kMergeRowsGet:
      return "SELECT " CALLMEM_MERGE_ROW_COLUMNS
             " FROM merge_rows "
             "WHERE tenant = $1 AND merge_id = $2 ORDER BY seq";
    case kMergeUndone:
      return "UPDATE merges SET unmerged_at = $3, unmerge_response = $4 WHERE tenant = $1 AND merge_id = $2";
    case kFeedbackStatAdd:
      return "INSERT INTO feedback_stats AS f(tenant, signal, confirmed, rejected, predicted) "
             "VALUES($1, $2, $3, $4, $5) ON CONFLICT(tenant, signal) DO UPDATE SET "
             "confirmed = f.confirmed + excluded.confirmed, rejected = f.rejected + excluded.rejected, "
             "predicted = f.predicted + excluded.predicted";
    case kFeedbackStats:
      return "SELECT " CALLMEM_FEEDBACK_STAT_COLUMNS " FROM feedback_stats WHERE tenant = $1 ORDER BY signal";

    case kApiKeyInsert:
      return "INSERT INTO api_keys(" CALLMEM_API_KEY_COLUMNS ") VALUES($1, $2, $3, $4, $5, $6)";
    case kApiKeyByHash:
      return "SELECT " CALLMEM_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = $1";
    case kApiKeyById:
      return "SELECT " CALLMEM_API_KEY_COLUMNS " FROM api_keys WHERE key_id = $1";
    case kApiKeysOf:
      return "SELECT " CALLMEM_API_KEY_COLUMNS
             " FROM api_keys WHERE tenant = $1 "
             "ORDER BY created_at, key_id";
    case kApiKeyRevoke:
      return "UPDATE api_keys SET revoked_at = $3 WHERE tenant = $1 AND key_id = $2 AND revoked_at = 0";

    case kGrantGet:
      return "SELECT amount FROM credit_grants WHERE tenant = $1 AND idempotency_key = $2";
    case kGrantInsert:
      return "INSERT INTO credit_grants(tenant, idempotency_key, amount, granted_at) VALUES($1, $2, $3, $4)";
    // A division by zero when the balance is short: the transaction fails
    // (Transaction::balance_debit), in the batch that commits it.
    case kBalanceDebit:
      return "WITH d AS (UPDATE tenants SET balance = balance - $2 WHERE tenant = $1 AND balance >= $2 "
             "RETURNING 1) SELECT 1 / count(*) FROM d";
    case kUsageAdd:
      return "INSERT INTO usage AS u(tenant, day, operation, count, credits) VALUES($1, $2, $3, 1, $4) "
             "ON CONFLICT(tenant, day, operation) DO UPDATE SET count = u.count + 1, "
             "credits = u.credits + excluded.credits";
    case kUsageBetween:
      return "SELECT " CALLMEM_USAGE_COLUMNS
             " FROM usage "
             "WHERE tenant = $1 AND day >= $2 AND day <= $3 ORDER BY day, operation";
    case kCallsBetween:  // a standalone end has no start answer: '' is not JSON
      return "SELECT started_at, ended_at, "
             "CASE WHEN start_response <> '' THEN "
             "coalesce(start_response::jsonb #>> '{identity,recommendation}', '') ELSE '' END, "
             "CASE WHEN start_response <> '' THEN "
             "coalesce((start_response::jsonb #>> '{identity,confidence}')::float8, -1) ELSE -1 END, "
             "feedback_outcome, "
             "CASE WHEN feedback_response <> '' THEN jsonb_typeof(feedback_response::jsonb -> 'merge') = "
             "'object' "
             "ELSE false END "
             "FROM calls WHERE tenant = $1 AND started_at >= $2 AND started_at < $3 "
             "ORDER BY started_at DESC LIMIT $4";
    case kMergesBetween:
      return "SELECT count(*) FILTER (WHERE merged_at >= $2 AND merged_at < $3), "
             "count(*) FILTER (WHERE unmerged_at >= $2 AND unmerged_at < $3) "
             "FROM merges WHERE tenant = $1 AND (merged_at >= $2 OR unmerged_at >= $2)";

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
    // A customer goes once nothing of its is left, and only when its lock,
    // and its tenant's shared, are free at once: no writer of the tenant can
    // be about to use it ($3: the schema and ':'; the keys of
    // store/postgres/locks.hpp).
    case kPurgeCustomers:
      return "DELETE FROM customers c WHERE ctid = ANY(ARRAY(SELECT ctid FROM customers x "
             " WHERE x.expires_at <= $1 "
             " AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.tenant = x.tenant AND i.customer_ref = "
             "x.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM intents i WHERE i.tenant = x.tenant AND i.customer_ref = "
             "x.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM variables i WHERE i.tenant = x.tenant AND i.customer_ref = "
             "x.customer_ref) "
             " AND NOT EXISTS (SELECT 1 FROM calls i WHERE i.tenant = x.tenant AND i.customer_ref = "
             "x.customer_ref) "
             " LIMIT $2 FOR UPDATE SKIP LOCKED)) "
             "AND c.expires_at <= $1 AND pg_try_advisory_xact_lock_shared(hashtextextended($3::text || "
             "c.tenant, "
             "0)) AND pg_try_advisory_xact_lock(hashtextextended($3::text || c.tenant || chr(31) || 'c' || "
             "c.customer_ref, 0))";
    // A merge log goes with its rows (counted as one).
    case kPurgeMerges:
      return "WITH gone AS (" CALLMEM_PURGE("merges") " RETURNING tenant, merge_id), "
             "rows AS (DELETE FROM merge_rows r USING gone g WHERE r.tenant = g.tenant AND r.merge_id = g.merge_id) "
             "SELECT count(*) FROM gone";

    case kPrefetchAliases:
      return "SELECT alias_ref, target_ref, expires_at FROM aliases WHERE tenant = $1 AND alias_ref = "
             "ANY($2::text[])";
    case kPrefetchCustomers:
      return "SELECT customer_ref, " CALLMEM_CUSTOMER_COLUMNS
             " FROM customers "
             "WHERE tenant = $1 AND customer_ref IN " CALLMEM_PREFETCH_REFS;
    case kPrefetchLinks:
      return "SELECT customer_ref, " CALLMEM_IDENTIFIER_COLUMNS ", " CALLMEM_LINK_COLUMNS
             " "
             "FROM identities WHERE tenant = $1 AND customer_ref IN " CALLMEM_PREFETCH_REFS;
    case kPrefetchIntents:
      return "SELECT customer_ref, intent, " CALLMEM_INTENT_COLUMNS
             " "
             "FROM intents WHERE tenant = $1 AND customer_ref IN " CALLMEM_PREFETCH_REFS;
    case kPrefetchVariables:
      return "SELECT customer_ref, " CALLMEM_VARIABLE_COLUMNS
             " "
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

    // The operators' reads, across tenants (run as texts, not prepared: see kUnprepared).
    case kTenantCounts:
      return "WITH t(tenant) AS (SELECT tenant FROM tenants UNION SELECT tenant FROM customers "
             "  UNION SELECT tenant FROM calls UNION SELECT tenant FROM api_keys) "
             "SELECT t.tenant, "
             " EXISTS (SELECT 1 FROM tenants x WHERE x.tenant = t.tenant), "
             " (SELECT count(*) FROM customers c WHERE c.tenant = t.tenant AND c.expires_at > $1), "
             " (SELECT count(*) FROM identities i WHERE i.tenant = t.tenant AND i.expires_at > $1), "
             " (SELECT count(*) FROM calls k WHERE k.tenant = t.tenant AND k.expires_at > $1), "
             " (SELECT count(*) FROM intents n WHERE n.tenant = t.tenant AND n.status <> 'resolved' "
             "   AND n.expires_at > $1), "
             " (SELECT count(*) FROM api_keys a WHERE a.tenant = t.tenant AND a.revoked_at = 0) "
             "FROM t ORDER BY t.tenant COLLATE \"C\"";
    case kDatabaseInfo:
      return "SELECT (SELECT coalesce(max(version), 0) FROM schema_version), "
             " (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
             "  JOIN pg_namespace n ON n.oid = c.relnamespace "
             "  WHERE n.nspname = current_schema() AND c.relkind = 'r')";
    case kTableNames:
      return "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()";
    case kSchemaVersions:
      return "SELECT version FROM schema_version";
    case kInvalidIndexes:
      return "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
             " JOIN pg_namespace n ON n.oid = c.relnamespace "
             " WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready) ORDER BY 1";

    // SQLite's alone.
    case kIntegrityCheck:
    case kBeginRead:
    case kBeginWrite:
    case kCommit:
    case kRollback:
    case kAliasesOfTarget:
    case kPurgeMergeRows:
    // SQLite's (expiry_day): PostgreSQL purges by expires_at.
    case kPurgeRepairVariables:
    case kPurgeRepairIntents:
    case kPurgeRepairIdentities:
    case kPurgeRepairCustomers:
    case kCallsToRekey:
    case kCallRekey:
    case kIntentExpiryDay:
    case kVariableExpiryDay:
    // SQLite's update-then-insert of a link: PostgreSQL upserts in one
    // statement of the pipeline (no round trip to learn that it updated).
    case kLinkUpdate:
    case kSqlCount:
      break;
  }
  return nullptr;
}

#undef CALLMEM_KEPT_UNTIL
#undef CALLMEM_PREFETCH_REFS
#undef CALLMEM_PURGE

}  // namespace callmem::postgres
