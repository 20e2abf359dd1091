// The statements a store runs, by id, and the ones an operation runs in
// order. Each store has its own SQL text for each id (sqlite/statements.cpp,
// postgres/statements.cpp: the dialects differ where it matters); an id a
// store does not use has no text there (nullptr).
#ifndef CALLMEM_STORE_STATEMENTS_HPP
#define CALLMEM_STORE_STATEMENTS_HPP

#include <cstdint>

#include "callmem/types.hpp"

namespace callmem {

enum Sql : int {
  // Transactions. SQLite: BEGIN, BEGIN IMMEDIATE, COMMIT, ROLLBACK;
  // PostgreSQL: the tenant's advisory lock (its BEGIN and COMMIT are texts;
  // its finer locks below).
  kBeginRead,
  kBeginWrite,
  kCommit,
  kRollback,
  kLock,
  // Tenants.
  kTenantGet,
  kTenantPut,
  kShiftCustomers,
  kShiftIdentities,
  kShiftCalls,
  kCallsToRekey,  // SQLite: after kShiftCalls, the calls to move to their new rowid
  kCallRekey,
  kShiftIntents,
  kShiftVariables,
  kShiftAliases,
  kShiftMerges,
  kRekeepCustomers,
  kRekeepLinks,
  kRekeepAliases,
  // Customers.
  kCustomerGet,
  kCustomerInsert,
  kCustomerTouch,
  kCustomerRemove,
  kKeepCustomer,
  kKeepLinks,
  kKeepAliases,
  kDeleteIdentities,
  kDeleteIntents,
  kDeleteVariables,
  kDeleteCalls,
  kDeleteAliases,
  kDeleteMergeRowsOf,
  kDeleteMergesOf,
  // Identity links (kLinksFind: SQLite one identifier, PostgreSQL arrays of them).
  kLinksFind,
  kLinksOf,
  kLinkUpdate,
  kLinkUpsert,
  kLinkDelete,
  // Calls.
  kCallGet,
  kCallInsert,
  kCallEnd,
  kCallMove,
  kCallFeedback,
  kCallsOf,
  kCallsOfAfter,
  // Intents and variables.
  kIntentsOf,
  kIntentGet,
  kIntentPut,
  kIntentExpiryDay,
  kIntentDelete,
  kVariablesOf,
  kVariablePut,
  kVariableExpiryDay,
  kVariableDelete,
  // Aliases and merge logs.
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
  // Feedback outcomes, API keys, credits and usage.
  kFeedbackStatAdd,
  kFeedbackStats,
  kApiKeyInsert,
  kApiKeyByHash,
  kApiKeyById,
  kApiKeysOf,
  kApiKeyRevoke,
  kGrantGet,
  kGrantInsert,
  kBalanceDebit,
  kUsageAdd,
  kUsageBetween,
  // The web console's reads.
  kCallsBetween,
  kMergesBetween,
  // Purge.
  kPurgeVariables,
  kPurgeIntents,
  kPurgeIdentities,
  kPurgeCalls,
  kPurgeCustomers,
  kPurgeAliases,
  kPurgeMerges,
  kPurgeMergeRows,
  // SQLite's purge: a live row found by its stale expiry_day gets its day.
  kPurgeRepairVariables,
  kPurgeRepairIntents,
  kPurgeRepairIdentities,
  kPurgeRepairCustomers,
  // PostgreSQL's prefetch, and its finer locks: the tenant's shared, a list
  // of keys, the customers a prefetch is about.
  kLockShared,
  kLockKeys,
  kLockCustomers,
  kPrefetchAliases,
  kPrefetchCustomers,
  kPrefetchLinks,
  kPrefetchIntents,
  kPrefetchVariables,
  // The operators' reads across tenants (docs/cli.md), never prepared ahead:
  // they must run on a schema that lacks a table. (PostgreSQL prepares every
  // statement before kUnprepared on each connection.)
  kUnprepared,
  kTenantCounts = kUnprepared,
  kDatabaseInfo,  // the schema version the database records, and its size in bytes
  kTableNames,
  kSchemaVersions,  // PostgreSQL: the rows of schema_version
  kInvalidIndexes,  // PostgreSQL
  kIntegrityCheck,  // SQLite: PRAGMA integrity_check
  kSqlCount
};

// tenant_shift_expiry, with (tenant, delta): every expiry that follows the
// ttl moves, then what customer_keep kept comes back up to its `until`.
inline constexpr Sql kShiftExpiry[] = {kShiftCustomers, kShiftIdentities, kShiftCalls,  kShiftIntents,
                                       kShiftVariables, kShiftAliases,    kShiftMerges, kRekeepCustomers,
                                       kRekeepLinks,    kRekeepAliases};

// customer_keep, with (tenant, ref, until, ttl) and, but for the customer's
// row, now.
inline constexpr Sql kKeep[] = {kKeepCustomer, kKeepLinks, kKeepAliases};

// A statement and what the rows it deletes count as.
struct Deletion {
  Sql id;
  std::int64_t Removed::*count;  // nullptr: not counted
};

// customer_delete, with (tenant, ref): the customer's rows, then the
// customer, its aliases, and the merge logs naming it (their rows first).
inline constexpr Deletion kCustomerDeletions[] = {{kDeleteIdentities, &Removed::identities},
                                                  {kDeleteIntents, &Removed::intents},
                                                  {kDeleteVariables, &Removed::variables},
                                                  {kDeleteCalls, &Removed::calls},
                                                  {kCustomerRemove, &Removed::customers},
                                                  {kDeleteAliases, &Removed::aliases},
                                                  {kDeleteMergeRowsOf, nullptr},
                                                  {kDeleteMergesOf, &Removed::merges}};

// purge, with (now, what is left of the limit): a customer goes once nothing
// of theirs is left; aliases and merge logs (with their rows, counted as one)
// at their own expiry.
inline constexpr Deletion kPurges[] = {
    {kPurgeVariables, &Removed::variables},   {kPurgeIntents, &Removed::intents},
    {kPurgeIdentities, &Removed::identities}, {kPurgeCalls, &Removed::calls},
    {kPurgeCustomers, &Removed::customers},   {kPurgeAliases, &Removed::aliases},
    {kPurgeMerges, &Removed::merges}};

// The tables of callmem's schema, in both stores (PostgreSQL also has
// schema_version).
inline constexpr const char* kTables[] = {
    "aliases", "api_keys",   "calls",  "credit_grants", "customers", "feedback_stats", "identities",
    "intents", "merge_rows", "merges", "tenants",       "usage",     "variables"};

}  // namespace callmem

#endif
