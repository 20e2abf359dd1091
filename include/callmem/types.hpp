// Value types of the call memory contract (docs/contract.md).
//
// Times are milliseconds since the Unix epoch, UTC. A time of 0 in a request
// means "not given": the operation uses its clock's now.
#ifndef CALLMEM_TYPES_HPP
#define CALLMEM_TYPES_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace callmem {

using Millis = std::int64_t;

// A JSON value kept as its compact serialisation (variable values are any JSON).
struct JsonText {
  std::string text;
  bool operator==(const JsonText& o) const { return text == o.text; }
};

struct Telco {
  std::string line_type;    // "mobile" | "landline" | "voip" | "unknown" | "" (not given)
  std::string attestation;  // "A" | "B" | "C" | ""
  std::string verstat;      // "TN-Validation-Passed" | "TN-Validation-Failed" | "No-TN-Validation" | ""
};

struct IdentityHints {
  std::optional<std::string> ani;
  std::optional<std::string> dnis;
  std::map<std::string, std::string> external_ids;
  std::optional<std::string> customer_ref;
  bool empty() const { return !ani && external_ids.empty() && !customer_ref; }
};

struct StartRequest {
  std::string call_id;
  IdentityHints identity_hints;
  Telco telco;
  std::string channel = "voice";       // voice | chat | email | sms
  std::string direction = "inbound";   // inbound | outbound
  Millis at = 0;                       // 0: now
};

struct Evidence {
  std::string signal;
  double weight = 0;
  std::string detail;
};

struct Candidate {
  std::string customer_ref;
  double confidence = 0;
};

struct Identity {
  double confidence = 0;
  std::string level;           // very_high | high | medium | low
  std::vector<std::string> sources;
  std::string recommendation;  // reuse | confirm | ignore
  std::vector<Evidence> evidence;
  std::vector<Candidate> candidates;
};

struct Intent {
  std::string intent;
  std::string status;  // open | resolved | abandoned
  std::int64_t attempt_count = 0;
  Millis first_seen = 0;
  Millis last_seen = 0;
};

struct Variable {
  JsonText value;
  std::string source;  // the call_id that last wrote it
  std::int64_t ttl_seconds = 0;  // time left
  Millis updated_at = 0;
};

struct StartResponse {
  std::string call_id;
  std::string customer_ref;
  Millis call_start = 0;
  Identity identity;
  std::vector<Intent> open_intents;
  std::map<std::string, Variable> variables;
};

struct IntentUpdate {
  std::string intent;
  std::string status;  // open | resolved | abandoned
};

struct EndRequest {
  std::string call_id;
  std::optional<std::string> customer_ref;
  std::vector<IntentUpdate> intents;  // `intent`/`intent_status` first, then `intents`
  // name -> value; std::nullopt deletes the key.
  std::map<std::string, std::optional<JsonText>> variables;
  std::map<std::string, std::int64_t> variable_ttl_seconds;
  std::map<std::string, std::string> external_ids;
  // Standalone end: no start was made for this call_id.
  std::optional<IdentityHints> identity_hints;
  Telco telco;
  Millis at = 0;
};

struct EndResponse {
  std::string call_id;
  std::string customer_ref;
  Millis call_start = 0;
  Millis call_end = 0;
  std::int64_t duration_seconds = 0;
  std::int64_t intents_updated = 0;
  std::int64_t variables_updated = 0;
};

// Which customer an operation on customer data is about.
struct CustomerSelector {
  std::optional<std::string> customer_ref;
  std::optional<IdentityHints> identity_hints;
};

struct GetRequest {
  CustomerSelector who;
  std::int64_t history_limit = 20;
  std::string cursor;  // opaque, from a previous response's next_cursor
};

struct LinkedIdentity {
  std::string type;  // "ani" | "external_id"
  std::string key;   // the external id's key; empty for an ani
  std::string value;
  std::string line_type;  // ani only
  Millis first_seen = 0;
  Millis last_seen = 0;
};

