#include "store/merge_rows.hpp"

#include <utility>

#include "callmem/error.hpp"

namespace callmem {

std::vector<MergeRow> merge_rows_of(const MergeLog& log) {
  std::vector<MergeRow> out;
  auto row = [&](const char* kind, const char* role) -> MergeRow& {
    out.push_back(MergeRow{kind, role, {}, {}, {}, {}, {}, 0, 0, 0, 0});
    return out.back();
  };
  for (const Identifier& id : log.moved_links) {
    MergeRow& r = row("link", "moved");
    r.k1 = id.type;
    r.k2 = id.key;
    r.k3 = id.value;
  }
  for (const auto& n : log.moved_intents) row("intent", "moved").k1 = n;
  for (const auto& n : log.moved_variables) row("variable", "moved").k1 = n;
  for (const auto& [id, created] : log.moved_calls) {
    MergeRow& r = row("call", "moved");
    r.k1 = id;
    r.i1 = created ? 1 : 0;
  }
  for (const auto& n : log.moved_aliases) row("alias", "moved").k1 = n;
  auto links = [&](const std::vector<LinkRow>& v, const char* role) {
    for (const LinkRow& l : v) {
      MergeRow& r = row("link", role);
      r.k1 = l.id.type;
      r.k2 = l.id.key;
      r.k3 = l.id.value;
      r.t1 = l.line_type;
      r.i1 = l.first_seen;
      r.i2 = l.last_seen;
      r.i3 = l.expires_at;
    }
  };
  auto intents = [&](const std::vector<IntentRow>& v, const char* role) {
    for (const IntentRow& i : v) {
      MergeRow& r = row("intent", role);
      r.k1 = i.intent;
      r.t1 = i.status;
      r.t2 = i.last_call_id;
      r.i1 = i.attempt_count;
      r.i2 = i.first_seen;
      r.i3 = i.last_seen;
      r.i4 = i.expires_at;
    }
  };
  auto variables = [&](const std::vector<VariableRow>& v, const char* role) {
    for (const VariableRow& x : v) {
      MergeRow& r = row("variable", role);
      r.k1 = x.name;
      r.t1 = x.value_json;
      r.t2 = x.source;
      r.i1 = x.updated_at;
      r.i2 = x.own_ttl_seconds;
      r.i3 = x.expires_at;
    }
  };
  links(log.alias_links, "alias");
  links(log.target_links, "target");
  intents(log.alias_intents, "alias");
  intents(log.target_intents, "target");
  variables(log.alias_variables, "alias");
  variables(log.target_variables, "target");
  return out;
}

void add_merge_row(MergeLog& log, const MergeRow& r) {
  const bool moved = r.role == "moved", of_alias = r.role == "alias";
  if (r.kind == "link") {
    Identifier id{r.k1, r.k2, r.k3};
    if (moved) {
      log.moved_links.push_back(std::move(id));
      return;
    }
    LinkRow l;
    l.id = std::move(id);
    l.customer_ref = of_alias ? log.alias_ref : log.target_ref;
    l.line_type = r.t1;
    l.first_seen = r.i1;
    l.last_seen = r.i2;
    l.expires_at = r.i3;
    (of_alias ? log.alias_links : log.target_links).push_back(std::move(l));
  } else if (r.kind == "intent") {
    if (moved) {
      log.moved_intents.push_back(r.k1);
      return;
    }
    IntentRow i;
    i.intent = r.k1;
    i.status = r.t1;
    i.last_call_id = r.t2;
    i.attempt_count = r.i1;
    i.first_seen = r.i2;
    i.last_seen = r.i3;
    i.expires_at = r.i4;
    (of_alias ? log.alias_intents : log.target_intents).push_back(std::move(i));
  } else if (r.kind == "variable") {
    if (moved) {
      log.moved_variables.push_back(r.k1);
      return;
    }
    VariableRow v;
    v.name = r.k1;
    v.value_json = r.t1;
    v.source = r.t2;
    v.updated_at = r.i1;
    v.own_ttl_seconds = r.i2;
    v.expires_at = r.i3;
    (of_alias ? log.alias_variables : log.target_variables).push_back(std::move(v));
  } else if (r.kind == "call") {
    log.moved_calls.emplace_back(r.k1, r.i1 != 0);
  } else if (r.kind == "alias") {
    log.moved_aliases.push_back(r.k1);
  } else {
    throw Error(Status::store, "unknown merge row kind " + r.kind);
  }
}

}  // namespace callmem
