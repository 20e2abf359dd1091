// How far what a call presents can be trusted, for the scorers and the merge
// of duplicates alike: the STIR/SHAKEN rule (which numbers may be spoofed)
// and the recency arithmetic (time since, days begun, a number's aging).
#ifndef CALLMEM_IDENTITY_TRUST_HPP
#define CALLMEM_IDENTITY_TRUST_HPP

#include <algorithm>
#include <string_view>

#include "callmem/types.hpp"
#include "time.hpp"

namespace callmem {

// A number that may be spoofed (failed validation, or a gateway's C
// attestation) is never linked to a customer, nor refreshed, nor kept for
// feedback to link later: a spoofer cannot take over someone's number. Nor
// does it alone identify anyone.
inline bool spoofable(const Telco& t) {
  return t.verstat == Verstat::tn_validation_failed || t.attestation == Attestation::C;
}

// The carrier's line type as the identity code compares it with a number's
// own types (identity/phone.hpp: "fixed_line_or_mobile", ...): its
// spelling, "" when not given.
inline std::string_view line_text(const Telco& t) {
  return t.line_type ? to_string(*t.line_type) : std::string_view();
}

// US carriers reassign a disconnected number after 45 days at the least: a
// number used within that time has not changed hands since.
inline constexpr Millis kNumberAgingDays = 45;

// The time from `last` to `at`, never negative (a backfilled call may come
// before what is on file).
inline Millis elapsed(Millis at, Millis last) { return std::max<Millis>(0, at - last); }

// The days begun in a time, at least 1: a call an hour ago was "1 day" ago.
inline Millis days_begun(Millis since) { return std::max<Millis>(1, (since + kDay - 1) / kDay); }

// Whether a number last used at `last_seen` may have changed hands by `at`.
inline bool number_aged(Millis at, Millis last_seen) { return at - last_seen > kNumberAgingDays * kDay; }

}  // namespace callmem

#endif