struct CallRecord {
  std::string call_id;
  Millis call_start = 0;
  Millis call_end = 0;  // 0: not ended
  std::string channel;
  std::string direction;
  std::map<std::string, std::string> call_data;  // per-interaction ids
};

struct CustomerView {
  std::string customer_ref;
  Millis created_at = 0;
  Millis last_seen = 0;
  std::vector<LinkedIdentity> identities;
  std::vector<Intent> intents;  // open and closed, newest first
  std::map<std::string, Variable> variables;
  std::vector<CallRecord> calls;  // newest first
  std::string next_cursor;        // empty: no more calls
};

struct Removed {
  std::int64_t identities = 0;
  std::int64_t intents = 0;
  std::int64_t variables = 0;
  std::int64_t calls = 0;
  std::int64_t customers = 0;
  std::int64_t aliases = 0;  // refs merged into the customer (docs/feedback.md)
  std::int64_t merges = 0;   // merge logs naming the customer
  Removed& operator+=(const Removed& o) {
    identities += o.identities; intents += o.intents; variables += o.variables;
    calls += o.calls; customers += o.customers; aliases += o.aliases; merges += o.merges;
    return *this;
  }
  std::int64_t total() const {
    return identities + intents + variables + calls + customers + aliases + merges;
  }
};

struct ForgetReceipt {
  std::string customer_ref;
  Removed removed;
};

struct Prices {
  std::int64_t start_new = 1;
  std::int64_t start_returning = 0;
  std::int64_t end = 0;
};

// The probabilistic scorer's parameters (docs/identity.md), per tenant: m =
// P(the signal | the caller is the candidate), u = P(the signal | the caller
// is someone else); recency and open_intent are likelihood ratios. The
// defaults are the documented ones. Settings JSON: identity.weights
// (ani.m, ani.u.<line type>, external_id.m/u, customer_ref.m/u,
// recency.within_day/within_week/over_30_days, open_intent).
struct IdentityWeights {
  double ani_m = 0.85;             // the caller calls from a number linked to them
  double ani_u_mobile = 0.002;     // someone else calls from it, by its line type
  double ani_u_landline = 0.7;
  double ani_u_voip = 0.5;
  double ani_u_unknown = 0.01;     // unknown type, North America's fixed-or-mobile; and for
                                   // a call from a number not on file, ani.m against this u
  double ani_u_business = 0.9;     // toll free, premium rate, shared cost, corporate UAN
  double external_id_m = 0.999;    // per key, agreeing or differing
  double external_id_u = 0.0005;
  double customer_ref_m = 0.99;    // the host named this customer, or another
  double customer_ref_u = 0.0001;
  double recency_within_day = 2;   // likelihood ratios of the customer's last call
  double recency_within_week = 1.5;
  double recency_over_30_days = 0.8;
  double open_intent = 2;          // likelihood ratio of an unresolved intent
};

// Any subset of the weights; what is absent keeps its value.
struct IdentityWeightsPatch {
  std::optional<double> ani_m, ani_u_mobile, ani_u_landline, ani_u_voip, ani_u_unknown, ani_u_business;
  std::optional<double> external_id_m, external_id_u;
  std::optional<double> customer_ref_m, customer_ref_u;
  std::optional<double> recency_within_day, recency_within_week, recency_over_30_days;
  std::optional<double> open_intent;
};

