// The columns both stores read and write, and the mapping of each table's
// columns to its row type, written once: a column list names the columns in
// the order fields() lists the row's fields, which read_fields() reads and
// bind_fields() binds. The SQL around the lists stays in each store (the
// dialects differ where it matters).
//
// Row types keep the columns' text (a call's channel, an intent's status):
// what the core compares of them is few and stored as the contract spells
// it. The one enum of a row, the usage report's operation (UsageRow is the
// public type), is read from its text here.
//
// A cursor is a Cursor over the store's result row, which has col_text(c),
// col_answer(c), col_i64(c), col_real(c) and col_bool(c); a binder is the
// store's parameters, which have text(v), answer(v), i64(v), u64(v), real(v)
// and boolean(v), each binding the next parameter. SQLite binds text without
// a copy: what is bound must outlive the statement's run.
//
// A call's stored answers (the bytes it replays) are text to the core; a
// store may keep them otherwise (SQLite packs them: store/sqlite/answers.hpp),
// so they are bound with answer() and read with col_answer().
#ifndef CALLMEM_STORE_COLUMNS_HPP
#define CALLMEM_STORE_COLUMNS_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "callmem/error.hpp"
#include "store/merge_rows.hpp"
#include "store/store.hpp"

// tenants, after the key `tenant`: fields(TenantRow), identity_weights,
// then the last two (read_tenant, bind_tenant).
#define CALLMEM_TENANT_COLUMNS                                                             \
  "ttl_days, default_region, level_very_high, level_high, level_medium, reuse, "           \
  "confirm, billing_enabled, price_start_new, price_start_returning, price_end, balance, " \
  "identity_profile, identity_weights, identity_merge_duplicates, rate_limit_per_minute"

// customers, after `customer_ref`.
#define CALLMEM_CUSTOMER_COLUMNS "created_at, last_seen, expires_at"

// identities: the identifier, and what is known of its link to a customer.
#define CALLMEM_IDENTIFIER_COLUMNS "type, key, value"
#define CALLMEM_LINK_COLUMNS \
  "line_type, first_seen, last_seen, expires_at, line_reports, confirmed_days, confirmed_on"

// calls, after `tenant`.
#define CALLMEM_CALL_COLUMNS                                                                         \
  "call_id, customer_ref, started_at, ended_at, channel, direction, call_data, "                     \
  "start_fingerprint, start_response, end_fingerprint, end_response, created_customer, expires_at, " \
  "identifiers, feedback_fingerprint, feedback_outcome, feedback_response"

// intents, after `intent` (read_intent reads both).
#define CALLMEM_INTENT_COLUMNS "status, attempt_count, first_seen, last_seen, last_call_id, expires_at"

#define CALLMEM_VARIABLE_COLUMNS "name, value, source, updated_at, own_ttl_seconds, expires_at"
#define CALLMEM_ALIAS_COLUMNS "alias_ref, target_ref, created_at, expires_at"

// merges, after `merge_id`.
#define CALLMEM_MERGE_COLUMNS                                                                        \
  "alias_ref, target_ref, call_id, alias_created_at, alias_last_seen, alias_expires_at, merged_at, " \
  "unmerged_at, expires_at, response, unmerge_response"

// merge_rows, after `seq`.
#define CALLMEM_MERGE_ROW_COLUMNS "kind, role, k1, k2, k3, t1, t2, i1, i2, i3, i4"

#define CALLMEM_API_KEY_COLUMNS "tenant, key_id, name, key_hash, created_at, revoked_at"
#define CALLMEM_FEEDBACK_STAT_COLUMNS "signal, confirmed, rejected, predicted"
#define CALLMEM_USAGE_COLUMNS "day, operation, count, credits"

// An operator's count of one tenant: the tenant, whether it has settings,
// then live customers, identity links, calls, open intents and API keys.
#define CALLMEM_TENANT_COUNT_COLUMNS "tenant, configured, customers, identifiers, calls, open_intents, keys"

