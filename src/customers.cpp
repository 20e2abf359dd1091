// A customer as operations on customer data see it (customers.hpp).
#include "customers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "callmem/error.hpp"
#include "calls/cursor.hpp"
#include "identity/identifiers.hpp"
#include "identity/resolver.hpp"
#include "json/codec.hpp"
#include "tenant.hpp"
#include "time.hpp"

namespace callmem::customers {
namespace {

// A row's text of one of the contract's enums (the stores keep the
// spelling); the library writes no other.
template <class E>
E stored(const std::string& text) {
  if (const std::optional<E> e = from_string<E>(text)) return *e;
  throw Error(Status::store, fmt::format("stored data does not read back: unknown value \"{}\"", text));
}

}  // namespace

std::optional<std::string> live_ref(const Context& c, const std::string& ref, Millis now) {
  if (c.tx.customer_get(ref, now)) return ref;
  if (auto target = c.tx.alias_target(ref, now))
    if (c.tx.customer_get(*target, now)) return *target;
  return std::nullopt;
}

std::string select(const Context& c, const CustomerSelector& who, Millis now, bool reach_expired) {
  Prefetch what{"", {}, {}};
  if (who.customer_ref) what.refs.push_back(*who.customer_ref);
  if (who.identity_hints)
    what.ids = identifiers_of(*who.identity_hints, c.defaults.default_region, nullptr).ids;
  c.tx.prefetch(what);
  if (who.customer_ref) {
    if (auto named = live_ref(c, *who.customer_ref, reach_expired ? 0 : now)) return *named;
    throw Error(Status::not_found, fmt::format("customer_ref {} not found", *who.customer_ref));
  }
  if (who.identity_hints) {
    const TenantSettings s = tenants::row_of(c).settings;
    const CallIdentifiers ids = identifiers_of(*who.identity_hints, s.default_region, nullptr);
    auto scored = identity::candidates(c, ids, *who.identity_hints, Telco{}, s, now);
    if (scored.empty() && reach_expired)
      scored = identity::candidates(c, ids, *who.identity_hints, Telco{}, s, now, Millis{0});
    if (!scored.empty()) return scored.front().facts.customer_ref;
    throw Error(Status::not_found, "no customer matches these identity_hints");
  }
  throw invalid_field({"customer_ref"}, "customer_ref or identity_hints is required");
}

CustomerView view(const Context& c, const std::string& ref, Millis now, std::int64_t history_limit,
                  const std::optional<CallCursor>& after) {
  CustomerView v;
  auto customer = c.tx.customer_get(ref, now);
  v.customer_ref = ref;
  if (customer) {
    v.created_at = customer->created_at;
    v.last_seen = customer->last_seen;
  }
  for (const LinkRow& l : c.tx.links_of(ref, now))
    v.identities.push_back(
        {stored<IdentityType>(l.id.type), l.id.key, l.id.value, l.line_type, l.first_seen, l.last_seen});
  for (const IntentRow& i : c.tx.intents_of(ref, now, false)) v.intents.push_back(to_intent(i));
  v.variables = to_variables(c.tx.variables_of(ref, now), now);
  const std::int64_t fetch =
      history_limit == std::numeric_limits<std::int64_t>::max() ? history_limit : history_limit + 1;
  std::vector<CallRow> page = c.tx.calls_of(ref, now, after, fetch);
  if (static_cast<std::int64_t>(page.size()) > history_limit) {
    page.resize(static_cast<std::size_t>(history_limit));
    v.next_cursor = calls::encode_cursor(page.back());
  }
  for (const CallRow& r : page)
    v.calls.push_back({r.call_id, r.started_at, r.ended_at, stored<Channel>(r.channel),
                       stored<Direction>(r.direction), json::read_string_map(r.call_data_json)});
  return v;
}

ForgetReceipt forget(const Context& c, const CustomerSelector& who, Millis now) {
  const std::string ref = select(c, who, now, true);
  return ForgetReceipt{ref, c.tx.customer_delete(ref)};
}

Millis kept_until(const std::vector<VariableRow>& vars) {
  Millis until = 0;
  for (const VariableRow& v : vars)
    if (v.own_ttl_seconds > 0) until = std::max(until, v.expires_at);
  return until;
}

void keep_alive(const Context& c, const std::string& ref, Millis at, Millis ttl) {
  c.tx.customer_keep(ref, kept_until(c.tx.variables_of(ref, at)), ttl, at);
}

void check_variable_count(const Context& c, const std::string& ref, Millis at) {
  const std::size_t n = c.tx.variables_of(ref, at).size();
  if (n > json::kMaxVariablesPerCustomer)
    throw Error(Status::conflict, fmt::format("customer {} would hold {} variables, more than {}", ref, n,
                                              json::kMaxVariablesPerCustomer));
}

Intent to_intent(const IntentRow& r) {
  return Intent{r.intent, stored<IntentStatus>(r.status), r.attempt_count, r.first_seen, r.last_seen};
}

std::map<std::string, Variable> to_variables(const std::vector<VariableRow>& rows, Millis now) {
  std::map<std::string, Variable> out;
  for (const auto& r : rows) {
    const Millis left = std::max<Millis>(0, r.expires_at - now);
    out.emplace(r.name, Variable{JsonText{r.value_json}, r.source, left / kSecond, r.updated_at});
  }
  return out;
}

}  // namespace callmem::customers