struct TenantSettings {
  std::int64_t ttl_days = 30;
  std::string default_region = "US";  // where a national ANI is read when the DNIS does not tell
  // How identity is scored: "probabilistic" (Fellegi-Sunter, docs/identity.md)
  // or "hosted" (the hosted product's documented additive weights).
  std::string identity_profile = "probabilistic";
  IdentityWeights identity_weights;  // used by the probabilistic profile
  // Whether a confirmation may merge a customer made twice: the confirmed
  // customer and one other on the caller's own mobile, with no identity key
  // telling them apart (docs/feedback.md, "Duplicates found by a confirmation").
  bool identity_merge_duplicates = true;
  double level_very_high = 0.9;
  double level_high = 0.7;
  double level_medium = 0.5;
  double reuse = 0.5;
  double confirm = 0.3;
  bool billing_enabled = false;
  Prices prices;
  // `callmem serve`: requests per minute a tenant's keys may make, over a
  // rolling 60 seconds (429 past it); 0 is no limit.
  std::int64_t rate_limit_per_minute = 0;
};

// Any subset of the settings; what is absent keeps its value.
struct TenantSettingsPatch {
  std::optional<std::int64_t> ttl_days;
  std::optional<std::string> default_region;
  std::optional<std::string> identity_profile;
  IdentityWeightsPatch identity_weights;
  std::optional<bool> identity_merge_duplicates;
  std::optional<double> level_very_high, level_high, level_medium;
  std::optional<double> reuse, confirm;
  std::optional<bool> billing_enabled;
  std::optional<std::int64_t> price_start_new, price_start_returning, price_end;
  std::optional<std::int64_t> rate_limit_per_minute;
};

struct CreditGrant {
  std::int64_t amount = 0;
  std::string idempotency_key;
};

struct UsageRequest {
  Millis from = 0;  // 0: the beginning
  Millis to = 0;    // 0: now
};

struct UsageRow {
  std::string day;        // YYYY-MM-DD (UTC)
  std::string operation;  // start_new | start_returning | end
  std::int64_t count = 0;
  std::int64_t credits = 0;
};

struct UsageReport {
  std::int64_t balance = 0;
  std::vector<UsageRow> days;
};

struct PurgeRequest {
  Millis now = 0;             // 0: the clock's now
  std::int64_t limit = 10000;  // rows per call, across all tables
};

struct PurgeResult {
  Removed deleted;
  bool more = false;
};

// Identity feedback (docs/feedback.md): what the host learned about a call's caller.
struct FeedbackRequest {
  std::string call_id;
  std::string outcome;                      // confirmed | rejected | corrected
  std::optional<std::string> customer_ref;  // required with corrected, refused otherwise
  Millis at = 0;                            // 0: now
};

// What a merge moved from the merged ref to the customer it became an alias of.
struct MergeSummary {
  std::string merge_id;  // for unmerge
  std::string alias;     // the merged ref: it now resolves to alias_of
  std::string alias_of;
  std::int64_t identities = 0;  // rows moved (conflicts included)
  std::int64_t intents = 0;
  std::int64_t variables = 0;
  std::int64_t calls = 0;
  std::int64_t conflicts = 0;  // intents and variables in both: the newer won, the loser is logged
};

struct FeedbackResponse {
  std::string call_id;
  std::string outcome;
  std::string previous_customer_ref;  // the call's customer before the feedback
  std::string customer_ref;           // and after
  bool customer_created = false;      // rejected: a new customer was made for the caller
  std::int64_t links_added = 0;       // identity links made (or moved to customer_ref)
  std::int64_t links_removed = 0;     // identity links taken from previous_customer_ref
  std::int64_t intents_moved = 0;     // what the call's end saved, moved with the call
  std::int64_t variables_moved = 0;
  std::optional<MergeSummary> merge;  // corrected, when the call's own new customer was merged
  Millis at = 0;
};

struct UnmergeRequest {
  std::string merge_id;
};

struct UnmergeResponse {
  std::string merge_id;
  std::string customer_ref;           // the customer the merge went into
  std::string restored_customer_ref;  // the merged ref, a customer again
  std::int64_t identities = 0;        // rows given back to restored_customer_ref
  std::int64_t intents = 0;
  std::int64_t variables = 0;
  std::int64_t calls = 0;
  Millis unmerged_at = 0;
};

}  // namespace callmem

#endif
