// Identity feedback on a call (docs/feedback.md): confirmed, rejected or
// corrected. Merges and their undoing are in feedback/merge.hpp; what the
// outcomes teach the scorer, in feedback/learned.hpp.
#ifndef CALLMEM_FEEDBACK_FEEDBACK_HPP
#define CALLMEM_FEEDBACK_FEEDBACK_HPP

#include <cstdint>

#include "callmem/types.hpp"
#include "context.hpp"

namespace callmem::feedback {

// Applies the feedback at `at` and records it on the call: a confirmation
// links the call's identifiers (and may absorb a duplicate customer); a
// rejection gives the call a new customer; a correction moves the call to
// the named customer, merging the one the call made. A call with feedback
// answers the stored bytes when `fp` is the same (a replay), else is a
// conflict. The engine forgets the tenant's learned counts after it commits.
Answer record(const Context& c, const FeedbackRequest& req, Millis at, std::uint64_t fp,
              FeedbackResponse* out);

}  // namespace callmem::feedback

#endif
