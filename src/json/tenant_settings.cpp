// Tenant settings and the open configuration, both ways: the settings patch
// and the configuration read (every key known, at every level), the settings
// written, and the identity weights in the form a store keeps them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "identity/phone.hpp"
#include "json/codec.hpp"
#include "json/run.hpp"
#include "settings.hpp"

namespace callmem::json {
namespace {

constexpr std::int64_t kMaxPrice = 1000000;
constexpr std::int64_t kMaxBusyTimeoutMs = 3600000;
constexpr std::int64_t kMaxCacheMb = 65536;  // 64 GiB a connection

// The group of settings `name` of `o` (identity, levels, ...) when given,
// an object, with only the keys `known`; `path` is set to its path.
const Value* group(const Value& o, const Path& base, const char* name,
                   std::initializer_list<std::string_view> known, Path& path, Issues& is) {
  const Value* v = field(o, name);
  if (!v) return nullptr;
  path = base + name;
  if (!check_object(*v, path, is)) return nullptr;
  check_keys(*v, path, known, "a setting", label(path) + " has", is);
  return v;
}

// The number of path elements of a weight (its path ends at the first null).
std::size_t depth(const WeightField& f) {
  std::size_t n = 0;
  while (n < f.path.size() && f.path[n]) ++n;
  return n;
}

// The identity weights below `prefix` (a path into kWeightFields, below
// identity.weights): each key must name a weight or a group of them.
void read_weights(const Value& v, const Path& path, const std::vector<std::string_view>& prefix,
                  IdentityWeightsPatch& p, Issues& is) {
  if (!check_object(v, path, is)) return;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const Path kp = path + key_label(view(it->name));
    std::vector<std::string_view> sub = prefix;
    sub.push_back(view(it->name));
    const WeightField* leaf = nullptr;
    bool is_group = false;
    for (const WeightField& f : kWeightFields) {
      const std::size_t n = depth(f);
      if (sub.size() > n || !std::equal(sub.begin(), sub.end(), f.path.begin())) continue;
      if (sub.size() == n)
        leaf = &f;
      else
        is_group = true;
    }
    if (!leaf && !is_group) {
      is.add(kp, fmt::format("{} is not an identity weight", label(kp)));
    } else if (it->value.IsNull()) {
      continue;  // as absent
    } else if (leaf) {
      if (!it->value.IsNumber()) {
        is.add(kp, fmt::format("{} must be a number", label(kp)));
      } else if (const double d = it->value.GetDouble(); !std::isfinite(d) || !in_range(*leaf, d)) {
        is.add(kp, range_message(*leaf, label(kp)));
      } else {
        p.*leaf->patch = d;
      }
    } else {
      read_weights(it->value, kp, sub, p, is);
    }
  }
}

void read_default_region(const Value& v, const Path& rp, TenantSettingsPatch& p, Issues& is) {
  const bool ok = v.IsString() && v.GetStringLength() == 2 && v.GetString()[0] >= 'A' &&
                  v.GetString()[0] <= 'Z' && v.GetString()[1] >= 'A' && v.GetString()[1] <= 'Z';
  if (!ok)
    is.add(rp, fmt::format("{} must be two uppercase ASCII letters, like US", label(rp)));
  else if (!is_known_region(view(v)))
    is.add(rp, unknown_region_message(label(rp), std::string(view(v))));
  else
    p.default_region = std::string(view(v));
}

// The settings of `o`, every key known, at every level (check_keys).
void read_settings(const Value& o, const Path& base, TenantSettingsPatch& p, Issues& is) {
  check_keys(o, base,
             {"ttl_days", "default_region", "identity", "levels", "recommendations", "billing", "rate_limit"},
             "a setting", "the settings are", is);
  if (const Value* v = field(o, "ttl_days")) p.ttl_days = read_int(*v, base + "ttl_days", 1, 365, is);
  if (const Value* v = field(o, "default_region")) read_default_region(*v, base + "default_region", p, is);
  Path gp;
  if (const Value* v = group(o, base, "identity", {"profile", "weights", "merge_duplicates"}, gp, is)) {
    if (const Value* f = field(*v, "profile"))
      p.identity_profile = read_enum(*f, gp + "profile", {"probabilistic", "hosted"}, is);
    if (const Value* f = field(*v, "merge_duplicates"))
      p.identity_merge_duplicates = read_bool(*f, gp + "merge_duplicates", is);
    if (const Value* f = field(*v, "weights")) read_weights(*f, gp + "weights", {}, p.identity_weights, is);
  }
  if (const Value* v = group(o, base, "levels", {"very_high", "high", "medium"}, gp, is)) {
    if (const Value* f = field(*v, "very_high")) p.level_very_high = read_unit(*f, gp + "very_high", is);
    if (const Value* f = field(*v, "high")) p.level_high = read_unit(*f, gp + "high", is);
    if (const Value* f = field(*v, "medium")) p.level_medium = read_unit(*f, gp + "medium", is);
  }
  if (const Value* v = group(o, base, "recommendations", {"reuse", "confirm"}, gp, is)) {
    if (const Value* f = field(*v, "reuse")) p.reuse = read_unit(*f, gp + "reuse", is);
    if (const Value* f = field(*v, "confirm")) p.confirm = read_unit(*f, gp + "confirm", is);
  }
  if (const Value* v = group(o, base, "billing", {"enabled", "prices"}, gp, is)) {
    if (const Value* f = field(*v, "enabled")) p.billing_enabled = read_bool(*f, gp + "enabled", is);
    Path pp;
    if (const Value* pr = group(*v, gp, "prices", {"start_new", "start_returning", "end"}, pp, is)) {
      if (const Value* f = field(*pr, "start_new"))
        p.price_start_new = read_int(*f, pp + "start_new", 0, kMaxPrice, is);
      if (const Value* f = field(*pr, "start_returning"))
        p.price_start_returning = read_int(*f, pp + "start_returning", 0, kMaxPrice, is);
      if (const Value* f = field(*pr, "end")) p.price_end = read_int(*f, pp + "end", 0, kMaxPrice, is);
    }
  }
  if (const Value* v = group(o, base, "rate_limit", {"requests_per_minute"}, gp, is)) {
    if (const Value* f = field(*v, "requests_per_minute"))
      p.rate_limit_per_minute = read_int(*f, gp + "requests_per_minute", 0, kMaxRateLimit, is);
  }
}

// The weights as the members of an object, nested in groups, in the order
// of kWeightFields; with `changed_only`, only those that differ from the
// defaults.
void write_weights(Out& o, const IdentityWeights& w, bool changed_only) {
  const IdentityWeights defaults;
  std::vector<const char*> open;  // the groups open now
  for (const WeightField& f : kWeightFields) {
    const double v = w.*f.value;
    if (changed_only && v == defaults.*f.value) continue;
    const std::size_t n = depth(f);
    std::size_t common = 0;
    while (common < open.size() && common + 1 < n && std::string_view(open[common]) == f.path[common])
      ++common;
    for (; open.size() > common; open.pop_back()) o.end_object();
    for (std::size_t i = open.size(); i + 1 < n; ++i) {
      o.key(f.path[i]).begin_object();
      open.push_back(f.path[i]);
    }
    o.key(f.path[n - 1]).num(v);
  }
  for (; !open.empty(); open.pop_back()) o.end_object();
}

}  // namespace

