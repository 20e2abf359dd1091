// The Store interface: what callmem persists and looks up. A store never
// scores and never decides; the core (src/engine.cpp) does. Every SQL detail stays
// inside the implementations (store/sqlite/, store/postgres/; the column
// lists and row mapping they share are in store/columns.hpp); each passes
// tests/store_suite.hpp unchanged.
//
// A Transaction is bound to the tenant it was begun on, and every query it
// makes is scoped by it; the work across tenants (purge, the operators'
// reads, API keys) is an AcrossTenants, begun on its own. Times are
// milliseconds since the epoch. Rows carry `expires_at`; readers that take a
// `now` return only rows with expires_at > now (expired data is never
// returned, even before a purge deletes it).
//
// Errors: a store throws callmem::Error with Status::busy when it could not get
// the write lock in time, Status::store when the database failed.
#ifndef CALLMEM_STORE_STORE_HPP
#define CALLMEM_STORE_STORE_HPP

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "callmem/types.hpp"

namespace callmem {

// A tenant's row: every setting in a column of its own, but
// settings.identity_weights (the probabilistic scorer's parameters) in one
// text column (SQLite: tenants.identity_weights TEXT NOT NULL DEFAULT '{}')
// written with json::write_identity_weights and read with
// json::read_identity_weights (src/json/codec.hpp): canonical JSON of the
// weights that differ from the defaults, '{}' for none. A store never looks
// inside it.
struct TenantRow {
  TenantSettings settings;
  std::int64_t balance = 0;
};

// An identifier a customer can be recognised by.
struct Identifier {
  std::string type;   // "ani" | "external_id"
  std::string key;    // external id key; "" for ani
  std::string value;  // normalised
  bool operator<(const Identifier& o) const {
    return std::tie(type, key, value) < std::tie(o.type, o.key, o.value);
  }
  bool operator==(const Identifier& o) const { return type == o.type && key == o.key && value == o.value; }
};

struct LinkRow {
  Identifier id;
  std::string customer_ref;
  std::string line_type;  // ani only: the number's type as decided from its calls (docs/identity.md)
  Millis first_seen = 0;
  Millis last_seen = 0;
  Millis expires_at = 0;
  // ani only, what the identity code learns of the number (docs/identity.md):
  // the carrier's reports of its type ("landline=1,mobile=3"; "" none), and
  // the distinct days on which the hosts confirmed it as this customer's,
  // with the last of them or of their forgetting (a day number; 0: never).
  std::string line_reports;
  std::int64_t confirmed_days = 0;
  std::int64_t confirmed_on = 0;
};

struct CustomerRow {
  std::string customer_ref;
  Millis created_at = 0;
  Millis last_seen = 0;
  Millis expires_at = 0;
};

struct CallRow {
  std::string call_id;
  std::string customer_ref;
  Millis started_at = 0;
  Millis ended_at = 0;  // 0: not ended
  std::string channel;
  std::string direction;
  std::string call_data_json = "{}";    // per-interaction ids, a JSON object
  std::uint64_t start_fingerprint = 0;  // of the canonical start request; 0: standalone end
  std::string start_response;           // the exact bytes answered to start
  std::uint64_t end_fingerprint = 0;    // 0: not ended
  std::string end_response;
  bool created_customer = false;
  Millis expires_at = 0;
  // The call's identifiers (start's hints, end's external ids), kept for
  // feedback: an opaque text the façade writes and reads (json::write_string_map).
  std::string identifiers_json = "{}";
  std::uint64_t feedback_fingerprint = 0;  // of the canonical feedback request; 0: none
  std::string feedback_outcome;            // confirmed | rejected | corrected | "" (none)
  std::string feedback_response;           // the exact bytes answered to the feedback
};

struct IntentRow {
  std::string intent;
  std::string status;
  std::int64_t attempt_count = 0;
  Millis first_seen = 0;
  Millis last_seen = 0;
  std::string last_call_id;
  Millis expires_at = 0;
};

struct VariableRow {
  std::string name;
  std::string value_json;
  std::string source;
  Millis updated_at = 0;
  std::int64_t own_ttl_seconds = 0;  // 0: the tenant's ttl applies
  Millis expires_at = 0;
};

// A ref merged into another customer: it resolves to target_ref.
struct AliasRow {
  std::string alias_ref;
  std::string target_ref;
  Millis created_at = 0;
  Millis expires_at = 0;
};

// What a merge of alias_ref into target_ref did, kept so that it can be
// undone. "Moved" rows came from the alias without a conflict (their keys
// only: they are found at the target); on a conflict (the same identifier,
// intent or variable on both) the alias's own row is kept in alias_*, and the
// target's row in target_* when the merge changed it.
struct MergeLog {
  std::string merge_id;
  std::string alias_ref;
  std::string target_ref;
  std::string call_id;         // the feedback that merged
  CustomerRow alias_customer;  // the alias's customer row as it was
  Millis merged_at = 0;
  Millis unmerged_at = 0;  // 0: in effect
  Millis expires_at = 0;
  std::string response;          // the feedback's response
  std::string unmerge_response;  // "" until undone
  std::vector<Identifier> moved_links;
  std::vector<std::string> moved_intents;
  std::vector<std::string> moved_variables;
  // call_id and whether the call had created the alias (created_customer).
  std::vector<std::pair<std::string, bool>> moved_calls;
  std::vector<std::string> moved_aliases;  // refs that were aliases of the alias
  std::vector<LinkRow> alias_links, target_links;
  std::vector<IntentRow> alias_intents, target_intents;
  std::vector<VariableRow> alias_variables, target_variables;
};

// An API key of `callmem serve` (server/api_keys.hpp makes them): the store
// keeps its hash, never the key. key_id and key_hash are unique across tenants.
struct ApiKeyRow {
  std::string key_id;  // "key_" and 16 hex digits
  std::string tenant;
  std::string name;      // what it is for; may be empty
  std::string key_hash;  // hex SHA-256 of the key
  Millis created_at = 0;
  Millis revoked_at = 0;  // 0: live
};

// Feedback outcomes of one signal class (the first `sources` token of the
// answer the feedback was about), for re-estimating the scorer's weights.
struct FeedbackStat {
  std::string signal;
  std::int64_t confirmed = 0;
  std::int64_t rejected = 0;
  double predicted = 0;  // the sum of the answers' probabilities when they were given
};

// A call as the web console counts it (Transaction::calls_between): when,
// what its start answered, and the hosts' feedback on that answer.
struct CallOutcome {
  Millis started_at = 0;
  Millis ended_at = 0;         // 0: not ended
  std::string recommendation;  // reuse | confirm | ignore; "" for a standalone end
  double confidence = -1;      // of the start's answer; < 0 for a standalone end
  std::string feedback;        // confirmed | rejected | corrected | "" (none)
  bool merged = false;         // the feedback merged the call's customer into another (in effect)
};

// Merge logs made and undone in a period (Transaction::merges_between).
struct MergeCounts {
  std::int64_t merged = 0;
  std::int64_t unmerged = 0;
};

// Where a page of call history starts: strictly older than this call.
struct CallCursor {
  Millis started_at = 0;
  std::string call_id;
};

// What an operation is about to read, so that a store can fetch it at once:
// the call, the tenant's row, the links of these identifiers, and everything
// (customer row, links, intents, variables) of the customers those links,
// the call and `refs` name (a ref that is an alias: its target's too).
struct Prefetch {
  std::string call_id;
  std::vector<Identifier> ids;
  std::vector<std::string> refs;
};

// One tenant as the operators see it (`callmem tenant list`, `stats`): what
// is live at a moment.
struct TenantCounts {
  std::string tenant;
  bool configured = false;        // has a settings row
  std::int64_t customers = 0;     // unexpired
  std::int64_t identifiers = 0;   // unexpired identity links
  std::int64_t calls = 0;         // unexpired
  std::int64_t open_intents = 0;  // open or abandoned, unexpired
  std::int64_t keys = 0;          // API keys not revoked
};

// What the database is (`callmem stats`, `check`).
struct DatabaseInfo {
  std::string store;               // "sqlite" | "postgres"
  int schema_version = 0;          // as the database records it
  int library_schema_version = 0;  // what this library migrates to
  std::int64_t size_bytes = 0;     // SQLite: the file's pages; PostgreSQL: the schema's tables and indexes
};

enum class Access { read, write };

// One unit of work on one tenant (Store::begin). Reads and writes made
// through it commit together or not at all; destroying it without commit()
// rolls back. Used by one thread.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // The tenant it was begun on.
  virtual const std::string& tenant() const = 0;
  virtual void commit() = 0;

