// A request built in C++, checked by the rules of json/validate.hpp: every
// field as the wire's reader checks it, with the same words and paths the
// request's JSON would have (identity_hints.ani, intents.0.status), in the
// order of its fields. Nothing is serialised: a typed start costs no JSON.
#include "json/validate.hpp"

#include <fmt/format.h>

#include "json/codec.hpp"
#include "json/utf8.hpp"

namespace callmem::json {

void add_too_many(const Path& path, std::size_t max, Issues& is) {
  is.add(path, fmt::format("{} must have at most {} entries", label(path), max));
}

bool check_intent_count(std::size_t n, const Path& path, Issues& is) {
  if (n <= kMaxIntentsPerRequest) return true;
  is.add(path, fmt::format("at most {} intents per request", kMaxIntentsPerRequest));
  return false;
}

bool check_variable_size(const std::string& compact, const Path& path, Issues& is) {
  if (compact.size() <= kMaxVariableValueBytes) return true;
  is.add(path, fmt::format("{} must be at most {} bytes of JSON", label(path), kMaxVariableValueBytes));
  return false;
}

bool check_outcome_ref(FeedbackOutcome outcome, bool ref_given, Issues& is) {
  const bool corrected = outcome == FeedbackOutcome::corrected;
  if (ref_given && !corrected)
    is.add({"customer_ref"}, "customer_ref is only allowed with outcome corrected");
  if (!ref_given && corrected) is.add({"customer_ref"}, "customer_ref is required with outcome corrected");
  return ref_given && corrected;
}

namespace {

void check_external_ids(const std::map<std::string, std::string>& ids, const Path& path, Issues& is) {
  if (ids.size() > kMaxExternalIds) return add_too_many(path, kMaxExternalIds, is);
  for (const auto& [key, value] : ids) {
    const Path p = path + key_label(key);
    if (check_text(key, p, kExternalIdKeyRule, is)) check_text(value, p, kExternalIdValueRule, is);
  }
}

// The hints under identity_hints, and that they name someone.
void check_hints(const IdentityHints& h, Issues& is) {
  const Path hp{"identity_hints"};
  if (h.ani) check_text(*h.ani, hp + "ani", kAniRule, is);
  if (h.dnis) check_text(*h.dnis, hp + "dnis", kDnisRule, is);
  check_external_ids(h.external_ids, hp + "external_ids", is);
  if (h.customer_ref) check_text(*h.customer_ref, hp + "customer_ref", kCustomerRefRule, is);
  if (!h.ani && h.external_ids.empty() && !h.customer_ref) is.add(hp, kHintsRequired);
}

void check_telco(const Telco& t, Issues& is) {
  const Path tp{"telco"};
  if (t.line_type) check_enum(*t.line_type, tp + "line_type", is);
  if (t.attestation) check_enum(*t.attestation, tp + "attestation", is);
  if (t.verstat) check_enum(*t.verstat, tp + "verstat", is);
}

void check_at(const std::optional<Millis>& at, const char* name, Issues& is) {
  if (at) check_time(*at, {name}, is);
}

// A variable's name (the member's key); whether it is well-formed.
bool check_variable_name(const std::string& name, const Path& path, Issues& is) {
  return check_text(name, path + key_label(name), kVariableNameRule, is);
}

}  // namespace

void validate(const StartRequest& r) {
  Issues is;
  check_text(r.call_id, {"call_id"}, kCallIdRule, is);
  check_hints(r.identity_hints, is);
  check_telco(r.telco, is);
  check_enum(r.channel, {"channel"}, is);
  check_enum(r.direction, {"direction"}, is);
  check_at(r.at, "at", is);
  is.throw_if_any();
}

EndRequest validated(const EndRequest& request) {
  EndRequest r = request;
  Issues is;
  check_text(r.call_id, {"call_id"}, kCallIdRule, is);
  if (r.customer_ref) check_text(*r.customer_ref, {"customer_ref"}, kCustomerRefRule, is);
  const Path ip{"intents"};
  if (check_intent_count(r.intents.size(), ip, is)) {
    for (std::size_t i = 0; i < r.intents.size(); ++i) {
      const Path p = ip + std::to_string(i);
      check_text(r.intents[i].intent, p + "intent", kIntentRule, is);
      check_enum(r.intents[i].status, p + "status", is);
    }
  }
  const Path vp{"variables"};
  if (r.variables.size() > kMaxVariablesPerCustomer) {
    add_too_many(vp, kMaxVariablesPerCustomer, is);
  } else {
    for (auto& [name, value] : r.variables) {
      if (!check_variable_name(name, vp, is) || !value) continue;
      // Empty text is null, as on the wire: it forgets the variable.
      if (value->text.empty()) {
        value.reset();
        continue;
      }
      const Path p = vp + name;
      if (std::optional<std::string> compact = compact_value(value->text)) {
        if (check_variable_size(*compact, p, is)) value->text = std::move(*compact);
      } else {
        is.add(p, fmt::format("{} must be valid JSON", label(p)));
      }
    }
  }
  const Path tp{"variable_ttl_seconds"};
  if (r.variable_ttl_seconds.size() > kMaxVariablesPerCustomer) {
    add_too_many(tp, kMaxVariablesPerCustomer, is);
  } else {
    for (const auto& [name, ttl] : r.variable_ttl_seconds)
      if (check_variable_name(name, tp, is)) check_int(ttl, tp + name, 1, kMaxVariableTtlSeconds, is);
  }
  check_external_ids(r.external_ids, {"external_ids"}, is);
  if (r.identity_hints) check_hints(*r.identity_hints, is);
  check_telco(r.telco, is);
  check_at(r.at, "at", is);
  is.throw_if_any();
  return r;
}

void validate(const FeedbackRequest& r) {
  Issues is;
  check_text(r.call_id, {"call_id"}, kCallIdRule, is);
  if (check_enum(r.outcome, {"outcome"}, is) && check_outcome_ref(r.outcome, r.customer_ref.has_value(), is))
    check_text(*r.customer_ref, {"customer_ref"}, kCustomerRefRule, is);
  check_at(r.at, "at", is);
  is.throw_if_any();
}

}  // namespace callmem::json