namespace callmem {

// A call's stored answer among a row's fields (see above).
template <typename S>
struct AnswerField {
  S& text;
};
template <typename S>
AnswerField<S> answer_field(S& text) {
  return {text};
}

// A row's fields in the order of its table's column list above (a tuple of
// references; const ones for a const row).
template <typename R>
auto fields(R& r) {
  using T = std::remove_const_t<R>;
  if constexpr (std::is_same_v<T, TenantRow>)  // before identity_weights
    return std::tie(r.settings.ttl_days, r.settings.default_region, r.settings.level_very_high,
                    r.settings.level_high, r.settings.level_medium, r.settings.reuse, r.settings.confirm,
                    r.settings.billing_enabled, r.settings.prices.start_new,
                    r.settings.prices.start_returning, r.settings.prices.end, r.balance,
                    r.settings.identity_profile);
  else if constexpr (std::is_same_v<T, CustomerRow>)
    return std::tie(r.created_at, r.last_seen, r.expires_at);
  else if constexpr (std::is_same_v<T, Identifier>)
    return std::tie(r.type, r.key, r.value);
  else if constexpr (std::is_same_v<T, LinkRow>)
    return std::tie(r.line_type, r.first_seen, r.last_seen, r.expires_at, r.line_reports, r.confirmed_days,
                    r.confirmed_on);
  else if constexpr (std::is_same_v<T, CallRow>)
    return std::tuple_cat(std::tie(r.call_id, r.customer_ref, r.started_at, r.ended_at, r.channel,
                                   r.direction, r.call_data_json, r.start_fingerprint),
                          std::make_tuple(answer_field(r.start_response)), std::tie(r.end_fingerprint),
                          std::make_tuple(answer_field(r.end_response)),
                          std::tie(r.created_customer, r.expires_at, r.identifiers_json,
                                   r.feedback_fingerprint, r.feedback_outcome),
                          std::make_tuple(answer_field(r.feedback_response)));
  else if constexpr (std::is_same_v<T, IntentRow>)
    return std::tie(r.status, r.attempt_count, r.first_seen, r.last_seen, r.last_call_id, r.expires_at);
  else if constexpr (std::is_same_v<T, VariableRow>)
    return std::tie(r.name, r.value_json, r.source, r.updated_at, r.own_ttl_seconds, r.expires_at);
  else if constexpr (std::is_same_v<T, AliasRow>)
    return std::tie(r.alias_ref, r.target_ref, r.created_at, r.expires_at);
  else if constexpr (std::is_same_v<T, MergeLog>)
    return std::tie(r.alias_ref, r.target_ref, r.call_id, r.alias_customer.created_at,
                    r.alias_customer.last_seen, r.alias_customer.expires_at, r.merged_at, r.unmerged_at,
                    r.expires_at, r.response, r.unmerge_response);
  else if constexpr (std::is_same_v<T, MergeRow>)
    return std::tie(r.kind, r.role, r.k1, r.k2, r.k3, r.t1, r.t2, r.i1, r.i2, r.i3, r.i4);
  else if constexpr (std::is_same_v<T, ApiKeyRow>)
    return std::tie(r.tenant, r.key_id, r.name, r.key_hash, r.created_at, r.revoked_at);
  else if constexpr (std::is_same_v<T, FeedbackStat>)
    return std::tie(r.signal, r.confirmed, r.rejected, r.predicted);
  else if constexpr (std::is_same_v<T, UsageRow>)
    return std::tie(r.day, r.operation, r.count, r.credits);
  else if constexpr (std::is_same_v<T, CallOutcome>)
    return std::tie(r.started_at, r.ended_at, r.recommendation, r.confidence, r.feedback, r.merged);
  else if constexpr (std::is_same_v<T, MergeCounts>)
    return std::tie(r.merged, r.unmerged);
  else if constexpr (std::is_same_v<T, TenantCounts>)
    return std::tie(r.tenant, r.configured, r.customers, r.identifiers, r.calls, r.open_intents, r.keys);
}

// A result row's columns, read in order.
template <typename Row>
class Cursor {
 public:
  explicit Cursor(const Row& row) : row_(row) {}
  std::string text() { return row_.col_text(c_++); }
  std::int64_t i64() { return row_.col_i64(c_++); }
  double real() { return row_.col_real(c_++); }
  bool boolean() { return row_.col_bool(c_++); }

  void get(std::string& v) { v = text(); }
  void get(AnswerField<std::string> v) { v.text = row_.col_answer(c_++); }
  void get(std::int64_t& v) { v = i64(); }
  void get(std::uint64_t& v) { v = static_cast<std::uint64_t>(i64()); }
  void get(double& v) { v = real(); }
  void get(bool& v) { v = boolean(); }
  template <class E, class = std::enable_if_t<is_spelled_enum<E>>>
  void get(E& v) {
    const std::string s = text();
    const std::optional<E> e = from_string<E>(s);
    if (!e) throw Error(Status::store, "stored data does not read back: unknown value \"" + s + "\"");
    v = *e;
  }

