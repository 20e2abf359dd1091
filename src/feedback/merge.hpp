// Merges of two customers into one, and their undoing: a correction merges
// the customer its call made into the right one; a confirmation merges a
// duplicate it finds; each is logged (MergeLog) so that unmerge restores both.
#ifndef CALLMEM_FEEDBACK_MERGE_HPP
#define CALLMEM_FEEDBACK_MERGE_HPP

#include <optional>
#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "calls/call_ids.hpp"
#include "context.hpp"
#include "store/store.hpp"

namespace callmem::feedback {

// Merges customer y (created by `call`) into x: every row of y moves to x;
// on a conflict the newer row wins and both originals are logged. Counts go
// to resp (links, and resp.merge); the log is the caller's to store.
MergeLog merge(const Context& c, const CallRow& call, const std::string& y, const std::string& x, Millis at,
               Millis expires, FeedbackResponse& resp);

// A confirmation that finds the caller made a customer twice: the call's
// number is a personal line (a mobile) linked to the confirmed customer x
// and to exactly one other, and no identity key tells the two apart (none
// is on both with different values). That is one person known twice (a
// first call without the number made one customer, a call from the number
// another, and a later call with an id linked the number to the first):
// the other is merged into x, as a correction would merge it, and the
// answer carries the merge (undone by unmerge). Not when the other's last
// use of the number, or x's before this call, is older than a carrier's
// aging period (the number may have changed hands between them). The
// tenant can turn it off (identity.merge_duplicates). `before`: the
// number's links as they were before the confirmation refreshed them.
std::optional<MergeLog> absorb_duplicate(const Context& c, const CallRow& call, const std::string& x,
                                         const calls::CallIds& ids, const std::vector<LinkRow>& before,
                                         Millis at, Millis expires, FeedbackResponse& resp);

// What an unmerge can be refused for before any transaction: a merge_id of
// 1-64 characters.
void check_unmerge(const UnmergeRequest& req);
// Undoes the merge: the alias is a customer again with its rows, and the
// call that merged takes feedback again. A merge already undone answers the
// stored bytes (a replay).
Answer unmerge(const Context& c, const UnmergeRequest& req, Millis at, UnmergeResponse* out);

}  // namespace callmem::feedback

#endif
