// The SQL text of every statement the SQLite store prepares, by id.
#include "store/statements.hpp"

#include "store/columns.hpp"
#include "store/sqlite/connection.hpp"

namespace callmem::sqlite {

// Per customer of tenant ?1, the last expiry of its variables with their own
// ttl: what keeps it and its links and aliases (Transaction::customer_keep).
#define CALLMEM_KEPT_UNTIL                                                           \
  "(SELECT customer_ref, MAX(expires_at) AS until FROM variables WHERE tenant = ?1 " \
  " AND own_ttl_seconds > 0 GROUP BY customer_ref) AS kept"

// A call's rowid is where it expires (migration 12): the millisecond of its
// expires_at (kept within the years 1691 to 2248) times 2^20, plus its place
// among the calls that expire in that millisecond. Purge finds the expired
// calls by rowid alone: a start writes no expiry index's page. New calls
// expire last, so their rows go at the end of the table.
#define CALLMEM_CALL_KEY(e) "(max(min(" e ", 8796093022206), -8796093022208) * 1048576)"
#define CALLMEM_CALL_ROWID(e) \
  "coalesce((SELECT rowid + 1 FROM calls WHERE rowid >= " CALLMEM_CALL_KEY(e) " AND rowid < " CALLMEM_CALL_KEY( \
      e) " + 1048576 ORDER BY rowid DESC LIMIT 1), " CALLMEM_CALL_KEY(e) ")"

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
      return "SELECT " CALLMEM_TENANT_COLUMNS " FROM tenants WHERE tenant = ?1";
    case kTenantPut:
      return "INSERT INTO tenants(tenant, " CALLMEM_TENANT_COLUMNS
             ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
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
      return "UPDATE customers SET expires_at = expires_at + ?2, "
             "expiry_day = MIN(expiry_day, (expires_at + ?2) / 86400000) WHERE tenant = ?1";
    case kShiftIdentities:
      return "UPDATE identities SET expires_at = expires_at + ?2, "
             "expiry_day = MIN(expiry_day, (expires_at + ?2) / 86400000) WHERE tenant = ?1";
    case kShiftCalls:
      return "UPDATE calls SET expires_at = expires_at + ?2 WHERE tenant = ?1";
    // After kShiftCalls: the tenant's calls whose rowid is no longer where
    // they expire, a page at a time in call_id order (?2: the last call_id
    // of the page before), each then moved by kCallRekey (rowid, expires_at).
    case kCallsToRekey:
      return "SELECT call_id, rowid, expires_at FROM calls WHERE tenant = ?1 AND call_id > ?2 "
             "AND NOT (rowid >= " CALLMEM_CALL_KEY("expires_at") " AND rowid < " CALLMEM_CALL_KEY(
                 "expires_at") " + 1048576) ORDER BY call_id LIMIT ?3";
    case kCallRekey:
      return "UPDATE calls SET rowid = " CALLMEM_CALL_ROWID("?2") " WHERE rowid = ?1";
    case kShiftIntents:
      return "UPDATE intents SET expires_at = expires_at + ?2, "
             "expiry_day = MIN(expiry_day, (expires_at + ?2) / 86400000) WHERE tenant = ?1";
    case kShiftVariables:
      return "UPDATE variables SET expires_at = expires_at + ?2, "
             "expiry_day = MIN(expiry_day, (expires_at + ?2) / 86400000) "
             "WHERE tenant = ?1 AND own_ttl_seconds = 0";

    case kCustomerGet:
      return "SELECT " CALLMEM_CUSTOMER_COLUMNS
             " FROM customers "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3";
    // An expired row not yet purged may hold the ref (a host's customer_ref
    // hint coming back): the new customer replaces it.
    case kCustomerInsert:
      return "INSERT INTO customers(tenant, customer_ref, " CALLMEM_CUSTOMER_COLUMNS
             ", expiry_day) VALUES(?1, ?2, ?3, ?4, ?5, ?5 / 86400000) ON CONFLICT(tenant, customer_ref) DO "
             "UPDATE SET "
             "created_at = excluded.created_at, last_seen = excluded.last_seen, "
             "expires_at = excluded.expires_at, expiry_day = MIN(customers.expiry_day, excluded.expiry_day)";
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

