// Tenant settings: applying a patch and checking the whole.
#ifndef CALLMEM_SETTINGS_HPP
#define CALLMEM_SETTINGS_HPP

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "callmem/types.hpp"

namespace callmem {

// Sets what the patch gives; the rest keeps its value.
void apply(TenantSettings& s, const TenantSettingsPatch& p);
// Whether the patch sets nothing ({}); reads every field apply() does.
bool empty(const TenantSettingsPatch& p);

// Throws Error(Status::invalid) naming the field (below `base`) unless every
// value is in range and the thresholds are ordered (very_high >= high >=
// medium, reuse >= confirm), each identity weight is in its range with m
// above u where the signal's direction needs it, and default_region is a
// region the phone number library knows.
void check(const TenantSettings& s, const std::vector<std::string>& base = {});

// The message for a default_region the phone number library does not know
// (`name` is the field's dotted path).
std::string unknown_region_message(const std::string& name, const std::string& region);

// The identity weights, one entry per parameter, by their path below
// identity.weights in the settings JSON ({"ani", "u", "mobile"}), in the
// order they are written. The codec reads and writes them from this table;
// check() tests their ranges.
struct WeightField {
  enum class Kind {
    probability,  // in (0, 1)
    boost,        // a likelihood ratio from 1 to kMaxWeightRatio
    damp,         // a likelihood ratio from 1 / kMaxWeightRatio to 1
  };
  std::array<const char*, 3> path;  // unused trailing elements are null
  double IdentityWeights::*value;
  std::optional<double> IdentityWeightsPatch::*patch;
  Kind kind;
};
inline constexpr double kMaxWeightRatio = 16;  // 4 bits: recency and intents never identify anyone
// rate_limit.requests_per_minute at most (0 is no limit).
inline constexpr std::int64_t kMaxRateLimit = 1000000;
extern const std::array<WeightField, 14> kWeightFields;

// Whether v is in the field's range, and the message when not (`name` is the
// field's dotted path as the caller wrote it).
bool in_range(const WeightField& f, double v);
std::string range_message(const WeightField& f, const std::string& name);

}  // namespace callmem

#endif
