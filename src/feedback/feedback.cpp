// Identity feedback on a call: confirmed (which may absorb a duplicate),
// rejected (the call gets a customer of its own) or corrected (the call goes
// to the right customer, merging the one it made); each outcome counted for
// the scorer to re-estimate its weights (feedback/feedback.hpp).
#include "feedback/feedback.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "callmem/error.hpp"
#include "calls/call_ids.hpp"
#include "customers.hpp"
#include "feedback/merge.hpp"
#include "identity/number_learning.hpp"
#include "json/codec.hpp"
#include "tenant.hpp"
#include "uuid.hpp"

namespace callmem::feedback {
namespace {

using calls::CallIds;

// What a feedback is counted under, and the probability the answer was
// given with. The class is the first `sources` token of the start's answer
// ("ani:mobile", "external_id", ...; "none" without one), or "ani:confirmed"
// when the answer counted a number the hosts had confirmed before (evidence
// confirmed_number with a weight): one answer informs one re-estimate, the
// most specific. Feedback on a `reuse` answer is counted apart, under
// "reuse:<class>": the host acted on it, so it reports it when it was wrong
// and seldom when it was right, and a sample selected by its outcome would
// bias the re-estimate (docs/identity.md, "Feedback re-estimates").
struct Answered {
  std::string signal = "none";
  double confidence = 0;
};
Answered answered(const CallRow& call) {
  Answered a;
  if (call.start_response.empty()) return a;
  const StartResponse r = json::read_start_response(call.start_response);
  if (!r.identity.sources.empty()) a.signal = r.identity.sources.front();
  a.confidence = r.identity.confidence;
  // Only where it counted: the answers it did not weigh on (a number
  // confirmed on one day) are the numbers where it failed before.
  for (const Evidence& e : r.identity.evidence)
    if (e.signal == "confirmed_number" && e.weight > 0) a.signal = "ani:confirmed";
  if (r.identity.recommendation == Recommendation::reuse) a.signal = "reuse:" + a.signal;
  return a;
}

// The call's number, if it has one that may be linked.
const Identifier* number_of(const CallIds& ids) {
  for (const Identifier& id : ids.ids)
    if (id.type == "ani") return &id;
  return nullptr;
}

// The customer row exists (a call's customer may have expired before a purge).
void ensure_customer(const Context& c, const std::string& ref, Millis created, Millis at, Millis expires) {
  if (!c.tx.customer_get(ref, 0)) c.tx.customer_insert(CustomerRow{ref, created, at, expires});
}

// Links the identifiers to ref (refreshing the links it has); how many were
// new. A number new to ref takes the call's carrier report; one it had keeps
// its type and reports (the call's start counted them).
std::int64_t link_to(const Context& c, const std::string& ref, const CallIds& ids, Millis at,
                     Millis expires) {
  std::set<Identifier> had;
  for (const LinkRow& l : c.tx.links_of(ref, at)) had.insert(l.id);
  std::int64_t added = 0;
  for (const Identifier& id : ids.ids) {
    const bool on_file = had.count(id) > 0;
    LinkRow row{id, ref, "", at, at, expires, "", 0, 0};
    if (id.type == "ani" && !on_file) {
      row.line_type = calls::link_line(ids.line_type, false, id.value);
      if (identity::reports_type(ids.line_type))
        row.line_reports = identity::write_reports({{ids.line_type, 1}});
    }
    c.tx.link_upsert(row);
    if (!on_file) ++added;
  }
  return added;
}

std::int64_t unlink_from(const Context& c, const std::string& ref, const CallIds& ids) {
  std::int64_t removed = 0;
  for (const Identifier& id : ids.ids) removed += c.tx.link_delete(id, ref) ? 1 : 0;
  return removed;
}

// What the call's end saved (intents it last wrote, variables it is the
// source of) moves with the call; on a name both have, the newer wins.
void move_call_data(const Context& c, const CallRow& call, const std::string& from, const std::string& to,
                    Millis at, FeedbackResponse& resp) {
  if (call.end_fingerprint == 0) return;
  for (const IntentRow& i : c.tx.intents_of(from, 0, false)) {
    if (i.last_call_id != call.call_id) continue;
    const auto there = c.tx.intent_get(to, i.intent);
    if (!there || there->last_seen < i.last_seen) c.tx.intent_put(to, i);
    c.tx.intent_delete(from, i.intent);
    ++resp.intents_moved;
  }
  std::map<std::string, VariableRow> there;
  for (VariableRow& v : c.tx.variables_of(to, 0)) there.emplace(v.name, std::move(v));
  for (const VariableRow& v : c.tx.variables_of(from, 0)) {
    if (v.source != call.call_id) continue;
    auto t = there.find(v.name);
    if (t == there.end() || t->second.updated_at < v.updated_at) c.tx.variable_put(to, v);
    c.tx.variable_delete(from, v.name, 0);
    ++resp.variables_moved;
  }
  customers::check_variable_count(c, to, at);
}

}  // namespace

Answer record(const Context& c, const FeedbackRequest& req, Millis at, std::uint64_t fp,
              FeedbackResponse* out) {
  c.tx.prefetch_call(req.call_id);
  std::optional<CallRow> call = c.tx.call_get(req.call_id);
  if (!call) throw Error(Status::not_found, fmt::format("call {} not found", req.call_id));
  if (call->feedback_fingerprint != 0) {
    if (call->feedback_fingerprint == fp) return {call->feedback_response, true};
    throw Error(Status::conflict, fmt::format("call {} already has {} feedback; a different feedback is a "
                                              "conflict",
                                              req.call_id, call->feedback_outcome));
  }
  if (at < call->started_at) throw invalid_field({"at"}, "feedback cannot come before the call started");
  // What the feedback contends on: the call's identifiers, its customer and
  // the one named. The call is read again once they are held: a merge may
  // have moved it, or a forget removed it, meanwhile.
  const CallIds ids = calls::decode_ids(call->identifiers_json);
  Prefetch what{req.call_id, ids.ids, {call->customer_ref}};
  if (req.customer_ref) what.refs.push_back(*req.customer_ref);
  c.tx.prefetch(what);
  call = c.tx.call_get(req.call_id);
  if (!call) throw Error(Status::not_found, fmt::format("call {} not found", req.call_id));
  const TenantSettings s = tenants::row_of(c).settings;
  const Millis expires = at + tenants::ttl_of(s);
  const std::string y = call->customer_ref;

  FeedbackResponse resp;
  resp.call_id = req.call_id;
  resp.outcome = req.outcome;
  resp.previous_customer_ref = y;
  resp.customer_ref = y;
  resp.at = at;
  std::optional<MergeLog> log;
  std::string x = y;
  if (req.outcome == FeedbackOutcome::corrected) {
    auto named = customers::live_ref(c, *req.customer_ref, at);
    if (!named) throw Error(Status::not_found, fmt::format("customer_ref {} not found", *req.customer_ref));
    x = *named;
  }
  std::string counted;  // the outcome recorded for re-estimation
  if (x == y && req.outcome != FeedbackOutcome::rejected) {
    // confirmed, or corrected to the call's own customer: a confirmation.
    ensure_customer(c, y, call->started_at, at, expires);
    std::vector<LinkRow> before;  // the call's number's links, before they are refreshed
    for (const Identifier& id : ids.ids)
      if (id.type == "ani" && s.identity_merge_duplicates) before = c.tx.links_find({id}, at);
    resp.links_added = link_to(c, y, ids, at, expires);
    c.tx.customer_touch(y, at, expires);
    counted = "confirmed";
    if (!before.empty()) log = absorb_duplicate(c, *call, y, ids, before, at, expires, resp);
    if (const Identifier* number = number_of(ids))
      identity::count_confirmation(c, *number, y, call->started_at, at, tenants::ttl_of(s), log.has_value());
  } else if (req.outcome == FeedbackOutcome::rejected) {
    if (call->created_customer)
      throw Error(Status::conflict,
                  fmt::format("call {} created customer {}: there is no match to reject", req.call_id, y));
    const std::string z = uuid_v4();
    c.tx.customer_insert(CustomerRow{z, call->started_at, at, expires});
    resp.links_removed = unlink_from(c, y, ids);
    resp.links_added = link_to(c, z, ids, at, expires);
    move_call_data(c, *call, y, z, at, resp);
    c.tx.call_move(req.call_id, z, true);
    resp.customer_ref = z;
    resp.customer_created = true;
    counted = "rejected";
  } else if (call->created_customer && c.tx.customer_get(y, 0)) {
    log = merge(c, *call, y, x, at, expires, resp);
    resp.customer_ref = x;
  } else {
    // A wrong match: the call, its identifiers and what its end saved go to x.
    counted = "rejected";
    resp.links_removed = unlink_from(c, y, ids);
    resp.links_added = link_to(c, x, ids, at, expires);
    move_call_data(c, *call, y, x, at, resp);
    c.tx.call_move(req.call_id, x, false);
    c.tx.customer_touch(x, at, expires);
    resp.customer_ref = x;
  }
  // An answer on the number was wrong (another person called from it): what
  // the hosts confirmed on it before is no evidence any more. A call that
  // made its own customer, corrected into another, was a missed match of
  // the caller, not someone else on the number.
  if (counted == "rejected")
    if (const Identifier* number = number_of(ids)) identity::forget_confirmations(c, *number, at, true);
  customers::keep_alive(c, resp.customer_ref, at, tenants::ttl_of(s));
  if (y != resp.customer_ref) customers::keep_alive(c, y, at, tenants::ttl_of(s));
  // An answer that named an existing customer was right or wrong; a call
  // that made its own customer was no match to judge.
  if (!counted.empty() && !call->created_customer) {
    const Answered a = answered(*call);
    c.tx.feedback_stat_add(a.signal, counted, a.confidence);
  }

  std::string text = json::write(resp);
  if (log) {
    log->response = text;
    c.tx.merge_insert(*log);
  }
  CallRow done = *call;
  done.feedback_fingerprint = fp;
  done.feedback_outcome = to_string(req.outcome);
  done.feedback_response = text;
  c.tx.call_feedback(done);
  if (out) *out = std::move(resp);
  return {std::move(text), false};
}

}  // namespace callmem::feedback
