// What of a call's identity hints can identify a customer, normalised.
#ifndef CALLMEM_IDENTITY_IDENTIFIERS_HPP
#define CALLMEM_IDENTITY_IDENTIFIERS_HPP

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "callmem/types.hpp"
#include "identity/phone.hpp"
#include "store/store.hpp"

namespace callmem {

// True for external id keys that name one interaction rather than a person
// (*_call_id, *_call_sid, *session*, *contact_id, campaign_id, skill_id,
// agent_id, ...): call data, never identity evidence.
bool is_interaction_key(std::string_view key);

// Trimmed; an e-mail address (key contains "email") lowercased.
std::string normalise_external_id(std::string_view key, std::string_view value);

// The identifiers of a call: its ANI (when a number) and its identity
// external ids. Interaction ids go to `call_data` when it is not null.
// A national ANI is read in the DNIS's country, else in `default_region`.
struct CallIdentifiers {
  ParsedPhone ani;  // kind invalid with empty reason when no ANI was given
  bool ani_given = false;
  std::vector<Identifier> ids;  // ani first, then external ids by key
};
CallIdentifiers identifiers_of(const IdentityHints& hints, const std::string& default_region,
                               std::map<std::string, std::string>* call_data);
// Only the external ids (call end's `external_ids`).
std::vector<Identifier> external_identifiers(const std::map<std::string, std::string>& external_ids,
                                             std::map<std::string, std::string>* call_data);

}  // namespace callmem

#endif
