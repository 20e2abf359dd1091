// The C++ API's wire: the value types (callmem/types.hpp) to the JSON of
// docs/contract.md and back, for callmem/call_memory.hpp. Header-only and
// internal (namespace callmem::detail): it writes requests with the standard
// library and reads answers with the C ABI's reader (callmem/json.h), so the
// C++ API needs nothing but libcallmem.so. Enums are their contract
// spellings on the wire (callmem/enums.hpp); the library validates what is
// written (a value cast from an integer is written "" and refused, naming
// the field).
#ifndef CALLMEM_DETAIL_WIRE_HPP
#define CALLMEM_DETAIL_WIRE_HPP

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "callmem/callmem.h"
#include "callmem/error.hpp"
#include "callmem/json.h"
#include "callmem/types.hpp"

namespace callmem {
namespace detail {

// ---------------------------------------------------------------------------
// Times: milliseconds since the epoch <-> "2026-02-07T10:30:00.000Z".

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

inline void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

inline std::string format_time(Millis t) {
  constexpr Millis day = 86400000;
  const std::int64_t days = t >= 0 ? t / day : -((-t + day - 1) / day);
  const Millis in_day = t - days * day;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const std::int64_t s = in_day / 1000;
  std::string out;
  out.reserve(24);
  auto put = [&](std::int64_t v, std::ptrdiff_t width, char after) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, v);
    for (std::ptrdiff_t n = r.ptr - digits; n < width; ++n) out += '0';
    out.append(digits, r.ptr);
    out += after;
  };
  put(y, 4, '-');
  put(m, 2, '-');
  put(d, 2, 'T');
  put(s / 3600, 2, ':');
  put(s / 60 % 60, 2, ':');
  put(s % 60, 2, '.');
  put(in_day % 1000, 3, 'Z');
  return out;
}

// The library's own form only ("YYYY-MM-DDTHH:MM:SS.mmmZ"); 0 for anything else.
inline Millis parse_time(std::string_view s) {
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != '.' || s[23] != 'Z')
    return 0;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    const auto r = std::from_chars(s.data() + at, s.data() + at + n, v);
    return r.ec == std::errc() && r.ptr == s.data() + at + n ? v : -1;
  };
  const int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2),
            ms = num(20, 3);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || mi < 0 || se < 0 || ms < 0) return 0;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400000 +
         ((h * 60 + mi) * 60 + se) * Millis{1000} + ms;
}

// ---------------------------------------------------------------------------
// Writing requests.

