// API keys of `callmem serve`: made from the operating system's CSPRNG, shown
// once, stored only as their SHA-256 (src/store keeps the hash, never the key).
#ifndef CALLMEM_SERVER_API_KEYS_HPP
#define CALLMEM_SERVER_API_KEYS_HPP

#include <string>
#include <string_view>

namespace callmem::server {

// A readable prefix, then 256 random bits in lowercase base32 (52 characters).
inline constexpr std::string_view kKeyPrefix = "cmk_";

// The tenant of an admin key (`callmem keys create --admin`): not a tenant
// name (those are A-Za-z0-9._-), so no /v1 request can run with it. An admin
// key signs in to the web console only, where it may switch tenants.
inline constexpr std::string_view kAdminTenant = "*";

struct NewKey {
  std::string key;     // shown to the operator once
  std::string key_id;  // "key_" and 16 hex digits: names the key in lists, logs and revoke
  std::string hash;    // hex SHA-256 of key: what the store keeps
};

NewKey make_key();

// Hex SHA-256 of a key as presented.
std::string hash_key(std::string_view key);

// What the Authorization header holds: a key, or why it does not.
enum class Bearer { key, missing, malformed };
Bearer parse_bearer(std::string_view header, std::string_view& key);

}  // namespace callmem::server

#endif
