// Scoring: how likely a call is each candidate customer. The store finds the
// candidates and what is known of them; a Scorer turns that into a
// confidence with its explanation. A scorer never touches the store.
#ifndef CALLMEM_IDENTITY_SCORER_HPP
#define CALLMEM_IDENTITY_SCORER_HPP

#include <memory>
#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "identity/identifiers.hpp"

namespace callmem {

// What this call says about who is calling.
struct CallEvidence {
  const CallIdentifiers* identifiers = nullptr;
  const Telco* telco = nullptr;
  Millis at = 0;
};

// What is known of one candidate customer, as it bears on this call.
struct CandidateFacts {
  std::string customer_ref;
  bool ani_match = false;
  std::string ani_line_type;  // the line type last stored on the matching link
  Millis ani_last_seen = 0;
  std::vector<std::string> matched_keys;     // external id keys that agree
  bool ref_match = false;                    // the call named this customer_ref
  Millis last_seen = 0;                      // the customer's last call
  bool open_intent = false;                  // has an unresolved intent
};

struct Assessment {
  double confidence = 0;  // in [0, 1]
  std::vector<std::string> sources;  // the contract's summary tokens
  std::vector<Evidence> evidence;    // each signal's contribution
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual Assessment assess(const CallEvidence& call, const CandidateFacts& candidate) const = 0;
};

// The hosted product's documented additive weights: an ANI on a mobile line
// +0.5, an external id +0.4, an unknown line type 0. The rest (landline,
// VoIP, customer_ref, recency, intent continuity) are callmem's decisions,
// documented in docs/identity.md.
std::unique_ptr<Scorer> make_hosted_scorer();

}  // namespace callmem

#endif
