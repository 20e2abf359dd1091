// Who a call is: the candidate customers its identifiers (or its
// customer_ref) lead to, scored by the tenant's scorer; the decision (reuse,
// confirm, ignore; a new customer when nothing matched) with its level; and
// the links it leaves.
#ifndef CALLMEM_IDENTITY_RESOLVER_HPP
#define CALLMEM_IDENTITY_RESOLVER_HPP

#include <optional>
#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "context.hpp"
#include "identity/identifiers.hpp"
#include "identity/scorer.hpp"

namespace callmem::identity {

struct Scored {
  CandidateFacts facts;
  Assessment assessment;
  std::vector<IntentRow> open_intents;  // the candidate's, live after the horizon (read for the facts)
};

// Every customer linked to the call's identifiers (or named by its
// customer_ref), assessed by the tenant's scorer at `at`, best first. Rows
// count when they expire after `horizon` (normally `at`; 0 for erasure,
// which reaches expired rows not yet purged).
std::vector<Scored> candidates(const Context& c, const CallIdentifiers& ids, const IdentityHints& hints,
                               const Telco& telco, const TenantSettings& s, Millis at,
                               std::optional<Millis> horizon = std::nullopt);

struct Resolution {
  std::string customer_ref;
  bool created = false;
  Identity identity;
  // The chosen customer's open intents, live at the call's time: read while
  // scoring, so that the start's answer does not read them again.
  std::vector<IntentRow> open_intents;
};

// Decides who the call is, creating a customer when nothing matched, and
// links the call's identifiers: all of them to a new or reused customer;
// to a customer only to be confirmed or ignored, only the links that
// already matched are refreshed.
Resolution resolve(const Context& c, const IdentityHints& hints, const CallIdentifiers& ids,
                   const Telco& telco, const TenantSettings& s, Millis at);

// The tenant's thresholds applied to a confidence.
ConfidenceLevel level_of(double confidence, const TenantSettings& s);
Recommendation recommendation_of(double confidence, const TenantSettings& s);

}  // namespace callmem::identity

#endif
