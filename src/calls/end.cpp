// A call's end: intents and variables saved for the call's customer, the
// end's external ids linked when the customer is certain, metered, and the
// end recorded on the call (calls/calls.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
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
#include "time.hpp"

namespace callmem::calls {

void check_end(const EndRequest& req) {
  for (const auto& [name, ttl] : req.variable_ttl_seconds) {
    auto v = req.variables.find(name);
    if (v == req.variables.end() || !v->second)
      throw invalid_field({"variable_ttl_seconds", name}, "names no variable this request sets");
  }
}

Answer end(const Context& c, const EndRequest& req, std::uint64_t fp, EndResponse* out,
           std::optional<CallRow>* stored) {
  Prefetch what{req.call_id, {}, {}};
  if (req.identity_hints)
    what.ids = identifiers_of(*req.identity_hints, c.defaults.default_region, nullptr).ids;
  if (req.customer_ref) what.refs.push_back(*req.customer_ref);
  c.tx.prefetch(what);
  const Millis at = req.at ? *req.at : c.now();  // holding the write lock, as in start
  std::optional<CallRow> call = stored ? std::move(*stored) : c.tx.call_get(req.call_id);
  if (call && call->end_fingerprint != 0) {
    if (call->end_fingerprint == fp) return {call->end_response, true};
    throw Error(Status::conflict, fmt::format("call {} already ended with a different request", req.call_id));
  }
  TenantRow row = tenants::row_of(c);
  const TenantSettings& s = row.settings;
  const Millis ttl = tenants::ttl_of(s);
  std::map<std::string, std::string> call_data;
  std::string ref;
  Millis started = at;
  CallIds call_ids;
  // Whether the call is known to be this customer's: the host named it, it
  // was reused or created, or the caller confirmed it. Only then do the
  // end's external ids become the customer's identities.
  bool certain = req.customer_ref.has_value();
  if (call) {
    // A ref merged into the call's customer names it too.
    if (req.customer_ref && *req.customer_ref != call->customer_ref &&
        c.tx.alias_target(*req.customer_ref, 0) != call->customer_ref)
      throw Error(Status::conflict, fmt::format("call {} belongs to customer_ref {}, not {}", req.call_id,
                                                call->customer_ref, *req.customer_ref));
    ref = call->customer_ref;
    started = call->started_at;
    call_data = json::read_string_map(call->call_data_json);
    call_ids = decode_ids(call->identifiers_json);
    if (!c.tx.customer_get(ref, 0)) c.tx.customer_insert(CustomerRow{ref, started, at, at + ttl});
  } else if (req.identity_hints) {
    const CallIdentifiers ids = identifiers_of(*req.identity_hints, s.default_region, &call_data);
    const identity::Resolution r = identity::resolve(c, *req.identity_hints, ids, req.telco, s, at);
    ref = r.customer_ref;
    certain = r.created || r.identity.recommendation == Recommendation::reuse;
    call_ids = CallIds{linkable(ids, req.telco), std::string(line_text(req.telco))};
  } else if (req.customer_ref) {
    auto named = customers::live_ref(c, *req.customer_ref, at);
    if (!named) throw Error(Status::not_found, fmt::format("customer_ref {} not found", *req.customer_ref));
    ref = *named;
  } else {
    throw Error(Status::not_found,
                fmt::format("call {} not found: no start was made for it; a standalone end needs "
                            "identity_hints or customer_ref",
                            req.call_id));
  }
  if (at < started) throw invalid_field({"at"}, "the call cannot end before it started");

  EndResponse resp;
  resp.call_id = req.call_id;
  resp.customer_ref = ref;
  resp.call_start = started;
  resp.call_end = at;
  resp.duration_seconds = (at - started) / kSecond;

  for (const IntentUpdate& u : req.intents) {
    std::optional<IntentRow> old = c.tx.intent_get(ref, u.intent);
    const bool live = old && old->expires_at > at;
    IntentRow next;
    next.intent = u.intent;
    next.status = to_string(u.status);
    next.last_seen = at;
    next.last_call_id = req.call_id;
    next.expires_at = at + ttl;
    if (live && old->status != "resolved") {
      // Still open: this call is one more attempt at it (or its resolution).
      next.first_seen = old->first_seen;
      next.attempt_count = old->attempt_count + (u.status == IntentStatus::resolved ? 0 : 1);
    } else {
      next.first_seen = at;
      next.attempt_count = 1;
    }
    c.tx.intent_put(ref, next);
    ++resp.intents_updated;
  }

  // The customer's live variables when this end may change what keeps the
  // customer (a variable with its own ttl) or link it more identifiers.
  std::vector<VariableRow> vars;
  if (!req.variables.empty() || !req.external_ids.empty() || !call) vars = c.tx.variables_of(ref, at);
  const Millis kept_before = customers::kept_until(vars);
  if (!req.variables.empty()) {
    std::set<std::string> names;
    for (const VariableRow& v : vars) names.insert(v.name);
    for (const auto& [name, value] : req.variables) {
      vars.erase(std::remove_if(vars.begin(), vars.end(),
                                [&name = name](const VariableRow& v) { return v.name == name; }),
                 vars.end());
      if (!value) {
        if (c.tx.variable_delete(ref, name, at)) ++resp.variables_updated;
        names.erase(name);
        continue;
      }
      auto own = req.variable_ttl_seconds.find(name);
      const std::int64_t own_ttl = own == req.variable_ttl_seconds.end() ? 0 : own->second;
      vars.push_back(
          VariableRow{name, value->text, req.call_id, at, own_ttl, at + (own_ttl ? own_ttl * kSecond : ttl)});
      c.tx.variable_put(ref, vars.back());
      names.insert(name);
      ++resp.variables_updated;
    }
    if (names.size() > json::kMaxVariablesPerCustomer)
      throw invalid_field({"variables"}, fmt::format("a customer holds at most {} variables; this "
                                                     "request would leave {}",
                                                     json::kMaxVariablesPerCustomer, names.size()));
  }

  const std::vector<Identifier> end_ids = external_identifiers(req.external_ids, &call_data);
  if (!end_ids.empty() && call && !certain) {
    certain =
        call->created_customer || call->feedback_outcome == "confirmed" ||
        call->feedback_outcome == "corrected" ||
        json::read_start_response(call->start_response).identity.recommendation == Recommendation::reuse;
  }
  // Kept on the call either way: a later "confirmed" feedback links them.
  if (certain)
    for (const Identifier& id : end_ids) c.tx.link_upsert(LinkRow{id, ref, "", at, at, at + ttl, "", 0, 0});
  add_ids(call_ids, end_ids);
  c.tx.customer_touch(ref, at, at + ttl);
  // A variable kept longer than the tenant's ttl keeps its customer, and
  // every link that leads to it (this end's too), as long; once it is gone
  // (deleted, or saved again without its own ttl) they follow the ttl.
  if (const Millis until = customers::kept_until(vars); std::max(until, kept_before) > at + ttl)
    c.tx.customer_keep(ref, until, ttl, at);
  billing::meter(c, row, UsageOperation::end, at);

  std::string text = json::write(resp);
  CallRow done = call.value_or(CallRow{});
  done.call_id = req.call_id;
  done.customer_ref = ref;
  done.ended_at = at;
  done.call_data_json = json::write_string_map(call_data);
  done.end_fingerprint = fp;
  done.end_response = text;
  done.identifiers_json = encode_ids(call_ids);
  if (call) {
    c.tx.call_end(done);
  } else {
    done.started_at = at;
    done.channel = to_string(Channel::voice);
    done.direction = to_string(Direction::inbound);
    done.expires_at = at + ttl;
    c.tx.call_insert(done);
  }
  if (out) *out = resp;
  return {std::move(text), false};
}

}  // namespace callmem::calls
