// Merges of two customers into one (a correction's, or a duplicate a
// confirmation finds), each logged so that unmerge can undo it
// (feedback/merge.hpp).
#include "feedback/merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "callmem/error.hpp"
#include "customers.hpp"
#include "identity/phone.hpp"
#include "identity/trust.hpp"
#include "json/codec.hpp"
#include "tenant.hpp"
#include "uuid.hpp"

namespace callmem::feedback {

void check_unmerge(const UnmergeRequest& req) {
  if (req.merge_id.empty() || req.merge_id.size() > json::kMaxMergeId)
    throw invalid_field({"merge_id"}, "merge_id must be 1-64 characters");
}

MergeLog merge(const Context& c, const CallRow& call, const std::string& y, const std::string& x, Millis at,
               Millis expires, FeedbackResponse& resp) {
  MergeLog log;
  log.merge_id = uuid_v4();
  log.alias_ref = y;
  log.target_ref = x;
  log.call_id = call.call_id;
  log.alias_customer = *c.tx.customer_get(y, 0);
  log.merged_at = at;
  log.expires_at = expires;
  MergeSummary m;
  m.merge_id = log.merge_id;
  m.alias = y;
  m.alias_of = x;

  std::map<Identifier, LinkRow> x_links;
  for (LinkRow& l : c.tx.links_of(x, 0)) x_links.emplace(l.id, std::move(l));
  for (const LinkRow& l : c.tx.links_of(y, 0)) {
    LinkRow moved = l;
    moved.customer_ref = x;
    auto had = x_links.find(l.id);
    if (had != x_links.end()) {
      const LinkRow& o = had->second;
      log.alias_links.push_back(l);
      log.target_links.push_back(o);
      ++m.conflicts;
      moved.first_seen = std::min(o.first_seen, l.first_seen);
      moved.last_seen = std::max(o.last_seen, l.last_seen);
      moved.expires_at = std::max(o.expires_at, l.expires_at);
      if (o.last_seen >= l.last_seen && !o.line_type.empty()) moved.line_type = o.line_type;
      c.tx.link_delete(l.id, x);
    } else {
      log.moved_links.push_back(l.id);
      ++resp.links_added;
    }
    c.tx.link_upsert(moved);
    c.tx.link_delete(l.id, y);
    ++resp.links_removed;
    ++m.identities;
  }

  for (const IntentRow& i : c.tx.intents_of(y, 0, false)) {
    if (const auto o = c.tx.intent_get(x, i.intent)) {
      log.alias_intents.push_back(i);
      ++m.conflicts;
      if (i.last_seen > o->last_seen) {
        log.target_intents.push_back(*o);
        c.tx.intent_put(x, i);
      }
    } else {
      log.moved_intents.push_back(i.intent);
      c.tx.intent_put(x, i);
    }
    c.tx.intent_delete(y, i.intent);
    ++m.intents;
  }

  std::map<std::string, VariableRow> x_vars;
  for (VariableRow& v : c.tx.variables_of(x, 0)) x_vars.emplace(v.name, std::move(v));
  for (const VariableRow& v : c.tx.variables_of(y, 0)) {
    auto o = x_vars.find(v.name);
    if (o != x_vars.end()) {
      log.alias_variables.push_back(v);
      ++m.conflicts;
      if (v.updated_at > o->second.updated_at) {
        log.target_variables.push_back(o->second);
        c.tx.variable_put(x, v);
      }
    } else {
      log.moved_variables.push_back(v.name);
      c.tx.variable_put(x, v);
    }
    c.tx.variable_delete(y, v.name, 0);
    ++m.variables;
  }
  customers::check_variable_count(c, x, at);

  // No call of x created x: the moved calls lose the flag (the log keeps it).
  for (const CallRow& moved : c.tx.calls_of(y, 0, std::nullopt, std::numeric_limits<std::int64_t>::max())) {
    log.moved_calls.emplace_back(moved.call_id, moved.created_customer);
    c.tx.call_move(moved.call_id, x, false);
    ++m.calls;
  }
  log.moved_aliases = c.tx.aliases_retarget(y, x);
  c.tx.alias_put(AliasRow{y, x, at, expires});
  c.tx.customer_remove(y);
  c.tx.customer_touch(x, log.alias_customer.last_seen, log.alias_customer.expires_at);
  resp.merge = std::move(m);
  return log;
}

std::optional<MergeLog> absorb_duplicate(const Context& c, const CallRow& call, const std::string& x,
                                         const calls::CallIds& ids, const std::vector<LinkRow>& before,
                                         Millis at, Millis expires, FeedbackResponse& resp) {
  const auto ani =
      std::find_if(ids.ids.begin(), ids.ids.end(), [](const Identifier& id) { return id.type == "ani"; });
  if (ani == ids.ids.end()) return std::nullopt;
  const LinkRow* mine = nullptr;
  const LinkRow* other = nullptr;
  for (const LinkRow& l : before) {
    if (l.customer_ref == x) {
      mine = &l;
    } else if (other) {
      return std::nullopt;  // three or more customers on the number
    } else {
      other = &l;
    }
  }
  const auto aged = [&](const LinkRow* l) { return l && number_aged(at, l->last_seen); };
  if (!other || aged(other) || aged(mine)) return std::nullopt;
  std::string line = ids.line_type != "unknown" ? ids.line_type : std::string();
  if (line.empty() && mine) line = mine->line_type;
  if (line.empty()) line = !other->line_type.empty() ? other->line_type : number_type(ani->value);
  if (!is_personal_type(line)) return std::nullopt;
  // An identity key on both with no value in common tells them apart.
  std::map<std::string, std::set<std::string>> keys;
  for (const LinkRow& l : c.tx.links_of(x, at))
    if (l.id.type == "external_id") keys[l.id.key].insert(l.id.value);
  std::map<std::string, bool> agree;
  for (const LinkRow& l : c.tx.links_of(other->customer_ref, at)) {
    if (l.id.type != "external_id" || !keys.count(l.id.key)) continue;
    agree[l.id.key] = agree[l.id.key] || keys[l.id.key].count(l.id.value) > 0;
  }
  for (const auto& [key, same] : agree)
    if (!same) return std::nullopt;
  if (!c.tx.customer_get(other->customer_ref, 0)) return std::nullopt;
  // A merge that would hold too many variables is left undone: the
  // confirmation itself stands (a correction's merge is refused instead).
  std::set<std::string> names;
  for (const std::string& ref : {x, other->customer_ref})
    for (const VariableRow& v : c.tx.variables_of(ref, 0)) names.insert(v.name);
  if (names.size() > json::kMaxVariablesPerCustomer) return std::nullopt;
  return merge(c, call, other->customer_ref, x, at, expires, resp);
}

Answer unmerge(const Context& c, const UnmergeRequest& req, Millis at, UnmergeResponse* out) {
  std::optional<MergeLog> log = c.tx.merge_get(req.merge_id);
  if (!log) throw Error(Status::not_found, fmt::format("merge_id {} not found", req.merge_id));
  if (log->unmerged_at != 0) return {log->unmerge_response, true};
  const std::string& x = log->target_ref;
  const std::string& y = log->alias_ref;
  if (!c.tx.customer_get(x, 0))
    throw Error(
        Status::conflict,
        fmt::format("customer {} that {} was merged into is no longer a customer (merged again?); undo "
                    "that first",
                    x, y));
  c.tx.customer_insert(log->alias_customer);
  UnmergeResponse r;
  r.merge_id = log->merge_id;
  r.customer_ref = x;
  r.restored_customer_ref = y;
  r.unmerged_at = at;

  std::map<Identifier, LinkRow> x_links;
  for (LinkRow& l : c.tx.links_of(x, 0)) x_links.emplace(l.id, std::move(l));
  for (const Identifier& id : log->moved_links) {
    auto cur = x_links.find(id);
    if (cur == x_links.end()) continue;
    LinkRow back = cur->second;
    back.customer_ref = y;
    c.tx.link_delete(id, x);
    c.tx.link_delete(id, y);
    c.tx.link_upsert(back);
    ++r.identities;
  }
  for (const LinkRow& l : log->alias_links) {
    c.tx.link_delete(l.id, y);
    c.tx.link_upsert(l);
    ++r.identities;
  }
  for (const LinkRow& l : log->target_links) {
    c.tx.link_delete(l.id, x);
    c.tx.link_upsert(l);
  }

  for (const std::string& name : log->moved_intents) {
    const auto cur = c.tx.intent_get(x, name);
    if (!cur) continue;
    c.tx.intent_put(y, *cur);
    c.tx.intent_delete(x, name);
    ++r.intents;
  }
  for (const IntentRow& i : log->alias_intents) {
    c.tx.intent_put(y, i);
    ++r.intents;
  }
  for (const IntentRow& i : log->target_intents) c.tx.intent_put(x, i);

  std::map<std::string, VariableRow> x_vars;
  for (VariableRow& v : c.tx.variables_of(x, 0)) x_vars.emplace(v.name, std::move(v));
  for (const std::string& name : log->moved_variables) {
    auto cur = x_vars.find(name);
    if (cur == x_vars.end()) continue;
    c.tx.variable_put(y, cur->second);
    c.tx.variable_delete(x, name, 0);
    ++r.variables;
  }
  for (const VariableRow& v : log->alias_variables) {
    c.tx.variable_put(y, v);
    ++r.variables;
  }
  for (const VariableRow& v : log->target_variables) c.tx.variable_put(x, v);

  for (const auto& [call_id, created] : log->moved_calls) {
    const auto moved = c.tx.call_get(call_id);
    if (!moved || moved->customer_ref != x) continue;
    c.tx.call_move(call_id, y, created);
    ++r.calls;
  }
  for (const std::string& a : log->moved_aliases)
    if (c.tx.alias_target(a, 0) == x) c.tx.alias_put(AliasRow{a, y, log->merged_at, log->expires_at});
  c.tx.alias_delete(y);
  const Millis ttl = tenants::ttl_of(tenants::row_of(c).settings);
  customers::keep_alive(c, x, at, ttl);
  customers::keep_alive(c, y, at, ttl);
  // The corrected feedback that merged is undone with it: the call takes feedback again.
  if (auto call = c.tx.call_get(log->call_id)) {
    call->feedback_fingerprint = 0;
    call->feedback_outcome.clear();
    call->feedback_response.clear();
    c.tx.call_feedback(*call);
  }
  std::string text = json::write(r);
  c.tx.merge_undone(r.merge_id, at, text);
  if (out) *out = std::move(r);
  return {std::move(text), false};
}

}  // namespace callmem::feedback