// A 400 about a field the C++ layer refuses before calling the library;
// `field` is dotted ("identity.weights.ani.m"), what() names it.
inline Error invalid(const std::string& field, const std::string& problem) {
  std::vector<std::string> path;
  for (std::size_t from = 0;;) {
    const std::size_t dot = field.find('.', from);
    path.push_back(field.substr(from, dot == std::string::npos ? std::string::npos : dot - from));
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  return Error(Status::invalid, "Validation failed: " + field + ": " + field + " " + problem,
               {FieldIssue{std::move(path), field + " " + problem}});
}

class Writer {
 public:
  Writer& begin_object() { return sep().put('{', true); }
  Writer& end_object() { return put('}', false); }
  Writer& begin_array() { return sep().put('[', true); }
  Writer& end_array() { return put(']', false); }
  Writer& key(std::string_view k) {
    sep();
    string(k);
    out_ += ':';
    fresh_ = true;
    return *this;
  }
  Writer& str(std::string_view s) {
    sep();
    string(s);
    return *this;
  }
  Writer& opt_str(const std::optional<std::string>& s) { return s ? str(*s) : null(); }
  Writer& i64(std::int64_t v) {
    sep();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
    return *this;
  }
  // The shortest text that reads back to the same double. `field` names it
  // when it is not finite (JSON has no infinity or NaN).
  Writer& num(double v, const std::string& field) {
    if (!std::isfinite(v)) throw invalid(field, "must be a finite number");
    sep();
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
    return *this;
  }
  Writer& boolean(bool b) {
    sep();
    out_ += b ? "true" : "false";
    return *this;
  }
  Writer& null() {
    sep();
    out_ += "null";
    return *this;
  }
  Writer& time(Millis t) { return str(format_time(t)); }
  // JSON text the library validates (a variable's value); empty is null.
  Writer& raw(std::string_view json) {
    if (json.empty()) return null();
    sep();
    out_ += json;
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  Writer& sep() {
    if (!fresh_) out_ += ',';
    fresh_ = false;
    return *this;
  }
  Writer& put(char c, bool opens) {
    out_ += c;
    fresh_ = opens;
    return *this;
  }
  void string(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    out_ += '"';
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (u < 0x20) {
        out_ += "\\u00";
        out_ += hex[u >> 4];
        out_ += hex[u & 15];
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool fresh_ = true;  // nothing written yet at this level: no comma before the next value
};

inline void write_hints(Writer& w, const IdentityHints& h) {
  w.begin_object();
  if (h.ani) w.key("ani").str(*h.ani);
  if (h.dnis) w.key("dnis").str(*h.dnis);
  if (!h.external_ids.empty()) {
    w.key("external_ids").begin_object();
    for (const auto& [k, v] : h.external_ids) w.key(k).str(v);
    w.end_object();
  }
  if (h.customer_ref) w.key("customer_ref").str(*h.customer_ref);
  w.end_object();
}

inline void write_telco(Writer& w, const Telco& t) {
  if (!t.line_type && !t.attestation && !t.verstat) return;
  w.key("telco").begin_object();
  if (t.line_type) w.key("line_type").str(to_string(*t.line_type));
  if (t.attestation) w.key("attestation").str(to_string(*t.attestation));
  if (t.verstat) w.key("verstat").str(to_string(*t.verstat));
  w.end_object();
}

// A time the request may leave out. The epoch itself is written as it is:
// the library refuses it, as a time must be after it.
inline void write_at(Writer& w, const char* name, const std::optional<Millis>& at) {
  if (at) w.key(name).time(*at);
}

inline std::string write(const StartRequest& r) {
  Writer w;
  w.begin_object();
  w.key("call_id").str(r.call_id);
  w.key("identity_hints");
  write_hints(w, r.identity_hints);
  write_telco(w, r.telco);
  w.key("channel").str(to_string(r.channel));
  w.key("direction").str(to_string(r.direction));
  write_at(w, "at", r.at);
  w.end_object();
  return w.take();
}

inline std::string write(const EndRequest& r) {
  Writer w;
  w.begin_object();
  w.key("call_id").str(r.call_id);
  if (r.customer_ref) w.key("customer_ref").str(*r.customer_ref);
  if (!r.intents.empty()) {
    w.key("intents").begin_array();
    for (const auto& i : r.intents)
      w.begin_object().key("intent").str(i.intent).key("status").str(to_string(i.status)).end_object();
    w.end_array();
  }
  if (!r.variables.empty()) {
    w.key("variables").begin_object();
    for (const auto& [name, value] : r.variables) {
      w.key(name);
      if (value)
        w.raw(value->text);
      else
        w.null();
    }
    w.end_object();
  }
  if (!r.variable_ttl_seconds.empty()) {
    w.key("variable_ttl_seconds").begin_object();
    for (const auto& [name, ttl] : r.variable_ttl_seconds) w.key(name).i64(ttl);
    w.end_object();
  }
  if (!r.external_ids.empty()) {
    w.key("external_ids").begin_object();
    for (const auto& [k, v] : r.external_ids) w.key(k).str(v);
    w.end_object();
  }
  if (r.identity_hints) {
    w.key("identity_hints");
    write_hints(w, *r.identity_hints);
  }
  write_telco(w, r.telco);
  write_at(w, "at", r.at);
  w.end_object();
  return w.take();
}

inline void write_selector(Writer& w, const CustomerSelector& s) {
  if (s.customer_ref) w.key("customer_ref").str(*s.customer_ref);
  if (s.identity_hints) {
    w.key("identity_hints");
    write_hints(w, *s.identity_hints);
  }
}

inline std::string write(const CustomerSelector& s) {
  Writer w;
  w.begin_object();
  write_selector(w, s);
  w.end_object();
  return w.take();
}

inline std::string write(const GetRequest& r) {
  Writer w;
  w.begin_object();
  write_selector(w, r.who);
  w.key("history_limit").i64(r.history_limit);
  if (!r.cursor.empty()) w.key("cursor").str(r.cursor);
  w.end_object();
  return w.take();
}

// The identity weights, by their dotted path under identity.weights.
struct WeightField {
  const char* path;
  double IdentityWeights::*value;
  std::optional<double> IdentityWeightsPatch::*patch;
};

inline constexpr WeightField kWeightFields[] = {
    {"ani.m", &IdentityWeights::ani_m, &IdentityWeightsPatch::ani_m},
    {"ani.u.mobile", &IdentityWeights::ani_u_mobile, &IdentityWeightsPatch::ani_u_mobile},
    {"ani.u.landline", &IdentityWeights::ani_u_landline, &IdentityWeightsPatch::ani_u_landline},
    {"ani.u.voip", &IdentityWeights::ani_u_voip, &IdentityWeightsPatch::ani_u_voip},
    {"ani.u.unknown", &IdentityWeights::ani_u_unknown, &IdentityWeightsPatch::ani_u_unknown},
    {"ani.u.business", &IdentityWeights::ani_u_business, &IdentityWeightsPatch::ani_u_business},
    {"external_id.m", &IdentityWeights::external_id_m, &IdentityWeightsPatch::external_id_m},
    {"external_id.u", &IdentityWeights::external_id_u, &IdentityWeightsPatch::external_id_u},
    {"customer_ref.m", &IdentityWeights::customer_ref_m, &IdentityWeightsPatch::customer_ref_m},
    {"customer_ref.u", &IdentityWeights::customer_ref_u, &IdentityWeightsPatch::customer_ref_u},
    {"recency.within_day", &IdentityWeights::recency_within_day, &IdentityWeightsPatch::recency_within_day},
    {"recency.within_week", &IdentityWeights::recency_within_week,
     &IdentityWeightsPatch::recency_within_week},
    {"recency.over_30_days", &IdentityWeights::recency_over_30_days,
     &IdentityWeightsPatch::recency_over_30_days},
    {"open_intent", &IdentityWeights::open_intent, &IdentityWeightsPatch::open_intent},
};

inline bool any_weight(const IdentityWeightsPatch& p) {
  for (const WeightField& f : kWeightFields)
    if (p.*f.patch) return true;
  return false;
}

// The weights a patch names, as nested objects; a group is opened at its
// first weight (kWeightFields keeps each group's weights together).
inline void write_weights(Writer& w, const IdentityWeightsPatch& p) {
  std::vector<std::string_view> open;  // the groups open now
  w.begin_object();
  for (const WeightField& f : kWeightFields) {
    if (!(p.*f.patch)) continue;
    std::vector<std::string_view> parts;
    for (std::string_view rest = f.path;;) {
      const std::size_t dot = rest.find('.');
      parts.push_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    std::size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common]) ++common;
    for (; open.size() > common; open.pop_back()) w.end_object();
    for (std::size_t i = open.size(); i + 1 < parts.size(); ++i) {
      w.key(parts[i]).begin_object();
      open.push_back(parts[i]);
    }
    w.key(parts.back()).num(*(p.*f.patch), std::string("identity.weights.") + f.path);
  }
  for (; !open.empty(); open.pop_back()) w.end_object();
  w.end_object();
}

inline void write_settings(Writer& w, const TenantSettingsPatch& p) {
  w.begin_object();
  if (p.ttl_days) w.key("ttl_days").i64(*p.ttl_days);
  if (p.default_region) w.key("default_region").str(*p.default_region);
  const bool weights = any_weight(p.identity_weights);
  if (p.identity_profile || weights || p.identity_merge_duplicates) {
    w.key("identity").begin_object();
    if (p.identity_profile) w.key("profile").str(*p.identity_profile);
    if (weights) {
      w.key("weights");
      write_weights(w, p.identity_weights);
    }
    if (p.identity_merge_duplicates) w.key("merge_duplicates").boolean(*p.identity_merge_duplicates);
    w.end_object();
  }
  if (p.level_very_high || p.level_high || p.level_medium) {
    w.key("levels").begin_object();
    if (p.level_very_high) w.key("very_high").num(*p.level_very_high, "levels.very_high");
    if (p.level_high) w.key("high").num(*p.level_high, "levels.high");
    if (p.level_medium) w.key("medium").num(*p.level_medium, "levels.medium");
    w.end_object();
  }
  if (p.reuse || p.confirm) {
    w.key("recommendations").begin_object();
    if (p.reuse) w.key("reuse").num(*p.reuse, "recommendations.reuse");
    if (p.confirm) w.key("confirm").num(*p.confirm, "recommendations.confirm");
    w.end_object();
  }
  if (p.billing_enabled || p.price_start_new || p.price_start_returning || p.price_end) {
    w.key("billing").begin_object();
    if (p.billing_enabled) w.key("enabled").boolean(*p.billing_enabled);
    if (p.price_start_new || p.price_start_returning || p.price_end) {
      w.key("prices").begin_object();
      if (p.price_start_new) w.key("start_new").i64(*p.price_start_new);
      if (p.price_start_returning) w.key("start_returning").i64(*p.price_start_returning);
      if (p.price_end) w.key("end").i64(*p.price_end);
      w.end_object();
    }
    w.end_object();
  }
  if (p.rate_limit_per_minute) {
    w.key("rate_limit").begin_object().key("requests_per_minute").i64(*p.rate_limit_per_minute).end_object();
  }
  w.end_object();
}

inline std::string write(const TenantSettingsPatch& p) {
  Writer w;
  write_settings(w, p);
  return w.take();
}

// Every setting, as a patch (the open configuration's default_settings).
inline TenantSettingsPatch full_patch(const TenantSettings& s) {
  TenantSettingsPatch p;
  p.ttl_days = s.ttl_days;
  p.default_region = s.default_region;
  p.identity_profile = s.identity_profile;
  for (const WeightField& f : kWeightFields) p.identity_weights.*f.patch = s.identity_weights.*f.value;
  p.identity_merge_duplicates = s.identity_merge_duplicates;
  p.level_very_high = s.level_very_high;
  p.level_high = s.level_high;
  p.level_medium = s.level_medium;
  p.reuse = s.reuse;
  p.confirm = s.confirm;
  p.billing_enabled = s.billing_enabled;
  p.price_start_new = s.prices.start_new;
  p.price_start_returning = s.prices.start_returning;
  p.price_end = s.prices.end;
  p.rate_limit_per_minute = s.rate_limit_per_minute;
  return p;
}

inline std::string write(const CreditGrant& g) {
  Writer w;
  w.begin_object().key("amount").i64(g.amount).key("idempotency_key").str(g.idempotency_key).end_object();
  return w.take();
}

inline std::string write(const UsageRequest& r) {
  Writer w;
  w.begin_object();
  write_at(w, "from", r.from);
  write_at(w, "to", r.to);
  w.end_object();
  return w.take();
}

inline std::string write(const PurgeRequest& r) {
  Writer w;
  w.begin_object();
  write_at(w, "now", r.now);
  w.key("limit").i64(r.limit);
  w.end_object();
  return w.take();
}

inline std::string write(const FeedbackRequest& r) {
  Writer w;
  w.begin_object();
  w.key("call_id").str(r.call_id);
  w.key("outcome").str(to_string(r.outcome));
  if (r.customer_ref) w.key("customer_ref").str(*r.customer_ref);
  write_at(w, "at", r.at);
  w.end_object();
  return w.take();
}

inline std::string write(const UnmergeRequest& r) {
  Writer w;
  w.begin_object().key("merge_id").str(r.merge_id).end_object();
  return w.take();
}

// ---------------------------------------------------------------------------
// Reading answers, with the C ABI's reader.

using Json = const callmem_json_value*;

// A parsed answer; frees itself.
class Document {
 public:
  explicit Document(const std::string& text) {
    if (callmem_json_parse(&doc_, text.c_str()) != CALLMEM_OK)
      throw Error(Status::error, std::string("unreadable answer: ") + callmem_last_error());
  }
  ~Document() { callmem_json_free(doc_); }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  Json root() const { return callmem_json_root(doc_); }

 private:
  callmem_json* doc_ = nullptr;
};

inline Json get(Json v, const char* key) { return callmem_json_get(v, key); }

inline std::string str(Json v) {
  std::size_t n = 0;
  const char* s = callmem_json_string(v, &n);
  return s ? std::string(s, n) : std::string();
}
inline std::string str(Json v, const char* key) { return str(get(v, key)); }
inline std::int64_t i64(Json v, const char* key) { return callmem_json_int64(get(v, key)); }
inline double num(Json v, const char* key) { return callmem_json_double(get(v, key)); }
inline bool boolean(Json v, const char* key) { return callmem_json_bool(get(v, key)) != 0; }
inline Millis time(Json v, const char* key) { return parse_time(str(v, key)); }

// An enum of an answer, by its spelling; the library writes no other.
template <class E>
E enumerated(Json v, const char* key) {
  const std::string s = str(v, key);
  if (const std::optional<E> e = from_string<E>(s)) return *e;
  throw Error(Status::error, std::string("unreadable answer: ") + key + " is \"" + s + "\"");
}

inline JsonText raw(Json v) {
  char* out = nullptr;
  if (callmem_json_write(v, &out) != CALLMEM_OK) throw Error(Status::error, callmem_last_error());
  const std::unique_ptr<char, void (*)(void*)> owned(out, callmem_free);
  return JsonText{std::string(out)};
}

// Calls f(element) for each element of an array (none when v is no array).
template <class F>
void each(Json v, F&& f) {
  if (callmem_json_type(v) != CALLMEM_JSON_ARRAY) return;
  for (std::size_t i = 0, n = callmem_json_size(v); i < n; ++i) f(callmem_json_at(v, i));
}

// Calls f(key, value) for each member of an object (none when v is no object).
template <class F>
void each_member(Json v, F&& f) {
  if (callmem_json_type(v) != CALLMEM_JSON_OBJECT) return;
  for (std::size_t i = 0, n = callmem_json_size(v); i < n; ++i)
    f(std::string(callmem_json_key_at(v, i)), callmem_json_at(v, i));
}

inline std::vector<Intent> read_intents(Json v) {
  std::vector<Intent> out;
  each(v, [&](Json e) {
    out.push_back(Intent{str(e, "intent"), enumerated<IntentStatus>(e, "status"), i64(e, "attempt_count"),
                         time(e, "first_seen"), time(e, "last_seen")});
  });
  return out;
}

inline std::map<std::string, Variable> read_variables(Json v) {
  std::map<std::string, Variable> out;
  each_member(v, [&](std::string name, Json e) {
    out.emplace(std::move(name), Variable{raw(get(e, "value")), str(e, "source"), i64(e, "ttl_seconds"),
                                          time(e, "updated_at")});
  });
  return out;
}

inline Identity read_identity(Json v) {
  Identity id;
  id.confidence = num(v, "confidence");
  id.level = enumerated<ConfidenceLevel>(v, "level");
  each(get(v, "sources"), [&](Json s) { id.sources.push_back(str(s)); });
  id.recommendation = enumerated<Recommendation>(v, "recommendation");
  each(get(v, "evidence"), [&](Json e) {
    id.evidence.push_back(Evidence{str(e, "signal"), num(e, "weight"), str(e, "detail")});
  });
  each(get(v, "candidates"), [&](Json c) {
    id.candidates.push_back(Candidate{str(c, "customer_ref"), num(c, "confidence")});
  });
  return id;
}

inline StartResponse read_start(const std::string& text) {
  const Document d(text);
  const Json r = d.root();
  StartResponse s;
  s.call_id = str(r, "call_id");
  s.customer_ref = str(r, "customer_ref");
  s.call_start = time(r, "call_start");
  s.identity = read_identity(get(r, "identity"));
  s.open_intents = read_intents(get(r, "open_intents"));
  s.variables = read_variables(get(r, "variables"));
  return s;
}

inline EndResponse read_end(const std::string& text) {
  const Document d(text);
  const Json r = d.root();
  return EndResponse{str(r, "call_id"),          str(r, "customer_ref"),     time(r, "call_start"),
                     time(r, "call_end"),        i64(r, "duration_seconds"), i64(r, "intents_updated"),
                     i64(r, "variables_updated")};
}

inline CustomerView read_customer(const std::string& text) {
  const Document d(text);
  const Json r = d.root();
  CustomerView v;
  v.customer_ref = str(r, "customer_ref");
  v.created_at = time(r, "created_at");
  v.last_seen = time(r, "last_seen");
  each(get(r, "identities"), [&](Json e) {
    v.identities.push_back(LinkedIdentity{enumerated<IdentityType>(e, "type"), str(e, "key"), str(e, "value"),
                                          str(e, "line_type"), time(e, "first_seen"), time(e, "last_seen")});
  });
  v.intents = read_intents(get(r, "intents"));
  v.variables = read_variables(get(r, "variables"));
  each(get(r, "calls"), [&](Json e) {
    CallRecord c{str(e, "call_id"),
                 time(e, "call_start"),
                 time(e, "call_end"),
                 enumerated<Channel>(e, "channel"),
                 enumerated<Direction>(e, "direction"),
                 {}};
    each_member(get(e, "call_data"),
                [&](std::string k, Json x) { c.call_data.emplace(std::move(k), str(x)); });
    v.calls.push_back(std::move(c));
  });
  v.next_cursor = str(r, "next_cursor");
  return v;
}

inline Removed read_removed(Json v) {
  Removed r;
  r.identities = i64(v, "identities");
  r.intents = i64(v, "intents");
  r.variables = i64(v, "variables");
  r.calls = i64(v, "calls");
  r.customers = i64(v, "customers");
  r.aliases = i64(v, "aliases");
  r.merges = i64(v, "merges");
  return r;
}

inline ForgetReceipt read_forget(const std::string& text) {
  const Document d(text);
  return ForgetReceipt{str(d.root(), "customer_ref"), read_removed(get(d.root(), "removed"))};
}

inline TenantSettings read_settings(const std::string& text) {
  const Document d(text);
  const Json r = d.root();
  TenantSettings s;
  s.ttl_days = i64(r, "ttl_days");
  s.default_region = str(r, "default_region");
  const Json id = get(r, "identity");
  s.identity_profile = str(id, "profile");
  s.identity_merge_duplicates = boolean(id, "merge_duplicates");
  const Json w = get(id, "weights");
  for (const WeightField& f : kWeightFields)
    s.identity_weights.*f.value = callmem_json_double(callmem_json_find(w, f.path));
  const Json levels = get(r, "levels");
  s.level_very_high = num(levels, "very_high");
  s.level_high = num(levels, "high");
  s.level_medium = num(levels, "medium");
  const Json rec = get(r, "recommendations");
  s.reuse = num(rec, "reuse");
  s.confirm = num(rec, "confirm");
  const Json billing = get(r, "billing");
  s.billing_enabled = boolean(billing, "enabled");
  const Json prices = get(billing, "prices");
  s.prices = Prices{i64(prices, "start_new"), i64(prices, "start_returning"), i64(prices, "end")};
  s.rate_limit_per_minute = i64(get(r, "rate_limit"), "requests_per_minute");
  return s;
}

inline std::int64_t read_balance(const std::string& text) {
  const Document d(text);
  return i64(d.root(), "balance");
}

inline UsageReport read_usage(const std::string& text) {
  const Document d(text);
  UsageReport u;
  u.balance = i64(d.root(), "balance");
  each(get(d.root(), "days"), [&](Json e) {
    u.days.push_back(UsageRow{str(e, "day"), enumerated<UsageOperation>(e, "operation"), i64(e, "count"),
                              i64(e, "credits")});
  });
  return u;
}

inline PurgeResult read_purge(const std::string& text) {
  const Document d(text);
  return PurgeResult{read_removed(get(d.root(), "deleted")), boolean(d.root(), "more")};
}

inline FeedbackResponse read_feedback(const std::string& text) {
  const Document d(text);
  const Json r = d.root();
  FeedbackResponse f;
  f.call_id = str(r, "call_id");
  f.outcome = enumerated<FeedbackOutcome>(r, "outcome");
  f.previous_customer_ref = str(r, "previous_customer_ref");
  f.customer_ref = str(r, "customer_ref");
  f.customer_created = boolean(r, "customer_created");
  f.links_added = i64(r, "links_added");
  f.links_removed = i64(r, "links_removed");
  f.intents_moved = i64(r, "intents_moved");
  f.variables_moved = i64(r, "variables_moved");
  if (const Json m = get(r, "merge"); callmem_json_type(m) == CALLMEM_JSON_OBJECT) {
    const Json moved = get(m, "moved");
    f.merge = MergeSummary{str(m, "merge_id"),       str(m, "alias"),       str(m, "alias_of"),
                           i64(moved, "identities"), i64(moved, "intents"), i64(moved, "variables"),
                           i64(moved, "calls"),      i64(m, "conflicts")};
  }
  f.at = time(r, "at");
  return f;
}

inline UnmergeResponse read_unmerge(const std::string& text) {
  const Document d(text);
  const Json r = d.root();
  const Json restored = get(r, "restored");
  return UnmergeResponse{
      str(r, "merge_id"),          str(r, "customer_ref"),   str(r, "restored_customer_ref"),
      i64(restored, "identities"), i64(restored, "intents"), i64(restored, "variables"),
      i64(restored, "calls"),      time(r, "unmerged_at")};
}

// The exception of a failed C call: its status, callmem_last_error() as
// what() (it names the field and the problem), and the error document's issues.
inline Error error_from(int status, const char* document) {
  std::string message = callmem_last_error();  // before the reader's own calls reset it
  if (message.empty()) message = "callmem error " + std::to_string(status);
  std::vector<FieldIssue> issues;
  callmem_json* doc = nullptr;
  if (document && callmem_json_parse(&doc, document) == CALLMEM_OK) {
    each(callmem_json_find(callmem_json_root(doc), "details.issues"), [&](Json e) {
      FieldIssue issue;
      each(get(e, "path"), [&](Json p) { issue.path.push_back(str(p)); });
      issue.message = str(e, "message");
      issues.push_back(std::move(issue));
    });
    callmem_json_free(doc);
  }
  const Status s = status >= CALLMEM_ESTORE && status < 0 ? static_cast<Status>(status) : Status::error;
  return Error(s, std::move(message), std::move(issues));
}

}  // namespace detail
}  // namespace callmem

#endif