  // A hint: later reads answer the same whether a store uses it or not. A
  // store over the network reads it all in one round trip and takes its
  // write lock there, so the caller reads the clock after this returns.
  // It also says what the operation contends on: PostgreSQL then locks the
  // call, the identifiers and the customers they lead to, not the tenant.
  virtual void prefetch(const Prefetch& what) { (void)what; }
  // The same hint about the call alone, for an operation that learns from
  // the call what else it is about (identity feedback: its identifiers), and
  // prefetches that next: a store that locks finely takes the call's lock
  // now, and the identifiers' before any customer's.
  virtual void prefetch_call(const std::string& call_id) { (void)call_id; }

  // Tenants. A tenant never configured has no row.
  virtual std::optional<TenantRow> tenant_get() = 0;
  virtual void tenant_put(const TenantRow& row) = 0;
  // Takes `amount` from the balance in one statement (never below zero,
  // whatever other writers of the tenant do meanwhile): the meter of a call
  // that has checked the balance it read. Should another writer have taken
  // it since, the transaction fails with Status::insufficient_credits ("`op`
  // needs `amount`"): here, or at the latest at commit() (PostgreSQL sends it
  // with the commit, in the same round trip).
  virtual void balance_debit(const std::string& op, std::int64_t amount) = 0;
  // Adds delta to every expires_at of the tenant's rows that follow the
  // tenant's ttl (not variables with their own ttl; aliases and merge logs
  // too): the ttl was changed. A customer, link or alias that lived at least
  // as long as the customer's variables with their own ttl (customer_keep)
  // still does: it moves by delta but never below the last of them.
  virtual void tenant_shift_expiry(Millis delta) = 0;

