// API keys of `callmem serve` as the engine keeps them (their hash, never
// the key; server/api_keys.hpp makes both): the checks of a new key, its
// creation and its revocation. Keys are across tenants: a request names its
// key, not its tenant.
#ifndef CALLMEM_API_KEYS_HPP
#define CALLMEM_API_KEYS_HPP

#include <string>

#include "clock.hpp"
#include "store/store.hpp"

namespace callmem::api_keys {

// Throws invalid_field unless the key names a valid tenant, a name of at
// most 64 characters, a key_id "key_" and 16 hex digits, and a hex SHA-256.
void check_new(const ApiKeyRow& key);

// Stores the key as given, created at `now`, not revoked; conflict when its
// key_id or hash exists already.
ApiKeyRow create(AcrossTenants& tx, const ApiKeyRow& key, Millis now);

// The key, revoked from now on: at clock's now when it was live (`wrote`),
// else at the first time. not_found for an unknown key_id.
ApiKeyRow revoke(AcrossTenants& tx, const std::string& key_id, const Clock& clock, bool& wrote);

}  // namespace callmem::api_keys

#endif
