// The JSON codec: the wire format of docs/contract.md to and from the value
// types of callmem/types.hpp. This is the one header of src/json/ that the
// rest of the core includes. Its parts, the only files of the core that
// include RapidJSON: utf8 (strict UTF-8), read.hpp with document.cpp and
// read.cpp (field paths, issues, text to document, the primitives), write
// (Out, the writer), run.hpp (the one helper every entry point runs
// through), members.hpp (the answers' flat members, as tables both
// directions walk), validate (the rules of a request's values, and the
// checks of a request built in C++), requests, canonical, responses,
// tenant_settings (tenant settings, the open configuration, the identity
// weights) and stored (stored answers, call data). Enums are their
// contract spellings (callmem/enums.hpp) in and out.
//
// Every parse_* validates before it reads: a wrong type, a missing or too
// long field, a bad enum, a key given twice in one object (at any depth),
// malformed JSON, a number out of a double's range, invalid UTF-8, or input
// over the limits throws callmem::Error(Status::invalid) whose issues name
// the field (path {"identity_hints", "external_ids", "crm_id"}). Nothing
// aborts. Requests tolerate keys they do not know; configuration (the open
// configuration, tenant settings) refuses them. Numbers read as the double
// nearest to them, which the writers write back to that double.
#ifndef CALLMEM_JSON_CODEC_HPP
#define CALLMEM_JSON_CODEC_HPP

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "callmem/error.hpp"
#include "callmem/types.hpp"
#include "engine.hpp"

namespace callmem::json {

// The contract's limits (docs/contract.md section 4). Lengths of text are in
// characters (Unicode code points); a variable value's is in bytes of JSON.
inline constexpr std::size_t kMaxRequestBytes = 1 << 20;
inline constexpr std::size_t kMaxCallId = 128;
inline constexpr std::size_t kMaxExternalIdKey = 64;
inline constexpr std::size_t kMaxExternalIdValue = 256;
inline constexpr std::size_t kMaxExternalIds = 32;
inline constexpr std::size_t kMaxVariableName = 64;
inline constexpr std::size_t kMaxVariableValueBytes = 16 * 1024;
inline constexpr std::size_t kMaxVariablesPerCustomer = 256;
inline constexpr std::size_t kMaxIntentName = 128;
inline constexpr std::size_t kMaxIntentsPerRequest = 32;
inline constexpr std::size_t kMaxCustomerRef = 64;
inline constexpr std::size_t kMaxAni = 256;
inline constexpr std::size_t kMaxMergeId = 64;

// Requests.
StartRequest parse_start(std::string_view text);
EndRequest parse_end(std::string_view text);
GetRequest parse_get(std::string_view text);
CustomerSelector parse_selector(std::string_view text);  // forget, export
TenantSettingsPatch parse_settings(std::string_view text);
// A request without fields (reading tenant settings): a JSON object.
void parse_empty(std::string_view text);
CreditGrant parse_grant(std::string_view text);
UsageRequest parse_usage(std::string_view text);
PurgeRequest parse_purge(std::string_view text);
FeedbackRequest parse_feedback(std::string_view text);
UnmergeRequest parse_unmerge(std::string_view text);
// The C ABI's open configuration: {"path": "...", "busy_timeout_ms": 5000,
// "default_settings": {...settings...}}, or the PostgreSQL store's "store",
// "dsn", "schema", "pool_size". Empty text: defaults. Any other key is invalid.
EngineOptions parse_open_config(std::string_view text);

// A request built in C++ checked as its JSON would be (the same rules,
// words and field paths; validate.hpp): throws Error(Status::invalid).
// validated() answers the end with its variables' values as compact JSON,
// as parse_end reads them (empty text is null: forget the variable).
void validate(const StartRequest& r);
EndRequest validated(const EndRequest& r);
void validate(const FeedbackRequest& r);

// The canonical form of a request: equal for requests that mean the same
// (the legacy shape and the current one, keys in any order). Idempotency
// compares fingerprints of these; their bytes are what earlier versions
// stored, so that a replay still matches.
std::string canonical(const StartRequest& r);
std::string canonical(const EndRequest& r);
std::string canonical(const FeedbackRequest& r);

// Responses.
std::string write(const StartResponse& r);
std::string write(const EndResponse& r);
std::string write(const CustomerView& v);  // get and export
std::string write(const ForgetReceipt& r);
std::string write(const TenantSettings& s);
std::string write_balance(std::int64_t balance);  // {"balance": N}
std::string write(const UsageReport& r);
std::string write(const PurgeResult& r);
std::string write(const FeedbackResponse& r);
std::string write(const UnmergeResponse& r);
// The contract's error body: {"error": "Bad Request", "message": ...,
// "details": {"issues": [{"path": [...], "message": ...}]}}.
std::string write_error(const Error& e);

// Stored responses back to values (a replay through the typed API). What
// does not read back throws Error(Status::store).
StartResponse read_start_response(std::string_view text);
EndResponse read_end_response(std::string_view text);
FeedbackResponse read_feedback_response(std::string_view text);
UnmergeResponse read_unmerge_response(std::string_view text);

// A tenant's identity weights as a store keeps them (one text column,
// tenants.identity_weights in SQLite): canonical compact JSON, in the shape
// of the settings' identity.weights, of the values that differ from the
// defaults; "{}" is the defaults. Reading takes the defaults for what is
// absent; text that does not read back, or a value out of range, throws
// Error(Status::store). Reading is a pure parse that remembers nothing
// between calls: a caller that reads the same text often (a store, on every
// start) keeps what it read itself.
std::string write_identity_weights(const IdentityWeights& w);
IdentityWeights read_identity_weights(std::string_view text);

// A flat JSON object of strings (call data), both ways; reading is of stored
// data, as above.
std::string write_string_map(const std::map<std::string, std::string>& m);
std::map<std::string, std::string> read_string_map(std::string_view text);

}  // namespace callmem::json

#endif