    case kLinksFind:
      return "SELECT customer_ref, " CALLMEM_LINK_COLUMNS
             " FROM identities "
             "WHERE tenant = ?1 AND type = ?2 AND key = ?3 AND value = ?4 AND expires_at > ?5";
    // Without statistics the planner would rather scan the tenant's whole
    // primary key; the index (which ends with the key's other columns) also
    // gives the order.
    case kLinksOf:
      return "SELECT " CALLMEM_IDENTIFIER_COLUMNS ", " CALLMEM_LINK_COLUMNS
             " FROM identities "
             "INDEXED BY identities_customer "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 ORDER BY type, key, value";
    // A link that had expired before this sighting starts afresh: its old
    // first_seen, line_type and what was learned of it were data that is no
    // longer kept.
    // The update a returning caller's link gets (the same as kLinkUpsert's
    // on conflict); kLinkUpsert only when it changed nothing. The `+` keeps
    // the planner on the primary key, not identities_customer.
    case kLinkUpdate:
      return "UPDATE identities SET "
             "first_seen = CASE WHEN expires_at <= ?8 THEN ?7 ELSE first_seen END, "
             "line_type = CASE WHEN ?6 <> '' OR expires_at <= ?8 THEN ?6 ELSE line_type END, "
             "line_reports = CASE WHEN ?10 <> '' OR expires_at <= ?8 THEN ?10 ELSE line_reports END, "
             "confirmed_days = CASE WHEN ?12 <> 0 OR expires_at <= ?8 THEN MAX(?11, 0) ELSE confirmed_days "
             "END, "
             "confirmed_on = CASE WHEN ?12 <> 0 OR expires_at <= ?8 THEN MAX(?12, 0) ELSE confirmed_on END, "
             "last_seen = MAX(last_seen, ?8), expires_at = MAX(expires_at, ?9) "
             "WHERE tenant = ?1 AND type = ?2 AND key = ?3 AND value = ?4 AND +customer_ref = ?5";
    case kLinkUpsert:
      return "INSERT INTO identities(tenant, " CALLMEM_IDENTIFIER_COLUMNS
             ", customer_ref, " CALLMEM_LINK_COLUMNS
             ", expiry_day) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?9 / 86400000) "
             "ON CONFLICT(tenant, type, key, value, customer_ref) DO UPDATE SET "
             "first_seen = CASE WHEN identities.expires_at <= excluded.last_seen "
             "  THEN excluded.first_seen ELSE identities.first_seen END, "
             "line_type = CASE WHEN excluded.line_type <> '' "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN excluded.line_type ELSE identities.line_type END, "
             "line_reports = CASE WHEN excluded.line_reports <> '' "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN excluded.line_reports ELSE identities.line_reports END, "
             "confirmed_days = CASE WHEN excluded.confirmed_on <> 0 "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN MAX(excluded.confirmed_days, 0) ELSE identities.confirmed_days END, "
             "confirmed_on = CASE WHEN excluded.confirmed_on <> 0 "
             "  OR identities.expires_at <= excluded.last_seen "
             "  THEN MAX(excluded.confirmed_on, 0) ELSE identities.confirmed_on END, "
             "last_seen = MAX(identities.last_seen, excluded.last_seen), "
             "expires_at = MAX(identities.expires_at, excluded.expires_at)";

