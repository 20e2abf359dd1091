// Scoring: how likely a call is each candidate customer. The store finds the
// candidates and what is known of them; a Scorer turns that into a
// confidence with its explanation. A scorer never touches the store.
#ifndef CALLMEM_IDENTITY_SCORER_HPP
#define CALLMEM_IDENTITY_SCORER_HPP

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "identity/identifiers.hpp"

namespace callmem {

// What a tenant's identity feedback taught: by the first source token of the
// answers the hosts confirmed or rejected ("ani:landline", "external_id"...).
struct FeedbackCounts {
  std::int64_t confirmed = 0;
  std::int64_t rejected = 0;
  double predicted = 0;  // the sum of the probabilities those answers were given with
};
using LearnedFeedback = std::map<std::string, FeedbackCounts>;

// What this call says about who is calling.
struct CallEvidence {
  const CallIdentifiers* identifiers = nullptr;
  const Telco* telco = nullptr;
  bool ref_given = false;  // the call named a customer_ref (live or not)
  Millis at = 0;
  const LearnedFeedback* learned = nullptr;  // the tenant's; null: the defaults alone
  const IdentityWeights* weights = nullptr;  // the tenant's (probabilistic); null: the defaults
};

// What is known of one candidate customer, as it bears on this call.
struct CandidateFacts {
  std::string customer_ref;
  bool ani_match = false;
  std::string ani_line_type;  // the line type stored with the matching link
  // The number's type decided from every call's carrier data, this call's
  // included (identity/number_learning.hpp); "" when undecided: then the
  // call's telco.line_type, else ani_line_type.
  std::string number_line;
  std::string ani_line_reports;  // the matching link's own reports of the type (stored form)
  // Distinct days on which the hosts confirmed the number as this customer's,
  // since an answer on it was last rejected or corrected or another customer
  // was linked to it.
  std::int64_t ani_confirmed_days = 0;
  std::int64_t ani_confirmed_on = 0;  // the day of the last one counted or forgotten; 0: never
  Millis ani_last_seen = 0;
  int ani_customers = 0;  // live customers linked to the call's number, this one included
  // The hosts showed another person on the number (an answer on it rejected
  // or corrected, or a confirmation while another customer was on it), and
  // have not confirmed its customer a TTL after: on a personal number, it is
  // one more who may call from it.
  bool ani_shown_shared = false;
  bool other_ani = false;  // linked to some number, not this call's (known only when looked up)
  std::vector<std::string> matched_keys;     // external id keys that agree
  std::vector<std::string> mismatched_keys;  // keys on file with another value than the call's
  bool ref_match = false;                    // the call named this customer_ref
  Millis last_seen = 0;                      // the customer's last call
  bool open_intent = false;                  // has an unresolved intent
};

struct Assessment {
  double confidence = 0;             // in [0, 1], as answered (a safety rule may hold it down)
  double probability = 0;            // the model's own: who the caller most likely is
  std::vector<std::string> sources;  // the contract's summary tokens
  std::vector<Evidence> evidence;    // each signal's contribution
  std::string line;                  // the line type the ANI was judged as, when it matched
  std::string hold;                  // why not to reuse on this evidence alone, if so
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  // One assessment per candidate, in the same order. Candidates compete: a
  // number shared by three customers gives each of them a share.
  virtual std::vector<Assessment> assess(const CallEvidence& call,
                                         const std::vector<CandidateFacts>& candidates) const = 0;
};

// Fellegi-Sunter: each signal adds log2(m/u) when it agrees and
// log2((1-m)/(1-u)) when it disagrees; the candidates and "someone not yet
// known" share the probability. The default (docs/identity.md).
std::unique_ptr<Scorer> make_probabilistic_scorer();

// The hosted product's documented additive weights: an ANI on a mobile line
// +0.5, an external id +0.4, an unknown line type 0. The rest (landline,
// VoIP, customer_ref, recency, intent continuity) are callmem's decisions,
// documented in docs/identity.md.
std::unique_ptr<Scorer> make_hosted_scorer();

}  // namespace callmem

#endif
