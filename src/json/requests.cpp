// Requests of operations from their JSON (parse_start, parse_end, ...):
// validated field by field as each is read, by the rules of
// json/validate.hpp, legacy shapes merged into the current ones, unknown
// keys tolerated.
#include <fmt/format.h>

#include "json/codec.hpp"
#include "json/run.hpp"
#include "json/validate.hpp"

namespace callmem::json {
namespace {

constexpr std::size_t kMaxCursor = 256;
constexpr std::size_t kMaxIdempotencyKey = 128;
constexpr std::int64_t kMaxGrant = 1000000000000;
constexpr std::int64_t kMaxPurgeLimit = 1000000;

std::map<std::string, std::string> read_external_ids(const Value& v, const Path& path, Issues& is) {
  std::map<std::string, std::string> out;
  if (!check_object(v, path, kMaxExternalIds, is)) return out;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const Path p = path + key_label(view(it->name));
    if (!check_text(view(it->name), p, kExternalIdKeyRule, is)) continue;
    if (auto value = read_text(it->value, p, kExternalIdValueRule, is))
      out[std::string(view(it->name))] = std::move(*value);
  }
  return out;
}

struct HintsRead {
  IdentityHints hints;
  bool given = false;  // ani, external_ids (non-empty) or customer_ref was present
};

// The hint fields of `obj` (identity_hints, or the top level of a legacy request).
HintsRead read_hint_fields(const Value& obj, const Path& base, bool with_customer_ref, Issues& is) {
  HintsRead r;
  if (const Value* v = field(obj, "ani")) {
    // An empty ANI is how many platforms send a withheld number: a withheld
    // caller ID (identifiers_of), as "anonymous" is.
    r.given = true;
    r.hints.ani = read_text(*v, base + "ani", kAniRule, is);
  }
  if (const Value* v = field(obj, "dnis")) r.hints.dnis = read_text(*v, base + "dnis", kDnisRule, is);
  if (const Value* v = field(obj, "external_ids")) {
    if (!v->IsObject() || v->MemberCount() > 0) r.given = true;
    r.hints.external_ids = read_external_ids(*v, base + "external_ids", is);
  }
  if (with_customer_ref) {
    if (const Value* v = field(obj, "customer_ref")) {
      r.given = true;
      r.hints.customer_ref = read_text(*v, base + "customer_ref", kCustomerRefRule, is);
    }
  }
  return r;
}

bool has_legacy_hints(const Value& obj, bool with_customer_ref) {
  return field(obj, "ani") || field(obj, "dnis") || field(obj, "external_ids") ||
         (with_customer_ref && field(obj, "customer_ref"));
}

// identity_hints, merged with the legacy top-level fields when `legacy`
// (identity_hints wins). Applies the at-least-one rule.
IdentityHints read_hints(const Value& obj, bool legacy, bool legacy_customer_ref, bool require, Issues& is) {
  const Path hp{"identity_hints"};
  HintsRead inner;
  bool bad_type = false;
  if (const Value* v = field(obj, "identity_hints")) {
    if (check_object(*v, hp, is))
      inner = read_hint_fields(*v, hp, true, is);
    else
      bad_type = true;
  }
  if (legacy) {
    HintsRead top = read_hint_fields(obj, {}, legacy_customer_ref, is);
    IdentityHints& h = inner.hints;
    if (!h.ani) h.ani = std::move(top.hints.ani);
    if (!h.dnis) h.dnis = std::move(top.hints.dnis);
    if (!h.customer_ref) h.customer_ref = std::move(top.hints.customer_ref);
    for (auto& [k, v] : top.hints.external_ids) h.external_ids.emplace(k, std::move(v));
    if (h.external_ids.size() > kMaxExternalIds) add_too_many(hp + "external_ids", kMaxExternalIds, is);
    inner.given = inner.given || top.given;
  }
  if (require && !bad_type && !inner.given) is.add(hp, kHintsRequired);
  return std::move(inner.hints);
}

Telco read_telco(const Value& obj, Issues& is) {
  Telco t;
  const Value* v = field(obj, "telco");
  const Path tp{"telco"};
  if (!v || !check_object(*v, tp, is)) return t;
  if (const Value* f = field(*v, "line_type")) t.line_type = read_enum<LineType>(*f, tp + "line_type", is);
  if (const Value* f = field(*v, "attestation"))
    t.attestation = read_enum<Attestation>(*f, tp + "attestation", is);
  if (const Value* f = field(*v, "verstat")) t.verstat = read_enum<Verstat>(*f, tp + "verstat", is);
  return t;
}

// A text the request must have.
std::string read_required(const Value& obj, const char* name, TextRule rule, Issues& is) {
  const Value* v = field(obj, name);
  if (!v) {
    is.add({name}, fmt::format("{} is required", name));
    return {};
  }
  return read_text(*v, {name}, rule, is).value_or("");
}

// A time the request may leave out.
std::optional<Millis> read_at(const Value& obj, const char* name, Issues& is) {
  if (const Value* v = field(obj, name)) return read_time(*v, {name}, is);
  return std::nullopt;
}

CustomerSelector read_selector(const Value& obj, Issues& is) {
  CustomerSelector s;
  const Value* ref = field(obj, "customer_ref");
  if (ref) s.customer_ref = read_text(*ref, {"customer_ref"}, kCustomerRefRule, is);
  const bool hints_given = field(obj, "identity_hints") || has_legacy_hints(obj, false);
  if (hints_given) {
    // With both, customer_ref is used; the hints must still be well-formed.
    IdentityHints h = read_hints(obj, true, false, !ref, is);
    if (!ref) s.identity_hints = std::move(h);
  }
  if (!ref && !hints_given) is.add({"customer_ref"}, "customer_ref or identity_hints is required");
  return s;
}

// End's single intent: intent + intent_status, or the legacy intent_is_open.
// Whether intent was given.
bool read_single_intent(const Value& doc, EndRequest& r, Issues& is) {
  const Value* intent = field(doc, "intent");
  const Value* status = field(doc, "intent_status");
  const Value* is_open = field(doc, "intent_is_open");
  std::optional<IntentStatus> st;
  if (status) st = read_enum<IntentStatus>(*status, {"intent_status"}, is);
  if (is_open) {
    if (auto b = read_bool(*is_open, {"intent_is_open"}, is)) {
      const IntentStatus from_bool = *b ? IntentStatus::open : IntentStatus::resolved;
      if (status && st && *st != from_bool)
        is.add({"intent_is_open"}, fmt::format("intent_is_open ({}) disagrees with intent_status ({})",
                                               *b ? "true" : "false", to_string(*st)));
      if (!status) st = from_bool;
    }
  }
  if (intent) {
    if (auto name = read_text(*intent, {"intent"}, kIntentRule, is))
      r.intents.push_back(IntentUpdate{std::move(*name), st.value_or(IntentStatus::open)});
  } else if (status || is_open) {
    is.add({"intent"},
           fmt::format("intent is required with {}", status ? "intent_status" : "intent_is_open"));
  }
  return intent != nullptr;
}

// End's intents array, `already` counting the single intent.
void read_intents(const Value& v, std::size_t already, EndRequest& r, Issues& is) {
  const Path ip{"intents"};
  if (!v.IsArray()) {
    is.add(ip, "intents must be an array");
    return;
  }
  if (!check_intent_count(v.Size() + already, ip, is)) return;
  for (SizeType i = 0; i < v.Size(); ++i) {
    const Path p = ip + std::to_string(i);
    const Value& e = v[i];
    if (!check_object(e, p, is)) continue;
    const Value* name = field(e, "intent");
    std::optional<std::string> n;
    if (!name)
      is.add(p + "intent", fmt::format("{} is required", label(p + "intent")));
    else
      n = read_text(*name, p + "intent", kIntentRule, is);
    std::optional<IntentStatus> s = IntentStatus::open;
    if (const Value* sv = field(e, "status")) s = read_enum<IntentStatus>(*sv, p + "status", is);
    if (n && s) r.intents.push_back(IntentUpdate{std::move(*n), *s});
  }
}

// The members of the object `name` of `doc` (at most a customer's
// variables), each keyed by a well-formed variable name: `each(name, value, path)`.
template <class F>
void each_variable(const Value& doc, const char* name, Issues& is, F&& each) {
  const Value* v = field(doc, name);
  if (!v) return;
  const Path vp{name};
  if (!check_object(*v, vp, kMaxVariablesPerCustomer, is)) return;
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    const Path p = vp + key_label(view(it->name));
    if (check_text(view(it->name), p, kVariableNameRule, is)) each(std::string(view(it->name)), it->value, p);
  }
}

