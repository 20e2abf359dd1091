// A customer's data: reading it (get, export), forgetting it, and purging
// what has expired.
#ifndef CALLMEM_PUBLIC_CUSTOMERS_HPP
#define CALLMEM_PUBLIC_CUSTOMERS_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "callmem/calls.hpp"
#include "callmem/enums.hpp"
#include "callmem/identity.hpp"
#include "callmem/values.hpp"

namespace callmem {

// Which customer an operation on customer data is about.
struct CustomerSelector {
  std::optional<std::string> customer_ref;
  std::optional<IdentityHints> identity_hints;
};

struct GetRequest {
  CustomerSelector who;
  std::int64_t history_limit = 20;
  std::string cursor;  // opaque, from a previous response's next_cursor
};

struct LinkedIdentity {
  IdentityType type = IdentityType::ani;
  std::string key;  // the external id's key; empty for an ani
  std::string value;
  // ani only, "" when not known: the number's type as decided from its
  // calls, a LineType's spelling or one of the number's own (docs/identity.md),
  // so a text rather than a LineType.
  std::string line_type;
  Millis first_seen = 0;
  Millis last_seen = 0;
};

struct CallRecord {
  std::string call_id;
  Millis call_start = 0;
  Millis call_end = 0;  // 0: not ended
  Channel channel = Channel::voice;
  Direction direction = Direction::inbound;
  std::map<std::string, std::string> call_data;  // per-interaction ids
};

struct CustomerView {
  std::string customer_ref;
  Millis created_at = 0;
  Millis last_seen = 0;
  std::vector<LinkedIdentity> identities;
  std::vector<Intent> intents;  // open and closed, newest first
  std::map<std::string, Variable> variables;
  std::vector<CallRecord> calls;  // newest first
  std::string next_cursor;        // empty: no more calls
};

struct Removed {
  std::int64_t identities = 0;
  std::int64_t intents = 0;
  std::int64_t variables = 0;
  std::int64_t calls = 0;
  std::int64_t customers = 0;
  std::int64_t aliases = 0;  // refs merged into the customer (docs/feedback.md)
  std::int64_t merges = 0;   // merge logs naming the customer
  Removed& operator+=(const Removed& o) {
    identities += o.identities;
    intents += o.intents;
    variables += o.variables;
    calls += o.calls;
    customers += o.customers;
    aliases += o.aliases;
    merges += o.merges;
    return *this;
  }
  std::int64_t total() const {
    return identities + intents + variables + calls + customers + aliases + merges;
  }
};

struct ForgetReceipt {
  std::string customer_ref;
  Removed removed;
};

struct PurgeRequest {
  std::optional<Millis> now;   // not given: the clock's now
  std::int64_t limit = 10000;  // rows per call, across all tables
};

struct PurgeResult {
  Removed deleted;
  bool more = false;
};

}  // namespace callmem

#endif
