// ISO-8601 UTC timestamps: "2026-02-07T10:30:00.000Z" <-> milliseconds since the epoch.
#ifndef CALLMEM_TIME_HPP
#define CALLMEM_TIME_HPP

#include <optional>
#include <string>
#include <string_view>

#include "callmem/types.hpp"

namespace callmem {

inline constexpr Millis kSecond = 1000;
inline constexpr Millis kDay = 86400 * kSecond;

// Always milliseconds and 'Z'.
std::string format_iso(Millis t);
// "YYYY-MM-DD" of the UTC day.
std::string format_day(Millis t);
// A duration for people: "within the hour", "5 hours ago", "1 day ago", "12 days ago".
std::string format_ago(Millis d);
// Accepts YYYY-MM-DDTHH:MM:SS, optional fraction (1-9 digits), then 'Z' or
// +HH:MM / -HH:MM; years 1970-9999. std::nullopt when malformed.
std::optional<Millis> parse_iso(std::string_view s);

}  // namespace callmem

#endif