TenantSettingsPatch parse_settings(std::string_view text) {
  return decode<TenantSettingsPatch>(
      text, kRequest,
      [](const Value& doc, Issues& is, TenantSettingsPatch& p) { read_settings(doc, {}, p, is); });
}

EngineOptions parse_open_config(std::string_view text) {
  return decode<EngineOptions>(text, kRequestOrEmpty, [](const Value& doc, Issues& is, EngineOptions& o) {
    check_keys(
        doc, {},
        {"store", "path", "dsn", "schema", "pool_size", "busy_timeout_ms", "cache_mb", "default_settings"},
        "an open configuration key", "they are", is);
    if (const Value* v = field(doc, "store"))
      o.store = read_enum(*v, {"store"}, {"sqlite", "postgres"}, is).value_or(o.store);
    if (const Value* v = field(doc, "path"))
      o.path = read_text(*v, {"path"}, 1, kNoLimit, is).value_or(o.path);
    if (const Value* v = field(doc, "dsn")) o.dsn = read_text(*v, {"dsn"}, 1, kNoLimit, is).value_or(o.dsn);
    if (const Value* v = field(doc, "schema"))
      o.schema = read_text(*v, {"schema"}, 1, 63, is).value_or(o.schema);
    if (const Value* v = field(doc, "pool_size"))
      o.pool_size = static_cast<int>(read_int(*v, {"pool_size"}, 1, 1000, is).value_or(o.pool_size));
    if (const Value* v = field(doc, "busy_timeout_ms"))
      o.busy_timeout_ms = static_cast<int>(
          read_int(*v, {"busy_timeout_ms"}, 0, kMaxBusyTimeoutMs, is).value_or(o.busy_timeout_ms));
    if (const Value* v = field(doc, "cache_mb"))
      o.cache_mb = static_cast<int>(read_int(*v, {"cache_mb"}, 1, kMaxCacheMb, is).value_or(o.cache_mb));
    if (const Value* v = field(doc, "default_settings")) {
      const Path sp{"default_settings"};
      if (check_object(*v, sp, is)) {
        const std::size_t before = is.size();
        TenantSettingsPatch patch;
        read_settings(*v, sp, patch, is);
        apply(o.default_settings, patch);
        if (is.size() == before) check(o.default_settings, sp);
      }
    }
    if (o.store == "postgres" && o.dsn.empty()) is.add({"dsn"}, "dsn is required with store postgres");
  });
}

