// API keys: checks, creation and revocation (api_keys.hpp).
#include "api_keys.hpp"

#include <algorithm>

#include "callmem/error.hpp"
#include "tenant.hpp"

namespace callmem::api_keys {
namespace {

// Counts code points, as the contract's limits do.
std::size_t characters(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool hex_of_length(const std::string& s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

void check_new(const ApiKeyRow& key) {
  tenants::check(key.tenant);
  if (characters(key.name) > 64) throw invalid_field({"name"}, "name must be at most 64 characters");
  if (key.key_id.rfind("key_", 0) != 0 || !hex_of_length(key.key_id.substr(4), 16))
    throw invalid_field({"key_id"}, "key_id must be key_ and 16 hex digits");
  if (!hex_of_length(key.key_hash, 64)) throw invalid_field({"key_hash"}, "key_hash must be a hex SHA-256");
}

ApiKeyRow create(AcrossTenants& tx, const ApiKeyRow& key, Millis now) {
  ApiKeyRow row = key;
  row.created_at = now;
  row.revoked_at = 0;
  if (tx.api_key_by_id(row.key_id) || tx.api_key_by_hash(row.key_hash))
    throw Error(Status::conflict, "an API key with this key_id or key exists already");
  tx.api_key_insert(row);
  return row;
}

ApiKeyRow revoke(AcrossTenants& tx, const std::string& key_id, const Clock& clock, bool& wrote) {
  std::optional<ApiKeyRow> key = tx.api_key_by_id(key_id);
  if (!key) throw Error(Status::not_found, "no API key " + key_id);
  wrote = key->revoked_at == 0;
  if (wrote) {
    key->revoked_at = clock.now();
    tx.api_key_revoke(key->tenant, key_id, key->revoked_at);
  }
  return *key;
}

}  // namespace callmem::api_keys
