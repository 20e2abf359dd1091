// A call's start and end: each reads what it needs through the operation's
// transaction, decides, writes, and answers (the façade commits).
#ifndef CALLMEM_CALLS_CALLS_HPP
#define CALLMEM_CALLS_CALLS_HPP

#include <cstdint>
#include <optional>

#include "callmem/types.hpp"
#include "context.hpp"

namespace callmem::calls {

// Who the call is (identity/resolver.hpp), metered; the call is stored with
// its answer. A start with a used call_id answers the stored bytes when its
// fingerprint `fp` is the same (a replay), else is a conflict. `out`, when
// not null and not a replay, receives the response. `stored`, when not
// null, is the call's row as this transaction reads it (a bulk import reads
// it first), so that it is not read again; `written`, when not null,
// receives the row the start stored.
Answer start(const Context& c, const StartRequest& req, std::uint64_t fp, StartResponse* out,
             const std::optional<CallRow>* stored = nullptr, CallRow* written = nullptr);

// What an end can be refused for before any transaction: a
// variable_ttl_seconds naming no variable the request sets.
void check_end(const EndRequest& req);
// Saves intents and variables for the call's customer (the call's own;
// without a start, the one its hints or customer_ref name), metered, and
// records the end on the call. Replays as start does; `stored` as in start
// (moved from).
Answer end(const Context& c, const EndRequest& req, std::uint64_t fp, EndResponse* out,
           std::optional<CallRow>* stored = nullptr);

}  // namespace callmem::calls

#endif
