// Tenant settings: applying a patch and checking the whole.
#ifndef CALLMEM_SETTINGS_HPP
#define CALLMEM_SETTINGS_HPP

#include <string>
#include <vector>

#include "callmem/types.hpp"

namespace callmem {

// Sets what the patch gives; the rest keeps its value.
void apply(TenantSettings& s, const TenantSettingsPatch& p);

// Throws Error(Status::invalid) naming the field (below `base`) unless every
// value is in range and the thresholds are ordered (very_high >= high >=
// medium, reuse >= confirm).
void check(const TenantSettings& s, const std::vector<std::string>& base = {});

}  // namespace callmem

#endif
