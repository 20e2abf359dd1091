// A call's start: who the caller is, what is known of them, metered, and the
// call stored with its answer (calls/calls.hpp).
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "billing/billing.hpp"
#include "callmem/error.hpp"
#include "calls/call_ids.hpp"
#include "calls/calls.hpp"
#include "customers.hpp"
#include "identity/identifiers.hpp"
#include "identity/resolver.hpp"
#include "identity/trust.hpp"
#include "json/codec.hpp"
#include "tenant.hpp"

namespace callmem::calls {

Answer start(const Context& c, const StartRequest& req, std::uint64_t fp, StartResponse* out,
             const std::optional<CallRow>* stored, CallRow* written) {
  // What the start will read, in one batch where the store can: the
  // identifiers as the default region reads them (a tenant with another
  // region and a national number reads its links again).
  const std::string& guess = c.defaults.default_region;
  std::map<std::string, std::string> call_data;
  CallIdentifiers ids = identifiers_of(req.identity_hints, guess, &call_data);
  Prefetch what{req.call_id, ids.ids, {}};
  if (req.identity_hints.customer_ref) what.refs.push_back(*req.identity_hints.customer_ref);
  c.tx.prefetch(what);
  // "Now" is read holding the write lock, so that writers' times follow
  // their order: a racing writer's new customer is never in our future.
  const Millis at = req.at ? *req.at : c.now();
  std::optional<CallRow> read;
  if (const std::optional<CallRow>& call = stored ? *stored : (read = c.tx.call_get(req.call_id))) {
    if (call->start_fingerprint == fp) return {call->start_response, true};
    throw Error(Status::conflict,
                fmt::format("call_id {} was already used with a different request", req.call_id));
  }
  TenantRow row = tenants::row_of(c);
  const TenantSettings& s = row.settings;
  if (s.default_region != guess) {
    call_data.clear();
    ids = identifiers_of(req.identity_hints, s.default_region, &call_data);
  }
  identity::Resolution r = identity::resolve(c, req.identity_hints, ids, req.telco, s, at);
  billing::meter(c, row, r.created ? UsageOperation::start_new : UsageOperation::start_returning, at);

  StartResponse resp;
  resp.call_id = req.call_id;
  resp.customer_ref = r.customer_ref;
  resp.call_start = at;
  resp.identity = std::move(r.identity);
  // A low-confidence match never discloses another customer's data.
  if (!r.created && resp.identity.recommendation != Recommendation::ignore) {
    // Read while scoring the customer (identity::Resolution), at `at`.
    for (const IntentRow& i : r.open_intents) resp.open_intents.push_back(customers::to_intent(i));
    const std::vector<VariableRow> vars = c.tx.variables_of(r.customer_ref, at);
    resp.variables = customers::to_variables(vars, at);
    // What a reused match linked lives as long as the customer does.
    const Millis until = customers::kept_until(vars);
    if (resp.identity.recommendation == Recommendation::reuse && until > at + tenants::ttl_of(s))
      c.tx.customer_keep(r.customer_ref, until, tenants::ttl_of(s), at);
  }
  std::string text = json::write(resp);

  CallRow call;
  call.call_id = req.call_id;
  call.customer_ref = r.customer_ref;
  call.started_at = at;
  call.channel = to_string(req.channel);
  call.direction = to_string(req.direction);
  call.call_data_json = json::write_string_map(call_data);
  call.start_fingerprint = fp;
  call.start_response = text;
  call.created_customer = r.created;
  call.expires_at = at + tenants::ttl_of(s);
  call.identifiers_json = encode_ids(CallIds{linkable(ids, req.telco), std::string(line_text(req.telco))});
  c.tx.call_insert(call);
  if (written) *written = std::move(call);
  if (out) *out = std::move(resp);
  return {std::move(text), false};
}

}  // namespace callmem::calls
