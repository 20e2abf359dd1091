// A customer as operations on customer data see it: which live customer a
// ref or a selector names, what get and export show of it, how long it
// lives, and its rows in the answers' shape.
#ifndef CALLMEM_CUSTOMERS_HPP
#define CALLMEM_CUSTOMERS_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "context.hpp"
#include "store/store.hpp"

namespace callmem::customers {

// The live customer a ref names: itself, or the customer it is an alias of
// (one more indexed lookup, only when the ref is not a live customer).
std::optional<std::string> live_ref(const Context& c, const std::string& ref, Millis now);

// The customer an operation on customer data is about, or NotFound: the one
// get shows at `now`. With reach_expired (erasure), failing that, one that
// expired but is not purged yet.
std::string select(const Context& c, const CustomerSelector& who, Millis now, bool reach_expired = false);

// What get (one page of history_limit calls after `after`) and export (all)
// show of the customer.
CustomerView view(const Context& c, const std::string& ref, Millis now, std::int64_t history_limit,
                  const std::optional<CallCursor>& after);

// Erases the customer get shows, or else one whose data expired but is not
// purged yet (erasure reaches it too).
ForgetReceipt forget(const Context& c, const CustomerSelector& who, Millis now);

// A customer lives as long as anything of theirs: until the last of its live
// variables with their own ttl expires (0 when it has none).
Millis kept_until(const std::vector<VariableRow>& vars);

// After rows moved between customers (feedback, merge, unmerge): the
// customer, with every live link and alias leading to it, lives as long as
// its variables with their own ttl.
void keep_alive(const Context& c, const std::string& ref, Millis at, Millis ttl);

// Throws conflict when rows moved to the customer leave it more variables
// than a customer may hold (json::kMaxVariablesPerCustomer).
void check_variable_count(const Context& c, const std::string& ref, Millis at);

Intent to_intent(const IntentRow& r);
std::map<std::string, Variable> to_variables(const std::vector<VariableRow>& rows, Millis now);

}  // namespace callmem::customers

#endif
