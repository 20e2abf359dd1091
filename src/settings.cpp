#include "settings.hpp"

#include <fmt/format.h>

#include "callmem/error.hpp"
#include "identity/phone.hpp"

namespace callmem {

using Kind = WeightField::Kind;
// One line a weight: clang-format would spread each over four.
// clang-format off
const std::array<WeightField, 14> kWeightFields = {{
    {{"ani", "m", nullptr},                 &IdentityWeights::ani_m,                &IdentityWeightsPatch::ani_m,                Kind::probability},
    {{"ani", "u", "mobile"},                &IdentityWeights::ani_u_mobile,         &IdentityWeightsPatch::ani_u_mobile,         Kind::probability},
    {{"ani", "u", "landline"},              &IdentityWeights::ani_u_landline,       &IdentityWeightsPatch::ani_u_landline,       Kind::probability},
    {{"ani", "u", "voip"},                  &IdentityWeights::ani_u_voip,           &IdentityWeightsPatch::ani_u_voip,           Kind::probability},
    {{"ani", "u", "unknown"},               &IdentityWeights::ani_u_unknown,        &IdentityWeightsPatch::ani_u_unknown,        Kind::probability},
    {{"ani", "u", "business"},              &IdentityWeights::ani_u_business,       &IdentityWeightsPatch::ani_u_business,       Kind::probability},
    {{"external_id", "m", nullptr},         &IdentityWeights::external_id_m,        &IdentityWeightsPatch::external_id_m,        Kind::probability},
    {{"external_id", "u", nullptr},         &IdentityWeights::external_id_u,        &IdentityWeightsPatch::external_id_u,        Kind::probability},
    {{"customer_ref", "m", nullptr},        &IdentityWeights::customer_ref_m,       &IdentityWeightsPatch::customer_ref_m,       Kind::probability},
    {{"customer_ref", "u", nullptr},        &IdentityWeights::customer_ref_u,       &IdentityWeightsPatch::customer_ref_u,       Kind::probability},
    {{"recency", "within_day", nullptr},    &IdentityWeights::recency_within_day,   &IdentityWeightsPatch::recency_within_day,   Kind::boost},
    {{"recency", "within_week", nullptr},   &IdentityWeights::recency_within_week,  &IdentityWeightsPatch::recency_within_week,  Kind::boost},
    {{"recency", "over_30_days", nullptr},  &IdentityWeights::recency_over_30_days, &IdentityWeightsPatch::recency_over_30_days, Kind::damp},
    {{"open_intent", nullptr, nullptr},     &IdentityWeights::open_intent,          &IdentityWeightsPatch::open_intent,          Kind::boost},
}};
// clang-format on

bool in_range(const WeightField& f, double v) {
  switch (f.kind) {
    case Kind::probability:
      return v > 0 && v < 1;
    case Kind::boost:
      return v >= 1 && v <= kMaxWeightRatio;
    case Kind::damp:
      return v >= 1 / kMaxWeightRatio && v <= 1;
  }
  return false;
}

std::string range_message(const WeightField& f, const std::string& name) {
  switch (f.kind) {
    case Kind::probability:
      return name + " must be a number above 0 and below 1";
    case Kind::boost:
      return fmt::format("{} must be a number from 1 to {}", name, kMaxWeightRatio);
    case Kind::damp:
      return fmt::format("{} must be a number from {} to 1", name, 1 / kMaxWeightRatio);
  }
  return name + " is out of range";
}

std::string unknown_region_message(const std::string& name, const std::string& region) {
  return fmt::format("{} {} is not a region libphonenumber knows (an ISO 3166-1 code, like US or GB)", name,
                     region);
}

void apply(TenantSettings& s, const TenantSettingsPatch& p) {
  if (p.ttl_days) s.ttl_days = *p.ttl_days;
  if (p.default_region) s.default_region = *p.default_region;
  if (p.identity_profile) s.identity_profile = *p.identity_profile;
  if (p.identity_merge_duplicates) s.identity_merge_duplicates = *p.identity_merge_duplicates;
  for (const WeightField& f : kWeightFields)
    if (const auto& v = p.identity_weights.*f.patch) s.identity_weights.*f.value = *v;
  if (p.level_very_high) s.level_very_high = *p.level_very_high;
  if (p.level_high) s.level_high = *p.level_high;
  if (p.level_medium) s.level_medium = *p.level_medium;
  if (p.reuse) s.reuse = *p.reuse;
  if (p.confirm) s.confirm = *p.confirm;
  if (p.billing_enabled) s.billing_enabled = *p.billing_enabled;
  if (p.price_start_new) s.prices.start_new = *p.price_start_new;
  if (p.price_start_returning) s.prices.start_returning = *p.price_start_returning;
  if (p.price_end) s.prices.end = *p.price_end;
  if (p.rate_limit_per_minute) s.rate_limit_per_minute = *p.rate_limit_per_minute;
}

bool empty(const TenantSettingsPatch& p) {
  for (const WeightField& f : kWeightFields)
    if (p.identity_weights.*f.patch) return false;
  return !p.ttl_days && !p.default_region && !p.identity_profile && !p.identity_merge_duplicates &&
         !p.level_very_high && !p.level_high && !p.level_medium && !p.reuse && !p.confirm &&
         !p.billing_enabled && !p.price_start_new && !p.price_start_returning && !p.price_end &&
         !p.rate_limit_per_minute;
}

namespace {

std::vector<std::string> weight_path(const WeightField& f) {
  std::vector<std::string> path{"identity", "weights"};
  for (const char* p : f.path)
    if (p) path.emplace_back(p);
  return path;
}

std::string dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& p : path) out += (out.empty() ? "" : ".") + p;
  return out;
}

}  // namespace

