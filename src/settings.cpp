#include "settings.hpp"

#include "callmem/error.hpp"

namespace callmem {

void apply(TenantSettings& s, const TenantSettingsPatch& p) {
  if (p.ttl_days) s.ttl_days = *p.ttl_days;
  if (p.default_region) s.default_region = *p.default_region;
  if (p.identity_profile) s.identity_profile = *p.identity_profile;
  if (p.level_very_high) s.level_very_high = *p.level_very_high;
  if (p.level_high) s.level_high = *p.level_high;
  if (p.level_medium) s.level_medium = *p.level_medium;
  if (p.reuse) s.reuse = *p.reuse;
  if (p.confirm) s.confirm = *p.confirm;
  if (p.billing_enabled) s.billing_enabled = *p.billing_enabled;
  if (p.price_start_new) s.prices.start_new = *p.price_start_new;
  if (p.price_start_returning) s.prices.start_returning = *p.price_start_returning;
  if (p.price_end) s.prices.end = *p.price_end;
}

void check(const TenantSettings& s, const std::vector<std::string>& base) {
  const auto fail = [&](std::vector<std::string> path, const char* message) {
    path.insert(path.begin(), base.begin(), base.end());
    return invalid_field(std::move(path), message);
  };
  if (s.identity_profile != "probabilistic" && s.identity_profile != "hosted")
    throw fail({"identity", "profile"}, "identity.profile must be probabilistic or hosted");
  if (s.ttl_days < 1 || s.ttl_days > 365) throw fail({"ttl_days"}, "ttl_days must be an integer from 1 to 365");
  for (double t : {s.level_very_high, s.level_high, s.level_medium})
    if (!(t >= 0 && t <= 1)) throw fail({"levels"}, "levels must be numbers in [0, 1]");
  for (double t : {s.reuse, s.confirm})
    if (!(t >= 0 && t <= 1)) throw fail({"recommendations"}, "recommendations must be numbers in [0, 1]");
  if (s.prices.start_new < 0 || s.prices.start_returning < 0 || s.prices.end < 0)
    throw fail({"billing", "prices"}, "prices must not be negative");
  if (!(s.level_very_high >= s.level_high && s.level_high >= s.level_medium))
    throw fail({"levels"}, "levels must satisfy very_high >= high >= medium");
  if (!(s.reuse >= s.confirm)) throw fail({"recommendations"}, "recommendations must satisfy reuse >= confirm");
}

}  // namespace callmem
