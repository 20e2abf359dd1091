// The rules of a request's values, written once: the bounds of its texts and
// numbers, and the checks that apply them to a request built in C++
// (validate.cpp; json::validate in codec.hpp). The readers of requests.cpp
// apply the same rules to each field as they read it, so that a request's
// issues keep the order of its fields and the paths it gave them in (a
// legacy top-level "ani" is named "ani").
#ifndef CALLMEM_JSON_VALIDATE_HPP
#define CALLMEM_JSON_VALIDATE_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json/read.hpp"

namespace callmem::json {

// A text's bounds, in characters.
struct TextRule {
  std::size_t min, max;
};
inline constexpr TextRule kCallIdRule{1, kMaxCallId};
inline constexpr TextRule kCustomerRefRule{1, kMaxCustomerRef};
inline constexpr TextRule kAniRule{0, kMaxAni};  // empty: a withheld number, as "anonymous" is
inline constexpr TextRule kDnisRule{1, kMaxAni};
inline constexpr TextRule kExternalIdKeyRule{1, kMaxExternalIdKey};
inline constexpr TextRule kExternalIdValueRule{1, kMaxExternalIdValue};
inline constexpr TextRule kIntentRule{1, kMaxIntentName};
inline constexpr TextRule kVariableNameRule{1, kMaxVariableName};
inline constexpr std::int64_t kMaxVariableTtlSeconds = 31536000;

inline const char* const kHintsRequired = "identity_hints must include ani, external_ids, or customer_ref";

inline bool check_text(std::string_view s, const Path& path, TextRule r, Issues& is) {
  return check_text(s, path, r.min, r.max, is);
}
inline std::optional<std::string> read_text(const Value& v, const Path& path, TextRule r, Issues& is) {
  return read_text(v, path, r.min, r.max, is);
}

// "<path> must have at most <max> entries" (an object of external ids, variables).
void add_too_many(const Path& path, std::size_t max, Issues& is);
// At most kMaxIntentsPerRequest intents, at `path`.
bool check_intent_count(std::size_t n, const Path& path, Issues& is);
// A variable's value as compact JSON: at most kMaxVariableValueBytes.
bool check_variable_size(const std::string& compact, const Path& path, Issues& is);
// Feedback's customer_ref by the outcome: required with corrected, refused
// with the others.
bool check_outcome_ref(FeedbackOutcome outcome, bool ref_given, Issues& is);

}  // namespace callmem::json

#endif