 private:
  const Row& row_;
  int c_ = 0;
};

// Binds one value by its type.
template <typename B>
void put(B& b, const std::string& v) {
  b.text(v);
}
template <typename B>
void put(B& b, std::int64_t v) {
  b.i64(v);
}
template <typename B>
void put(B& b, std::uint64_t v) {
  b.u64(v);
}
template <typename B>
void put(B& b, double v) {
  b.real(v);
}
template <typename B>
void put(B& b, bool v) {
  b.boolean(v);
}
template <typename B, typename S>
void put(B& b, AnswerField<S> v) {
  b.answer(v.text);
}
template <typename B>
void put(B& b, const char* v) = delete;  // would be taken for a bool

// Binds the values in order.
template <typename B, typename... V>
void put_all(B& b, const V&... v) {
  (put(b, v), ...);
}

template <typename C, typename Fields>
void read_fields(C&& c, Fields fields) {
  std::apply([&](auto&... f) { (c.get(f), ...); }, fields);
}

template <typename B, typename Fields>
void bind_fields(B& b, Fields fields) {
  std::apply([&](const auto&... f) { put_all(b, f...); }, fields);
}

// A row whose columns are its fields alone.
template <typename Row, typename C>
Row read_row(C&& c) {
  Row r;
  read_fields(c, fields(r));
  return r;
}

// A row whose key is given rather than read: the key, then its fields.
template <typename Row, typename C>
Row read_row(C&& c, std::string Row::*key, const std::string& value) {
  Row r;
  r.*key = value;
  read_fields(c, fields(r));
  return r;
}

// read_row as a function object.
template <typename Row>
struct RowReader {
  template <typename C>
  Row operator()(C&& c) const {
    return read_row<Row>(c);
  }
};

// `keys`, then the row's fields.
template <typename B, typename Row, typename... Keys>
void bind_row(B& b, const Row& r, const Keys&... keys) {
  put_all(b, keys...);
  bind_fields(b, fields(r));
}

// A tenant's identity weights as parsed from their stored text
// (json::read_identity_weights), the last text kept: a store reads a tenant's
// row on every start and does not parse the same text again. One per
// connection, so that no two threads share one.
class WeightsMemo {
 public:
  // Throws callmem::Error(Status::store) when the text is not weights;
  // the memo is then as it was.
  const IdentityWeights& of(std::string_view text);

 private:
  std::string text_ = "{}";
  IdentityWeights weights_;
};

template <typename C>
TenantRow read_tenant(C&& c, WeightsMemo& memo) {
  TenantRow row;
  read_fields(c, fields(row));
  row.settings.identity_weights = memo.of(c.text());
  read_fields(c, std::tie(row.settings.identity_merge_duplicates, row.settings.rate_limit_per_minute));
  return row;
}

// `weights`: json::write_identity_weights of the row's weights.
template <typename B>
void bind_tenant(B& b, const std::string& tenant, const TenantRow& row, const std::string& weights) {
  bind_row(b, row, tenant);
  put_all(b, weights, row.settings.identity_merge_duplicates, row.settings.rate_limit_per_minute);
}

// The identifier, customer_ref, then the link's fields.
template <typename B>
void bind_link(B& b, const std::string& tenant, const LinkRow& row) {
  bind_fields(b, std::tuple_cat(std::tie(tenant), fields(row.id), std::tie(row.customer_ref), fields(row)));
}

// `intent`, then its fields.
template <typename C>
IntentRow read_intent(C&& c) {
  IntentRow row;
  row.intent = c.text();
  read_fields(c, fields(row));
  return row;
}

// What call_end records, after the tenant and the call_id.
template <typename B>
void bind_call_end(B& b, const std::string& tenant, const CallRow& r) {
  put_all(b, tenant, r.call_id, r.ended_at, r.end_fingerprint, answer_field(r.end_response), r.call_data_json,
          r.identifiers_json);
}

// What call_feedback records, after the tenant and the call_id.
template <typename B>
void bind_call_feedback(B& b, const std::string& tenant, const CallRow& r) {
  put_all(b, tenant, r.call_id, r.feedback_fingerprint, r.feedback_outcome,
          answer_field(r.feedback_response));
}

}  // namespace callmem

#endif
