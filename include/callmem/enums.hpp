// The closed sets of values of the contract (docs/contract.md) as enums,
// each with its spelling on the wire: to_string(e) answers it, and
// from_string<E>(text) reads it back (nothing for any other text).
// operator<< writes the spelling; it needs only <iosfwd> here, as it is a
// template instantiated where it is used, where <ostream> is included.
#ifndef CALLMEM_PUBLIC_ENUMS_HPP
#define CALLMEM_PUBLIC_ENUMS_HPP

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string_view>
#include <type_traits>

namespace callmem {

// What the host should do with the customer a start found.
enum class Recommendation { reuse, confirm, ignore };
// How sure callmem is that the caller is that customer.
enum class ConfidenceLevel { very_high, high, medium, low };
// What the host learned about a call's caller (docs/feedback.md).
enum class FeedbackOutcome { confirmed, rejected, corrected };
enum class Channel { voice, chat, email, sms };
enum class Direction { inbound, outbound };
enum class IntentStatus { open, resolved, abandoned };
// The carrier's type of the caller's line (telco.line_type).
enum class LineType { mobile, landline, voip, unknown };
// STIR/SHAKEN attestation (telco.attestation).
enum class Attestation { A, B, C };
// The carrier's verification of the caller's number (telco.verstat).
enum class Verstat { tn_validation_passed, tn_validation_failed, no_tn_validation };
// What a metered operation was (the usage report's rows).
enum class UsageOperation { start_new, start_returning, end };
// What a customer's identity link is keyed by.
enum class IdentityType { ani, external_id };

namespace detail {

// Each enum's spellings, in the order of its enumerators.
template <class E>
struct Spellings;
template <>
struct Spellings<Recommendation> {
  static constexpr std::string_view names[] = {"reuse", "confirm", "ignore"};
};
template <>
struct Spellings<ConfidenceLevel> {
  static constexpr std::string_view names[] = {"very_high", "high", "medium", "low"};
};
template <>
struct Spellings<FeedbackOutcome> {
  static constexpr std::string_view names[] = {"confirmed", "rejected", "corrected"};
};
template <>
struct Spellings<Channel> {
  static constexpr std::string_view names[] = {"voice", "chat", "email", "sms"};
};
template <>
struct Spellings<Direction> {
  static constexpr std::string_view names[] = {"inbound", "outbound"};
};
template <>
struct Spellings<IntentStatus> {
  static constexpr std::string_view names[] = {"open", "resolved", "abandoned"};
};
template <>
struct Spellings<LineType> {
  static constexpr std::string_view names[] = {"mobile", "landline", "voip", "unknown"};
};
template <>
struct Spellings<Attestation> {
  static constexpr std::string_view names[] = {"A", "B", "C"};
};
template <>
struct Spellings<Verstat> {
  static constexpr std::string_view names[] = {"TN-Validation-Passed", "TN-Validation-Failed",
                                               "No-TN-Validation"};
};
template <>
struct Spellings<UsageOperation> {
  static constexpr std::string_view names[] = {"start_new", "start_returning", "end"};
};
template <>
struct Spellings<IdentityType> {
  static constexpr std::string_view names[] = {"ani", "external_id"};
};

template <class E, class = void>
struct IsSpelled : std::false_type {};
template <class E>
struct IsSpelled<E, std::void_t<decltype(Spellings<E>::names)>> : std::true_type {};

}  // namespace detail

// Whether E is one of the enums above.
template <class E>
inline constexpr bool is_spelled_enum = detail::IsSpelled<E>::value;

// Every spelling of E, in the order of its enumerators.
template <class E, class = std::enable_if_t<is_spelled_enum<E>>>
constexpr const auto& spellings() {
  return detail::Spellings<E>::names;
}

// The contract's spelling of `e`; empty for a value that is no enumerator
// (a cast from an integer), which requests refuse.
template <class E, class = std::enable_if_t<is_spelled_enum<E>>>
constexpr std::string_view to_string(E e) {
  const auto i = static_cast<std::size_t>(e);
  return i < std::size(detail::Spellings<E>::names) ? detail::Spellings<E>::names[i] : std::string_view();
}

// The enumerator spelt `text`, or nothing.
template <class E, class = std::enable_if_t<is_spelled_enum<E>>>
constexpr std::optional<E> from_string(std::string_view text) {
  for (std::size_t i = 0; i < std::size(detail::Spellings<E>::names); ++i)
    if (detail::Spellings<E>::names[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

template <class E, class = std::enable_if_t<is_spelled_enum<E>>>
std::ostream& operator<<(std::ostream& os, E e) {
  return os << to_string(e);
}

}  // namespace callmem

#endif
