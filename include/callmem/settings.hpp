// A tenant's settings (TTL, region, identity scoring and its weights,
// thresholds, billing, rate limit) and the patch that changes some of them.
#ifndef CALLMEM_PUBLIC_SETTINGS_HPP
#define CALLMEM_PUBLIC_SETTINGS_HPP

#include <cstdint>
#include <optional>
#include <string>

#include "callmem/billing.hpp"

namespace callmem {

// The probabilistic scorer's parameters (docs/identity.md), per tenant: m =
// P(the signal | the caller is the candidate), u = P(the signal | the caller
// is someone else); recency and open_intent are likelihood ratios. The
// defaults are the documented ones. Settings JSON: identity.weights
// (ani.m, ani.u.<line type>, external_id.m/u, customer_ref.m/u,
// recency.within_day/within_week/over_30_days, open_intent).
struct IdentityWeights {
  double ani_m = 0.85;          // the caller calls from a number linked to them
  double ani_u_mobile = 0.002;  // someone else calls from it, by its line type
  double ani_u_landline = 0.7;
  double ani_u_voip = 0.5;
  double ani_u_unknown = 0.01;   // unknown type, North America's fixed-or-mobile; and for
                                 // a call from a number not on file, ani.m against this u
  double ani_u_business = 0.9;   // toll free, premium rate, shared cost, corporate UAN
  double external_id_m = 0.999;  // per key, agreeing or differing
  double external_id_u = 0.0005;
  double customer_ref_m = 0.99;  // the host named this customer, or another
  double customer_ref_u = 0.0001;
  double recency_within_day = 2;  // likelihood ratios of the customer's last call
  double recency_within_week = 1.5;
  double recency_over_30_days = 0.8;
  double open_intent = 2;  // likelihood ratio of an unresolved intent
};

// Any subset of the weights; what is absent keeps its value.
struct IdentityWeightsPatch {
  std::optional<double> ani_m, ani_u_mobile, ani_u_landline, ani_u_voip, ani_u_unknown, ani_u_business;
  std::optional<double> external_id_m, external_id_u;
  std::optional<double> customer_ref_m, customer_ref_u;
  std::optional<double> recency_within_day, recency_within_week, recency_over_30_days;
  std::optional<double> open_intent;
};

struct TenantSettings {
  std::int64_t ttl_days = 30;
  std::string default_region = "US";  // where a national ANI is read when the DNIS does not tell
  // How identity is scored: "probabilistic" (Fellegi-Sunter, docs/identity.md)
  // or "hosted" (the hosted product's documented additive weights).
  std::string identity_profile = "probabilistic";
  IdentityWeights identity_weights;  // used by the probabilistic profile
  // Whether a confirmation may merge a customer made twice: the confirmed
  // customer and one other on the caller's own mobile, with no identity key
  // telling them apart (docs/feedback.md, "Duplicates found by a confirmation").
  bool identity_merge_duplicates = true;
  double level_very_high = 0.9;
  double level_high = 0.7;
  double level_medium = 0.5;
  double reuse = 0.5;
  double confirm = 0.3;
  bool billing_enabled = false;
  Prices prices;
  // `callmem serve`: requests per minute a tenant's keys may make, over a
  // rolling 60 seconds (429 past it); 0 is no limit.
  std::int64_t rate_limit_per_minute = 0;
};

// Any subset of the settings; what is absent keeps its value.
struct TenantSettingsPatch {
  std::optional<std::int64_t> ttl_days;
  std::optional<std::string> default_region;
  std::optional<std::string> identity_profile;
  IdentityWeightsPatch identity_weights;
  std::optional<bool> identity_merge_duplicates;
  std::optional<double> level_very_high, level_high, level_medium;
  std::optional<double> reuse, confirm;
  std::optional<bool> billing_enabled;
  std::optional<std::int64_t> price_start_new, price_start_returning, price_end;
  std::optional<std::int64_t> rate_limit_per_minute;
};

}  // namespace callmem

#endif
