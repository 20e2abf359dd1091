// A merge log flattened into merge_rows and back (store/merge_rows.hpp).
#include "store/merge_rows.hpp"

#include <tuple>
#include <type_traits>
#include <utility>

#include "callmem/error.hpp"

namespace callmem {
namespace {

// A whole row's fields, and the slots of a MergeRow that hold them, pairwise
// (the table in merge_rows.hpp): `slots<T>(r) = fields(x)` writes,
// `fields(x) = slots<T>(r)` reads.
template <typename T>
auto fields(T& x) {
  using Row = std::remove_const_t<T>;
  if constexpr (std::is_same_v<Row, LinkRow>)
    return std::tie(x.id.type, x.id.key, x.id.value, x.line_type, x.first_seen, x.last_seen, x.expires_at);
  else if constexpr (std::is_same_v<Row, IntentRow>)
    return std::tie(x.intent, x.status, x.last_call_id, x.attempt_count, x.first_seen, x.last_seen,
                    x.expires_at);
  else if constexpr (std::is_same_v<Row, VariableRow>)
    return std::tie(x.name, x.value_json, x.source, x.updated_at, x.own_ttl_seconds, x.expires_at);
}

template <typename Row, typename R>
auto slots(R& r) {
  if constexpr (std::is_same_v<Row, LinkRow>)
    return std::tie(r.k1, r.k2, r.k3, r.t1, r.i1, r.i2, r.i3);
  else if constexpr (std::is_same_v<Row, IntentRow>)
    return std::tie(r.k1, r.t1, r.t2, r.i1, r.i2, r.i3, r.i4);
  else if constexpr (std::is_same_v<Row, VariableRow>)
    return std::tie(r.k1, r.t1, r.t2, r.i1, r.i2, r.i3);
}

}  // namespace

std::vector<MergeRow> merge_rows_of(const MergeLog& log) {
  std::vector<MergeRow> out;
  auto row = [&](const char* kind, const char* role) -> MergeRow& {
    out.push_back(MergeRow{kind, role, {}, {}, {}, {}, {}, 0, 0, 0, 0});
    return out.back();
  };
  for (const Identifier& id : log.moved_links) {
    MergeRow& r = row("link", "moved");
    std::tie(r.k1, r.k2, r.k3) = std::tie(id.type, id.key, id.value);
  }
  for (const auto& n : log.moved_intents) row("intent", "moved").k1 = n;
  for (const auto& n : log.moved_variables) row("variable", "moved").k1 = n;
  for (const auto& [id, created] : log.moved_calls) {
    MergeRow& r = row("call", "moved");
    r.k1 = id;
    r.i1 = created ? 1 : 0;
  }
  for (const auto& n : log.moved_aliases) row("alias", "moved").k1 = n;
  auto whole = [&](const auto& rows, const char* kind, const char* role) {
    for (const auto& x : rows) slots<std::decay_t<decltype(x)>>(row(kind, role)) = fields(x);
  };
  whole(log.alias_links, "link", "alias");
  whole(log.target_links, "link", "target");
  whole(log.alias_intents, "intent", "alias");
  whole(log.target_intents, "intent", "target");
  whole(log.alias_variables, "variable", "alias");
  whole(log.target_variables, "variable", "target");
  return out;
}

void add_merge_row(MergeLog& log, const MergeRow& r) {
  const bool moved = r.role == "moved", of_alias = r.role == "alias";
  // A whole row of the alias's or the target's.
  auto whole = [&](auto& alias_rows, auto& target_rows) -> auto& {
    auto& rows = of_alias ? alias_rows : target_rows;
    rows.emplace_back();
    fields(rows.back()) = slots<typename std::decay_t<decltype(rows)>::value_type>(r);
    return rows.back();
  };
  if (r.kind == "link" && moved)
    log.moved_links.push_back(Identifier{r.k1, r.k2, r.k3});
  else if (r.kind == "link")
    whole(log.alias_links, log.target_links).customer_ref = of_alias ? log.alias_ref : log.target_ref;
  else if (r.kind == "intent" && moved)
    log.moved_intents.push_back(r.k1);
  else if (r.kind == "intent")
    whole(log.alias_intents, log.target_intents);
  else if (r.kind == "variable" && moved)
    log.moved_variables.push_back(r.k1);
  else if (r.kind == "variable")
    whole(log.alias_variables, log.target_variables);
  else if (r.kind == "call")
    log.moved_calls.emplace_back(r.k1, r.i1 != 0);
  else if (r.kind == "alias")
    log.moved_aliases.push_back(r.k1);
  else
    throw Error(Status::store, "unknown merge row kind " + r.kind);
}

}  // namespace callmem
