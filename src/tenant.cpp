// Tenants: the id check, reading settings with the defaults, configuring them.
#include "tenant.hpp"

#include <algorithm>

#include "callmem/error.hpp"
#include "settings.hpp"

namespace callmem::tenants {

constexpr std::size_t kMaxTenant = 64;

void check(const std::string& tenant) {
  const bool ok =
      !tenant.empty() && tenant.size() <= kMaxTenant && std::all_of(tenant.begin(), tenant.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
      });
  if (!ok) throw invalid_field({"tenant"}, "tenant must be 1-64 characters of A-Za-z0-9._-");
}

TenantRow row_of(Transaction& tx, const TenantSettings& defaults) {
  if (auto row = tx.tenant_get()) return *row;
  return TenantRow{defaults, 0};
}

TenantSettings configure(const Context& c, const TenantSettingsPatch& p) {
  TenantRow row = row_of(c);
  TenantSettings& s = row.settings;
  const std::int64_t old_ttl = s.ttl_days;
  apply(s, p);
  callmem::check(s);  // the settings' check (settings.hpp), not the tenant id's
  if (s.ttl_days != old_ttl) c.tx.tenant_shift_expiry((s.ttl_days - old_ttl) * kDay);
  c.tx.tenant_put(row);
  return s;
}

}  // namespace callmem::tenants