void check(const TenantSettings& s, const std::vector<std::string>& base) {
  const auto fail = [&](std::vector<std::string> path, const std::string& message) {
    path.insert(path.begin(), base.begin(), base.end());
    return invalid_field(std::move(path), message);
  };
  if (s.identity_profile != "probabilistic" && s.identity_profile != "hosted")
    throw fail({"identity", "profile"}, "identity.profile must be probabilistic or hosted");
  const IdentityWeights& w = s.identity_weights;
  for (const WeightField& f : kWeightFields) {
    if (in_range(f, w.*f.value)) continue;
    const std::vector<std::string> path = weight_path(f);
    throw fail(path, range_message(f, dotted(path)));
  }
  // Agreement must be evidence for the candidate, and disagreement against.
  // A landline's, VoIP's or business number's u may reach m or more: such a
  // number alone may point away from the one customer known on it.
  const auto above = [&](double m, double u, std::vector<std::string> u_path, const char* m_name) {
    if (!(m > u)) {
      std::vector<std::string> path{"identity", "weights"};
      path.insert(path.end(), u_path.begin(), u_path.end());
      throw fail(path, fmt::format("{} must be below identity.weights.{} ({})", dotted(path), m_name, m));
    }
  };
  above(w.ani_m, w.ani_u_mobile, {"ani", "u", "mobile"}, "ani.m");
  above(w.ani_m, w.ani_u_unknown, {"ani", "u", "unknown"}, "ani.m");
  above(w.external_id_m, w.external_id_u, {"external_id", "u"}, "external_id.m");
  above(w.customer_ref_m, w.customer_ref_u, {"customer_ref", "u"}, "customer_ref.m");
  if (s.ttl_days < 1 || s.ttl_days > 365)
    throw fail({"ttl_days"}, "ttl_days must be an integer from 1 to 365");
  if (!is_known_region(s.default_region)) {
    std::vector<std::string> path = base;
    path.emplace_back("default_region");
    throw fail({"default_region"}, unknown_region_message(dotted(path), s.default_region));
  }
  for (double t : {s.level_very_high, s.level_high, s.level_medium})
    if (!(t >= 0 && t <= 1)) throw fail({"levels"}, "levels must be numbers in [0, 1]");
  for (double t : {s.reuse, s.confirm})
    if (!(t >= 0 && t <= 1)) throw fail({"recommendations"}, "recommendations must be numbers in [0, 1]");
  if (s.prices.start_new < 0 || s.prices.start_returning < 0 || s.prices.end < 0)
    throw fail({"billing", "prices"}, "prices must not be negative");
  if (s.rate_limit_per_minute < 0 || s.rate_limit_per_minute > kMaxRateLimit)
    throw fail({"rate_limit", "requests_per_minute"},
               "rate_limit.requests_per_minute must be an integer from 0 (no limit) to 1000000");
  if (!(s.level_very_high >= s.level_high && s.level_high >= s.level_medium))
    throw fail({"levels"}, "levels must satisfy very_high >= high >= medium");
  if (!(s.reuse >= s.confirm))
    throw fail({"recommendations"}, "recommendations must satisfy reuse >= confirm");
}

}  // namespace callmem