    case kCallGet:
      return "SELECT " CALLMEM_CALL_COLUMNS " FROM calls WHERE tenant = ?1 AND call_id = ?2";
    case kCallInsert:
      return "INSERT INTO calls(rowid, tenant, " CALLMEM_CALL_COLUMNS ") VALUES(" CALLMEM_CALL_ROWID(
          "?14") ", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
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
      return "SELECT intent, " CALLMEM_INTENT_COLUMNS
             " "
             "FROM intents WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 "
             "AND (?4 = 0 OR status <> 'resolved') ORDER BY last_seen DESC, intent";
    case kIntentGet:
      return "SELECT " CALLMEM_INTENT_COLUMNS
             " "
             "FROM intents WHERE tenant = ?1 AND customer_ref = ?2 AND intent = ?3";
    case kIntentPut:
      return "INSERT INTO intents(tenant, customer_ref, intent, " CALLMEM_INTENT_COLUMNS
             ", expiry_day) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9 / 86400000) "
             "ON CONFLICT(tenant, customer_ref, intent) DO UPDATE SET status = excluded.status, "
             "attempt_count = excluded.attempt_count, first_seen = excluded.first_seen, "
             "last_seen = excluded.last_seen, last_call_id = excluded.last_call_id, "
             "expires_at = excluded.expires_at";
    // After a put whose expires_at fell to a day before the row's
    // expiry_day (a shorter TTL than the row's last write): the day follows
    // it. After a put that extends the row it matches nothing and writes no
    // page. (Cheaper than the put's RETURNING a flag, or setting the day in
    // the put, which would write the expiry index each time: callgrind and
    // the WAL pages per end of bench/peers.)
    case kIntentExpiryDay:
      return "UPDATE intents SET expiry_day = ?4 / 86400000 "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND intent = ?3 AND expiry_day > ?4 / 86400000";

    case kVariablesOf:
      return "SELECT " CALLMEM_VARIABLE_COLUMNS
             " FROM variables "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND expires_at > ?3 ORDER BY name";
    case kVariablePut:
      return "INSERT INTO variables(tenant, customer_ref, " CALLMEM_VARIABLE_COLUMNS
             ", expiry_day) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8 / 86400000) "
             "ON CONFLICT(tenant, customer_ref, name) DO UPDATE SET value = excluded.value, "
             "source = excluded.source, updated_at = excluded.updated_at, "
             "own_ttl_seconds = excluded.own_ttl_seconds, expires_at = excluded.expires_at";
    case kVariableExpiryDay:
      return "UPDATE variables SET expiry_day = ?4 / 86400000 "
             "WHERE tenant = ?1 AND customer_ref = ?2 AND name = ?3 AND expiry_day > ?4 / 86400000";
    // An expired row goes too, but only an unexpired one counts as deleted.
    case kVariableDelete:
      return "DELETE FROM variables WHERE tenant = ?1 AND customer_ref = ?2 AND name = ?3 "
             "RETURNING expires_at > ?4";

    case kApiKeyInsert:
      return "INSERT INTO api_keys(" CALLMEM_API_KEY_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    case kApiKeyByHash:
      return "SELECT " CALLMEM_API_KEY_COLUMNS " FROM api_keys WHERE key_hash = ?1";
    case kApiKeyById:
      return "SELECT " CALLMEM_API_KEY_COLUMNS " FROM api_keys WHERE key_id = ?1";
    case kApiKeysOf:
      return "SELECT " CALLMEM_API_KEY_COLUMNS
             " FROM api_keys WHERE tenant = ?1 "
             "ORDER BY created_at, key_id";
    case kApiKeyRevoke:
      return "UPDATE api_keys SET revoked_at = ?3 WHERE tenant = ?1 AND key_id = ?2 AND revoked_at = 0";