std::string write(const TenantSettings& s) {
  return encode([&](Out& o) {
    o.key("ttl_days").i64(s.ttl_days);
    o.key("default_region").str(s.default_region);
    o.key("identity").begin_object();
    o.key("profile").str(s.identity_profile);
    o.key("weights").begin_object();
    write_weights(o, s.identity_weights, false);
    o.end_object();
    o.key("merge_duplicates").boolean(s.identity_merge_duplicates);
    o.end_object();
    o.key("levels").begin_object();
    o.key("very_high").num(s.level_very_high);
    o.key("high").num(s.level_high);
    o.key("medium").num(s.level_medium);
    o.end_object();
    o.key("recommendations").begin_object();
    o.key("reuse").num(s.reuse);
    o.key("confirm").num(s.confirm);
    o.end_object();
    o.key("billing").begin_object();
    o.key("enabled").boolean(s.billing_enabled);
    o.key("prices").begin_object();
    o.key("start_new").i64(s.prices.start_new);
    o.key("start_returning").i64(s.prices.start_returning);
    o.key("end").i64(s.prices.end);
    o.end_object();
    o.end_object();
    o.key("rate_limit").begin_object();
    o.key("requests_per_minute").i64(s.rate_limit_per_minute);
    o.end_object();
  });
}

std::string write_identity_weights(const IdentityWeights& w) {
  return encode([&](Out& o) { write_weights(o, w, true); });
}

IdentityWeights read_identity_weights(std::string_view text) {
  if (text == "{}") return IdentityWeights{};  // the defaults: nothing to parse
  return decode<IdentityWeights>(text, kStoredOrEmpty, [](const Value& doc, Issues& is, IdentityWeights& w) {
    TenantSettingsPatch p;
    read_weights(doc, {}, {}, p.identity_weights, is);
    is.throw_if_any();
    TenantSettings s;
    apply(s, p);
    check(s);
    w = s.identity_weights;
  });
}

}  // namespace callmem::json