  // Customers.
  virtual std::optional<CustomerRow> customer_get(const std::string& ref, Millis now) = 0;
  virtual void customer_insert(const CustomerRow& row) = 0;
  // Moves last_seen and expires_at forward, never back (a backfilled call
  // may be older than what is stored).
  virtual void customer_touch(const std::string& ref, Millis last_seen, Millis expires_at) = 0;
  // A customer lives as long as anything of theirs: sets the expires_at of
  // the customer row, and of its links and the aliases that resolve to it
  // which are unexpired at `now`, to the later of `until` (the last expiry of
  // its variables with their own ttl; 0 for none) and their own expiry under
  // the tenant's `ttl` (last_seen + ttl; an alias's created_at + ttl). The
  // façade calls it when such a variable outlives the customer or goes, and
  // when a customer so kept gains a link.
  virtual void customer_keep(const std::string& ref, Millis until, Millis ttl, Millis now) = 0;
  // Deletes the customer and all its rows (links, intents, variables, calls),
  // the aliases that resolve to it, and the merge logs naming it (as alias
  // or target).
  virtual Removed customer_delete(const std::string& ref) = 0;
  // Deletes only the customer row (its rows were moved by a merge); true
  // when there was one.
  virtual bool customer_remove(const std::string& ref) = 0;

  // Identity links: which customers are linked to any of these identifiers.
  virtual std::vector<LinkRow> links_find(const std::vector<Identifier>& ids, Millis now) = 0;
  virtual std::vector<LinkRow> links_of(const std::string& ref, Millis now) = 0;
  // Inserts the link, or refreshes an existing one: last_seen and expires_at
  // move forward, never back; line_type and line_reports are replaced when
  // not empty; confirmed_days and confirmed_on when confirmed_on is not 0;
  // first_seen is kept (unless the link had expired: then it starts afresh).
  virtual void link_upsert(const LinkRow& row) = 0;
  // Removes the identifier's link to the customer, expired or not; true when
  // there was one.
  virtual bool link_delete(const Identifier& id, const std::string& ref) = 0;

  // Calls (found even when expired: idempotency needs them until purged).
  virtual std::optional<CallRow> call_get(const std::string& call_id) = 0;
  virtual void call_insert(const CallRow& row) = 0;
  // Records the end: ended_at, end_fingerprint, end_response, call_data_json,
  // identifiers_json.
  virtual void call_end(const CallRow& row) = 0;
  // Moves the call to another customer, with its created_customer flag.
  virtual void call_move(const std::string& call_id, const std::string& ref, bool created_customer) = 0;
  // Records feedback: feedback_fingerprint, feedback_outcome and
  // feedback_response (a fingerprint of 0 and empty texts clear it).
  virtual void call_feedback(const CallRow& row) = 0;
  // Newest first, unexpired, strictly older than `after` when given; at most limit.
  virtual std::vector<CallRow> calls_of(const std::string& ref, Millis now,
                                        const std::optional<CallCursor>& after, std::int64_t limit) = 0;

  // Intents: newest (last_seen) first, unexpired.
  virtual std::vector<IntentRow> intents_of(const std::string& ref, Millis now, bool open_only) = 0;
  // The row as stored, expired or not.
  virtual std::optional<IntentRow> intent_get(const std::string& ref, const std::string& intent) = 0;
  virtual void intent_put(const std::string& ref, const IntentRow& row) = 0;
  // Removes the row, expired or not; true when there was one.
  virtual bool intent_delete(const std::string& ref, const std::string& intent) = 0;

  // Variables: unexpired, by name.
  virtual std::vector<VariableRow> variables_of(const std::string& ref, Millis now) = 0;
  virtual void variable_put(const std::string& ref, const VariableRow& row) = 0;
  // True when an unexpired variable was deleted.
  virtual bool variable_delete(const std::string& ref, const std::string& name, Millis now) = 0;