// End's variables (null forgets one) and their TTLs.
void read_variables(const Value& doc, EndRequest& r, Issues& is) {
  each_variable(doc, "variables", is, [&](std::string name, const Value& v, const Path& p) {
    if (v.IsNull()) {
      r.variables[name] = std::nullopt;
      return;
    }
    auto value = compact(v);
    if (!value)
      is.add(p, fmt::format("{} must be valid UTF-8", label(p)));
    else if (check_variable_size(*value, p, is))
      r.variables[name] = JsonText{std::move(*value)};
  });
  each_variable(doc, "variable_ttl_seconds", is, [&](std::string name, const Value& v, const Path& p) {
    if (auto ttl = read_int(v, p, 1, kMaxVariableTtlSeconds, is)) r.variable_ttl_seconds[name] = *ttl;
  });
}

}  // namespace

StartRequest parse_start(std::string_view text) {
  return decode<StartRequest>(text, kRequest, [](const Value& doc, Issues& is, StartRequest& r) {
    r.call_id = read_required(doc, "call_id", kCallIdRule, is);
    r.identity_hints = read_hints(doc, true, true, true, is);
    r.telco = read_telco(doc, is);
    if (const Value* v = field(doc, "channel"))
      r.channel = read_enum<Channel>(*v, {"channel"}, is).value_or(r.channel);
    if (const Value* v = field(doc, "direction"))
      r.direction = read_enum<Direction>(*v, {"direction"}, is).value_or(r.direction);
    r.at = read_at(doc, "at", is);
  });
}

