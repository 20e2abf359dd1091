// Identity feedback (docs/feedback.md): what the host learned about a call's
// caller, the merges it may make, and unmerge.
#ifndef CALLMEM_PUBLIC_FEEDBACK_HPP
#define CALLMEM_PUBLIC_FEEDBACK_HPP

#include <cstdint>
#include <optional>
#include <string>

#include "callmem/enums.hpp"
#include "callmem/values.hpp"

namespace callmem {

// Identity feedback (docs/feedback.md): what the host learned about a call's caller.
struct FeedbackRequest {
  std::string call_id;
  FeedbackOutcome outcome = FeedbackOutcome::confirmed;  // the JSON requires it; set it
  std::optional<std::string> customer_ref;               // required with corrected, refused otherwise
  std::optional<Millis> at;                              // not given: now
};

// What a merge moved from the merged ref to the customer it became an alias of.
struct MergeSummary {
  std::string merge_id;  // for unmerge
  std::string alias;     // the merged ref: it now resolves to alias_of
  std::string alias_of;
  std::int64_t identities = 0;  // rows moved (conflicts included)
  std::int64_t intents = 0;
  std::int64_t variables = 0;
  std::int64_t calls = 0;
  std::int64_t conflicts = 0;  // intents and variables in both: the newer won, the loser is logged
};

struct FeedbackResponse {
  std::string call_id;
  FeedbackOutcome outcome = FeedbackOutcome::confirmed;
  std::string previous_customer_ref;  // the call's customer before the feedback
  std::string customer_ref;           // and after
  bool customer_created = false;      // rejected: a new customer was made for the caller
  std::int64_t links_added = 0;       // identity links made (or moved to customer_ref)
  std::int64_t links_removed = 0;     // identity links taken from previous_customer_ref
  std::int64_t intents_moved = 0;     // what the call's end saved, moved with the call
  std::int64_t variables_moved = 0;
  std::optional<MergeSummary> merge;  // corrected, when the call's own new customer was merged
  Millis at = 0;
};

struct UnmergeRequest {
  std::string merge_id;
};

struct UnmergeResponse {
  std::string merge_id;
  std::string customer_ref;           // the customer the merge went into
  std::string restored_customer_ref;  // the merged ref, a customer again
  std::int64_t identities = 0;        // rows given back to restored_customer_ref
  std::int64_t intents = 0;
  std::int64_t variables = 0;
  std::int64_t calls = 0;
  Millis unmerged_at = 0;
};

}  // namespace callmem

#endif