  // Aliases: refs merged into another customer. Found until they expire.
  virtual std::optional<std::string> alias_target(const std::string& alias_ref, Millis now) = 0;
  // Inserts or replaces the alias.
  virtual void alias_put(const AliasRow& row) = 0;
  // True when the alias existed.
  virtual bool alias_delete(const std::string& alias_ref) = 0;
  // Points every alias of `from` at `to`; the alias refs it moved, sorted.
  virtual std::vector<std::string> aliases_retarget(const std::string& from, const std::string& to) = 0;

  // Merge logs, found until purged (expired or not).
  virtual void merge_insert(const MergeLog& log) = 0;
  // The log with every row, in the order inserted.
  virtual std::optional<MergeLog> merge_get(const std::string& merge_id) = 0;
  // Marks the merge undone: unmerged_at and unmerge_response.
  virtual void merge_undone(const std::string& merge_id, Millis at, const std::string& response) = 0;

  // Feedback outcomes by signal class, which re-estimate the scorer's weights.
  // Adds one to `outcome` ("confirmed" or "rejected") of the signal, and the
  // probability the answer was given with to `predicted`.
  virtual void feedback_stat_add(const std::string& signal, const std::string& outcome, double predicted) = 0;
  // By signal.
  virtual std::vector<FeedbackStat> feedback_stats() = 0;

  // Credits and usage.
  // The amount of an earlier grant with this key, if any.
  virtual std::optional<std::int64_t> grant_get(const std::string& key) = 0;
  virtual void grant_insert(const std::string& key, std::int64_t amount, Millis at) = 0;
  virtual void usage_add(const std::string& day, const std::string& operation, std::int64_t credits) = 0;
  // Rows with from_day <= day <= to_day (YYYY-MM-DD), by day then operation.
  virtual std::vector<UsageRow> usage_between(const std::string& from_day, const std::string& to_day) = 0;

  // For the web console (server/console.cpp), in a read transaction: the
  // calls started in [from, to), expired or not, newest first, at most limit;
  // and the merges made and undone in [from, to).
  virtual std::vector<CallOutcome> calls_between(Millis from, Millis to, std::int64_t limit) = 0;
  virtual MergeCounts merges_between(Millis from, Millis to) = 0;
};

// One unit of work across tenants (purge, the operators' reads, API keys),
// begun on its own (Store::begin_all): it commits or rolls back as a
// Transaction does. Used by one thread.
class AcrossTenants {
 public:
  virtual ~AcrossTenants() = default;
  virtual void commit() = 0;

  // API keys: a request names its key, not its tenant. A write takes the
  // lock of the key's tenant (PostgreSQL: its advisory lock).
  virtual void api_key_insert(const ApiKeyRow& row) = 0;
  virtual std::optional<ApiKeyRow> api_key_by_hash(const std::string& key_hash) = 0;
  virtual std::optional<ApiKeyRow> api_key_by_id(const std::string& key_id) = 0;
  // A tenant's keys, oldest first.
  virtual std::vector<ApiKeyRow> api_keys_of(const std::string& tenant) = 0;
  virtual void api_key_revoke(const std::string& tenant, const std::string& key_id, Millis at) = 0;

  // Deletes at most `limit` expired rows (expires_at <= now) across all
  // tenants; customers go once nothing of theirs is left unexpired. Aliases
  // and merge logs (with their rows, counted as one) go at their own expiry.
  virtual Removed purge(Millis now, std::int64_t limit) = 0;

  // For operators (docs/cli.md), in a read transaction.
  // Every tenant with settings, customers, calls or API keys, by name, with
  // what is live at `now`.
  virtual std::vector<TenantCounts> tenant_counts(Millis now) = 0;
  virtual DatabaseInfo database_info() = 0;
  // The store's own integrity check, and that the schema is callmem's and
  // current: each problem found, in words; none when sound.
  virtual std::vector<std::string> integrity_check() = 0;
};

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;
  // A transaction on `tenant`: every method reads and writes that tenant's
  // rows only. A write transaction holds the store's write lock before it
  // reads (SQLite: BEGIN IMMEDIATE, for the file; PostgreSQL: advisory locks
  // taken with the first statement on the tenant: those of what a prefetch
  // names, else the tenant's), so that a read-decide-write sequence cannot
  // interleave with another writer's on the same rows, in this process or
  // another, on this machine or another.
  virtual std::unique_ptr<Transaction> begin(const std::string& tenant, Access access) = 0;
  // A transaction across tenants. A writer: SQLite, BEGIN IMMEDIATE;
  // PostgreSQL, no lock but that of the tenant an API key write names
  // (purge takes none: see PgStore).
  virtual std::unique_ptr<AcrossTenants> begin_all(Access access) = 0;
};

}  // namespace callmem

#endif
