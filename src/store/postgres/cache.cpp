// A PostgreSQL transaction's read cache (store/postgres/cache.hpp).
#include "store/postgres/cache.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

namespace callmem::postgres {
namespace {

// From what the cache holds of a customer (`have` and `rows` of its
// RefCache), the rows `keep` keeps, in the order `less` gives.
template <typename Row, typename Keep, typename Less>
Answer<std::vector<Row>> kept_sorted(const RefCache* c, bool RefCache::*have,
                                     std::vector<Row> RefCache::*rows, Keep keep, Less less) {
  if (!c || !(c->*have)) return std::nullopt;
  std::vector<Row> out;
  for (const Row& r : c->*rows)
    if (keep(r)) out.push_back(r);
  std::sort(out.begin(), out.end(), less);
  return out;
}

}  // namespace

void Cache::fill_call(Batch& b, const std::string& tenant, const std::string& call_id) {
  clear();
  have_call = have_tenant = true;
  this->call_id = call_id;
  WeightsMemo& memo = b.connection().weights;
  b.send(kCallGet, {tenant, call_id}, rows([this](auto&& c) { call = read_row<CallRow>(c); }));
  b.send(kTenantGet, {tenant}, rows([this, &memo](auto&& c) { tenant_row = read_tenant(c, memo); }));
  try {
    b.flush(true);
  } catch (...) {
    clear();
    throw;
  }
}

void Cache::fill(Batch& b, const std::string& tenant, const Prefetch& p) {
  clear();
  have_call = have_tenant = have_find = true;
  call_id = p.call_id;
  find_ids = p.ids;
  const std::vector<std::string> arrays = arrays_of(p.ids);
  const std::string &a_types = arrays[0], &a_keys = arrays[1], &a_values = arrays[2];
  const std::string a_refs = array_of(p.refs);
  WeightsMemo& memo = b.connection().weights;
  b.send(kCallGet, {tenant, p.call_id}, rows([this](auto&& c) { call = read_row<CallRow>(c); }));
  b.send(kTenantGet, {tenant}, rows([this, &memo](auto&& c) { tenant_row = read_tenant(c, memo); }));
  b.send(kLinksFind, {tenant, a_types, a_keys, a_values}, rows([this](auto&& c) {
           LinkRow l;
           read_fields(c, std::tuple_cat(fields(l.id), std::tie(l.customer_ref), fields(l)));
           find_rows.push_back(std::move(l));
         }));
  for (const std::string& r : p.refs) aliases[r] = std::nullopt;
  b.send(kPrefetchAliases, {tenant, a_refs}, rows([this](auto&& c) {
           AliasRow a;
           read_fields(c, std::tie(a.alias_ref, a.target_ref, a.expires_at));
           aliases[a.alias_ref] = std::move(a);
         }));
  const std::vector<std::string> all{tenant, a_types, a_keys, a_values, p.call_id, a_refs};
  b.send(kPrefetchCustomers, all, rows([this](auto&& c) {
           CustomerRow row;
           read_fields(c, std::tuple_cat(std::tie(row.customer_ref), fields(row)));
           refs[row.customer_ref].customer = std::move(row);
         }));
  b.send(kPrefetchLinks, all, rows([this](auto&& c) {
           LinkRow l;
           read_fields(c, std::tuple_cat(std::tie(l.customer_ref), fields(l.id), fields(l)));
           refs[l.customer_ref].links.push_back(std::move(l));
         }));
  b.send(kPrefetchIntents, all, rows([this](auto&& c) {
           const std::string ref = c.text();
           refs[ref].intents.push_back(read_intent(c));
         }));
  b.send(kPrefetchVariables, all, rows([this](auto&& c) {
           const std::string ref = c.text();
           refs[ref].variables.push_back(read_row<VariableRow>(c));
         }));
  try {
    b.flush(true);
  } catch (...) {
    clear();
    throw;
  }
  // Every customer the batch was about is known now, present or not.
  about.insert(p.refs.begin(), p.refs.end());
  for (const LinkRow& l : find_rows) about.insert(l.customer_ref);
  if (call) about.insert(call->customer_ref);
  for (const auto& [alias, row] : aliases)
    if (row) about.insert(row->target_ref);
  for (const std::string& r : about) {
    RefCache& rc = refs[r];
    rc.have_customer = rc.have_links = rc.have_intents = rc.have_variables = true;
  }
}

Answer<std::optional<CustomerRow>> Cache::customer_get(const std::string& ref, Millis now) {
  const RefCache* c = ref_of(ref);
  if (!c || !c->have_customer) return std::nullopt;
  if (c->customer && c->customer->expires_at > now) return c->customer;
  return std::optional<CustomerRow>();
}

Answer<std::vector<LinkRow>> Cache::links_find(const std::vector<Identifier>& ids, Millis now) const {
  if (!have_find) return std::nullopt;
  for (const Identifier& id : ids)
    if (std::find(find_ids.begin(), find_ids.end(), id) == find_ids.end()) return std::nullopt;
  return links_matching(find_rows, ids, now);
}

Answer<std::vector<LinkRow>> Cache::links_of(const std::string& ref, Millis now) {
  return kept_sorted(
      ref_of(ref), &RefCache::have_links, &RefCache::links,
      [&](const LinkRow& l) { return l.expires_at > now; },
      [](const LinkRow& a, const LinkRow& b) { return a.id < b.id; });
}

Answer<std::vector<IntentRow>> Cache::intents_of(const std::string& ref, Millis now, bool open_only) {
  return kept_sorted(
      ref_of(ref), &RefCache::have_intents, &RefCache::intents,
      [&](const IntentRow& i) { return i.expires_at > now && (!open_only || i.status != "resolved"); },
      [](const IntentRow& a, const IntentRow& b) {
        if (a.last_seen != b.last_seen) return a.last_seen > b.last_seen;
        return a.intent < b.intent;
      });
}

Answer<std::optional<IntentRow>> Cache::intent_get(const std::string& ref, const std::string& intent) {
  const RefCache* c = ref_of(ref);
  if (!c || !c->have_intents) return std::nullopt;
  for (const IntentRow& i : c->intents)
    if (i.intent == intent) return i;
  return std::optional<IntentRow>();
}

Answer<std::vector<VariableRow>> Cache::variables_of(const std::string& ref, Millis now) {
  return kept_sorted(
      ref_of(ref), &RefCache::have_variables, &RefCache::variables,
      [&](const VariableRow& v) { return v.expires_at > now; },
      [](const VariableRow& a, const VariableRow& b) { return a.name < b.name; });
}

Answer<std::optional<std::string>> Cache::alias_target(const std::string& alias_ref, Millis now) const {
  auto it = aliases.find(alias_ref);
  if (it == aliases.end()) return std::nullopt;
  if (it->second && it->second->expires_at > now) return it->second->target_ref;
  return std::optional<std::string>();
}

std::vector<LinkRow> links_matching(const std::vector<LinkRow>& rows, const std::vector<Identifier>& ids,
                                    Millis now) {
  std::vector<LinkRow> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j) seen = ids[j] == ids[i];
    if (seen) continue;
    const std::size_t first = out.size();
    for (const LinkRow& l : rows)
      if (l.id == ids[i] && l.expires_at > now) out.push_back(l);
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const LinkRow& a, const LinkRow& b) { return a.customer_ref < b.customer_ref; });
  }
  return out;
}

}  // namespace callmem::postgres
