// Tenants: the check of a tenant id, and a tenant's settings as operations
// read them (the engine's defaults until configured) and as a patch
// configures them. src/settings.hpp holds the settings' own rules.
#ifndef CALLMEM_TENANT_HPP
#define CALLMEM_TENANT_HPP

#include <string>

#include "callmem/types.hpp"
#include "context.hpp"
#include "store/store.hpp"
#include "time.hpp"

namespace callmem::tenants {

// Throws invalid_field({"tenant"}) unless 1-64 characters of A-Za-z0-9._-.
void check(const std::string& tenant);

// The row of the transaction's tenant; a tenant never configured has
// `defaults` and no credits.
TenantRow row_of(Transaction& tx, const TenantSettings& defaults);
inline TenantRow row_of(const Context& c) { return row_of(c.tx, c.defaults); }

inline Millis ttl_of(const TenantSettings& s) { return s.ttl_days * kDay; }

// Applies a patch that sets something to the tenant's settings, checks the
// whole, moves the expiry of what follows the ttl when it changed, and
// stores them. The settings as stored.
TenantSettings configure(const Context& c, const TenantSettingsPatch& patch);

}  // namespace callmem::tenants

#endif