    case kGrantGet:
      return "SELECT amount FROM credit_grants WHERE tenant = ?1 AND idempotency_key = ?2";
    case kGrantInsert:
      return "INSERT INTO credit_grants(tenant, idempotency_key, amount, granted_at) "
             "VALUES(?1, ?2, ?3, ?4)";
    case kBalanceDebit:
      return "UPDATE tenants SET balance = balance - ?2 WHERE tenant = ?1 AND balance >= ?2";
    case kUsageAdd:
      return "INSERT INTO usage(tenant, day, operation, count, credits) VALUES(?1, ?2, ?3, 1, ?4) "
             "ON CONFLICT(tenant, day, operation) DO UPDATE SET count = count + 1, "
             "credits = credits + excluded.credits";
    case kUsageBetween:
      return "SELECT " CALLMEM_USAGE_COLUMNS
             " FROM usage "
             "WHERE tenant = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day, operation";
    // A standalone end has no start answer ('' is not JSON). The confidence is
    // read as JSON text and cast by SQLite (json_extract's number reader is
    // strtod, which follows the C locale: 0 for 0.55 in de_DE). The answers
    // are packed (store/sqlite/answers.hpp): callmem_answer gives their text.
    case kCallsBetween:
      return "SELECT started_at, ended_at, "
             "CASE WHEN json_valid(s) THEN coalesce(json_extract(s, '$.identity.recommendation'), '') ELSE "
             "'' END, "
             "CASE WHEN json_valid(s) THEN coalesce(CAST(s -> '$.identity.confidence' AS REAL), -1) ELSE -1 "
             "END, "
             "feedback_outcome, "
             "CASE WHEN json_valid(f) THEN json_type(f, '$.merge') = 'object' ELSE 0 END "
             "FROM (SELECT started_at, ended_at, callmem_answer(start_response) AS s, feedback_outcome, "
             "callmem_answer(feedback_response) AS f "
             "FROM calls WHERE tenant = ?1 AND started_at >= ?2 AND started_at < ?3 "
             "ORDER BY started_at DESC LIMIT ?4)";
    case kMergesBetween:
      return "SELECT coalesce(sum(merged_at >= ?2 AND merged_at < ?3), 0), "
             "coalesce(sum(unmerged_at >= ?2 AND unmerged_at < ?3), 0) "
             "FROM merges WHERE tenant = ?1 AND (merged_at >= ?2 OR unmerged_at >= ?2)";

    case kPurgeVariables:
      return "DELETE FROM variables WHERE (tenant, customer_ref, name) IN "
             "(SELECT tenant, customer_ref, name FROM variables "
             " WHERE expiry_day <= ?1 / 86400000 AND expires_at <= ?1 LIMIT ?2)";
    case kPurgeIntents:
      return "DELETE FROM intents WHERE (tenant, customer_ref, intent) IN "
             "(SELECT tenant, customer_ref, intent FROM intents "
             " WHERE expiry_day <= ?1 / 86400000 AND expires_at <= ?1 LIMIT ?2)";
    case kPurgeIdentities:
      return "DELETE FROM identities WHERE (tenant, type, key, value, customer_ref) IN "
             "(SELECT tenant, type, key, value, customer_ref FROM identities "
             " WHERE expiry_day <= ?1 / 86400000 AND expires_at <= ?1 LIMIT ?2)";
    // expiry_day is on or before the day a row expires (migration 8): purge
    // finds the expired rows among those whose day has come, and moves the
    // others' day to theirs.
    case kPurgeRepairVariables:
      return "UPDATE variables SET expiry_day = expires_at / 86400000 WHERE (tenant, customer_ref, name) IN "
             "(SELECT tenant, customer_ref, name FROM variables "
             " WHERE expiry_day <= ?1 / 86400000 AND expires_at > ?1 LIMIT ?2)";
    case kPurgeRepairIntents:
      return "UPDATE intents SET expiry_day = expires_at / 86400000 WHERE (tenant, customer_ref, intent) IN "
             "(SELECT tenant, customer_ref, intent FROM intents "
             " WHERE expiry_day <= ?1 / 86400000 AND expires_at > ?1 LIMIT ?2)";
    case kPurgeRepairIdentities:
      return "UPDATE identities SET expiry_day = expires_at / 86400000 "
             "WHERE (tenant, type, key, value, customer_ref) IN "
             "(SELECT tenant, type, key, value, customer_ref FROM identities "
             " WHERE expiry_day <= ?1 / 86400000 AND expires_at > ?1 LIMIT ?2)";
    case kPurgeRepairCustomers:
      return "UPDATE customers SET expiry_day = expires_at / 86400000 WHERE (tenant, customer_ref) IN "
             "(SELECT tenant, customer_ref FROM customers "
             " WHERE expiry_day <= ?1 / 86400000 AND expires_at > ?1 LIMIT ?2)";
    case kPurgeCalls:
      return "DELETE FROM calls WHERE rowid IN "
             "(SELECT rowid FROM calls WHERE rowid < " CALLMEM_CALL_KEY(
                 "?1 + 1") " AND expires_at <= ?1 LIMIT ?2)";
    case kPurgeCustomers:
      return "DELETE FROM customers WHERE (tenant, customer_ref) IN "
             "(SELECT c.tenant, c.customer_ref FROM customers c "
             " WHERE c.expiry_day <= ?1 / 86400000 AND c.expires_at <= ?1 "
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
      return "INSERT INTO merges(tenant, merge_id, " CALLMEM_MERGE_COLUMNS
             ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    case kMergeRowInsert:
      return "INSERT INTO merge_rows(tenant, merge_id, seq, " CALLMEM_MERGE_ROW_COLUMNS
             ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    case kMergeGet:
      return "SELECT " CALLMEM_MERGE_COLUMNS
             " FROM merges "
             "WHERE tenant = ?1 AND merge_id = ?2";
    case kMergeRowsGet:
      return "SELECT " CALLMEM_MERGE_ROW_COLUMNS
             " FROM merge_rows "
             "WHERE tenant = ?1 AND merge_id = ?2 ORDER BY seq";
    case kMergeUndone:
      return "UPDATE merges SET unmerged_at = ?3, unmerge_response = ?4 WHERE tenant = ?1 AND merge_id = ?2";
    case kFeedbackStatAdd:
      return "INSERT INTO feedback_stats(tenant, signal, confirmed, rejected, predicted) "
             "VALUES(?1, ?2, ?3, ?4, ?5) "
             "ON CONFLICT(tenant, signal) DO UPDATE SET confirmed = confirmed + excluded.confirmed, "
             "rejected = rejected + excluded.rejected, predicted = predicted + excluded.predicted";
    case kFeedbackStats:
      return "SELECT " CALLMEM_FEEDBACK_STAT_COLUMNS
             " FROM feedback_stats WHERE tenant = ?1 "
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
      return "UPDATE customers SET expires_at = MAX(last_seen + ?4, ?3), "
             "expiry_day = MIN(expiry_day, MAX(last_seen + ?4, ?3) / 86400000) "
             "WHERE tenant = ?1 AND customer_ref = ?2";
    case kKeepLinks:
      return "UPDATE identities SET expires_at = MAX(last_seen + ?4, ?3), "
             "expiry_day = MIN(expiry_day, MAX(last_seen + ?4, ?3) / 86400000) "
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