EndRequest parse_end(std::string_view text) {
  return decode<EndRequest>(text, kRequest, [](const Value& doc, Issues& is, EndRequest& r) {
    r.call_id = read_required(doc, "call_id", kCallIdRule, is);
    if (const Value* v = field(doc, "customer_ref"))
      r.customer_ref = read_text(*v, {"customer_ref"}, kCustomerRefRule, is);
    const bool intent = read_single_intent(doc, r, is);
    if (const Value* v = field(doc, "intents")) read_intents(*v, intent ? 1 : 0, r, is);
    read_variables(doc, r, is);
    if (const Value* v = field(doc, "external_ids"))
      r.external_ids = read_external_ids(*v, {"external_ids"}, is);
    if (field(doc, "identity_hints")) r.identity_hints = read_hints(doc, false, false, true, is);
    r.telco = read_telco(doc, is);
    r.at = read_at(doc, "at", is);
  });
}

GetRequest parse_get(std::string_view text) {
  return decode<GetRequest>(text, kRequest, [](const Value& doc, Issues& is, GetRequest& r) {
    r.who = read_selector(doc, is);
    if (const Value* v = field(doc, "history_limit"))
      r.history_limit = read_int(*v, {"history_limit"}, 1, 100, is).value_or(r.history_limit);
    if (const Value* v = field(doc, "cursor"))
      r.cursor = read_text(*v, {"cursor"}, 0, kMaxCursor, is).value_or("");
  });
}

CustomerSelector parse_selector(std::string_view text) {
  return decode<CustomerSelector>(
      text, kRequest, [](const Value& doc, Issues& is, CustomerSelector& s) { s = read_selector(doc, is); });
}

void parse_empty(std::string_view text) {
  guarded([&] {
    rj::Document doc;
    parse_document(text, doc, false);
  });
}

CreditGrant parse_grant(std::string_view text) {
  return decode<CreditGrant>(text, kRequest, [](const Value& doc, Issues& is, CreditGrant& g) {
    if (const Value* v = field(doc, "amount"))
      g.amount = read_int(*v, {"amount"}, 1, kMaxGrant, is).value_or(0);
    else
      is.add({"amount"}, "amount is required");
    g.idempotency_key = read_required(doc, "idempotency_key", {1, kMaxIdempotencyKey}, is);
  });
}

UsageRequest parse_usage(std::string_view text) {
  return decode<UsageRequest>(text, kRequestOrEmpty, [](const Value& doc, Issues& is, UsageRequest& u) {
    u.from = read_at(doc, "from", is);
    u.to = read_at(doc, "to", is);
  });
}

PurgeRequest parse_purge(std::string_view text) {
  return decode<PurgeRequest>(text, kRequestOrEmpty, [](const Value& doc, Issues& is, PurgeRequest& p) {
    p.now = read_at(doc, "now", is);
    if (const Value* v = field(doc, "limit"))
      p.limit = read_int(*v, {"limit"}, 1, kMaxPurgeLimit, is).value_or(p.limit);
  });
}

FeedbackRequest parse_feedback(std::string_view text) {
  return decode<FeedbackRequest>(text, kRequest, [](const Value& doc, Issues& is, FeedbackRequest& r) {
    r.call_id = read_required(doc, "call_id", kCallIdRule, is);
    std::optional<FeedbackOutcome> outcome;
    if (const Value* v = field(doc, "outcome"))
      outcome = read_enum<FeedbackOutcome>(*v, {"outcome"}, is);
    else
      is.add({"outcome"}, "outcome is required");
    if (outcome) r.outcome = *outcome;
    const Value* ref = field(doc, "customer_ref");
    if (outcome && check_outcome_ref(*outcome, ref != nullptr, is))
      r.customer_ref = read_text(*ref, {"customer_ref"}, kCustomerRefRule, is);
    r.at = read_at(doc, "at", is);
  });
}

UnmergeRequest parse_unmerge(std::string_view text) {
  return decode<UnmergeRequest>(text, kRequest, [](const Value& doc, Issues& is, UnmergeRequest& r) {
    r.merge_id = read_required(doc, "merge_id", {1, kMaxMergeId}, is);
  });
}

}  // namespace callmem::json
