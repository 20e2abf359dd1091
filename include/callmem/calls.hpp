// A call's start and end (docs/contract.md), and what a caller's calls
// remember: intents and variables.
#ifndef CALLMEM_PUBLIC_CALLS_HPP
#define CALLMEM_PUBLIC_CALLS_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "callmem/enums.hpp"
#include "callmem/identity.hpp"
#include "callmem/values.hpp"

namespace callmem {

struct StartRequest {
  std::string call_id;
  IdentityHints identity_hints;
  Telco telco;
  Channel channel = Channel::voice;
  Direction direction = Direction::inbound;
  std::optional<Millis> at;  // not given: now
};

struct Intent {
  std::string intent;
  IntentStatus status = IntentStatus::open;
  std::int64_t attempt_count = 0;
  Millis first_seen = 0;
  Millis last_seen = 0;
};

struct Variable {
  JsonText value;
  std::string source;            // the call_id that last wrote it
  std::int64_t ttl_seconds = 0;  // time left
  Millis updated_at = 0;
};

struct StartResponse {
  std::string call_id;
  std::string customer_ref;
  Millis call_start = 0;
  Identity identity;
  std::vector<Intent> open_intents;
  std::map<std::string, Variable> variables;
};

struct IntentUpdate {
  std::string intent;
  IntentStatus status = IntentStatus::open;
};

struct EndRequest {
  std::string call_id;
  std::optional<std::string> customer_ref;
  std::vector<IntentUpdate> intents;  // `intent`/`intent_status` first, then `intents`
  // name -> value; std::nullopt deletes the key.
  std::map<std::string, std::optional<JsonText>> variables;
  std::map<std::string, std::int64_t> variable_ttl_seconds;
  std::map<std::string, std::string> external_ids;
  // Standalone end: no start was made for this call_id.
  std::optional<IdentityHints> identity_hints;
  Telco telco;
  std::optional<Millis> at;  // not given: now
};

struct EndResponse {
  std::string call_id;
  std::string customer_ref;
  Millis call_start = 0;
  Millis call_end = 0;
  std::int64_t duration_seconds = 0;
  std::int64_t intents_updated = 0;
  std::int64_t variables_updated = 0;
};

}  // namespace callmem

#endif