    // The operators' reads, across tenants.
    case kTenantCounts:
      return "WITH t(tenant) AS (SELECT tenant FROM tenants UNION SELECT tenant FROM customers "
             "  UNION SELECT tenant FROM calls UNION SELECT tenant FROM api_keys) "
             "SELECT t.tenant, "
             " (SELECT count(*) FROM tenants x WHERE x.tenant = t.tenant), "
             " (SELECT count(*) FROM customers c WHERE c.tenant = t.tenant AND c.expires_at > ?1), "
             " (SELECT count(*) FROM identities i WHERE i.tenant = t.tenant AND i.expires_at > ?1), "
             " (SELECT count(*) FROM calls k WHERE k.tenant = t.tenant AND k.expires_at > ?1), "
             " (SELECT count(*) FROM intents n WHERE n.tenant = t.tenant AND n.status <> 'resolved' "
             "   AND n.expires_at > ?1), "
             " (SELECT count(*) FROM api_keys a WHERE a.tenant = t.tenant AND a.revoked_at = 0) "
             "FROM t ORDER BY t.tenant";
    case kDatabaseInfo:
      return "SELECT user_version, page_count * page_size "
             "FROM pragma_user_version(), pragma_page_count(), pragma_page_size()";
    case kTableNames:
      return "SELECT name FROM sqlite_master WHERE type = 'table'";
    case kIntegrityCheck:
      return "PRAGMA integrity_check";

    // PostgreSQL's alone.
    case kSchemaVersions:
    case kInvalidIndexes:
    case kLock:
    case kLockShared:
    case kLockKeys:
    case kLockCustomers:
    case kPrefetchAliases:
    case kPrefetchCustomers:
    case kPrefetchLinks:
    case kPrefetchIntents:
    case kPrefetchVariables:
    case kSqlCount:
      break;
  }
  return nullptr;
}

#undef CALLMEM_KEPT_UNTIL

}  // namespace callmem::sqlite
