#include "time.hpp"

#include <fmt/format.h>

namespace callmem {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Writes v in exactly n digits at p (v < 10^n).
void put_digits(char* p, unsigned v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// "YYYY-MM-DD" into p (10 characters) for years 0 to 9999.
void put_day(char* p, const Civil& c) {
  put_digits(p, static_cast<unsigned>(c.y), 4);
  p[4] = '-';
  put_digits(p + 5, c.m, 2);
  p[7] = '-';
  put_digits(p + 8, c.d, 2);
}

}  // namespace

// Both run on every start and end: digits are written by hand (a third of
// the cost of formatting them), with fmt kept for years outside 0 to 9999.
std::string format_iso(Millis t) {
  const std::int64_t days = floor_div(t, kDay);
  const Millis in_day = t - days * kDay;
  const Civil c = civil_from_days(days);
  const Millis s = in_day / 1000;
  if (c.y < 0 || c.y > 9999)
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.y, c.m, c.d, s / 3600, s / 60 % 60,
                       s % 60, in_day % 1000);
  std::string out(24, '\0');
  char* p = out.data();
  put_day(p, c);
  p[10] = 'T';
  put_digits(p + 11, static_cast<unsigned>(s / 3600), 2);
  p[13] = ':';
  put_digits(p + 14, static_cast<unsigned>(s / 60 % 60), 2);
  p[16] = ':';
  put_digits(p + 17, static_cast<unsigned>(s % 60), 2);
  p[19] = '.';
  put_digits(p + 20, static_cast<unsigned>(in_day % 1000), 3);
  p[23] = 'Z';
  return out;
}

std::string format_day(Millis t) {
  const Civil c = civil_from_days(floor_div(t, kDay));
  if (c.y < 0 || c.y > 9999) return fmt::format("{:04}-{:02}-{:02}", c.y, c.m, c.d);
  std::string out(10, '\0');
  put_day(out.data(), c);
  return out;
}

std::string format_ago(Millis d) {
  const Millis days = d / kDay;
  if (days <= 0) {
    const Millis hours = d / (3600 * kSecond);
    if (hours <= 0) return "within the hour";
    return hours == 1 ? "1 hour ago" : fmt::format("{} hours ago", hours);
  }
  return days == 1 ? "1 day ago" : fmt::format("{} days ago", days);
}

std::optional<Millis> parse_iso(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > days_in_month(y, mo) || h > 23 ||
      mi > 59 || se > 59)
    return std::nullopt;
  std::size_t pos = 19;
  Millis ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    Millis scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) ms += (s[pos] - '0') * scale, scale /= 10;
      ++pos, ++n;
    }
    if (n == 0 || n > 9) return std::nullopt;
  }
  Millis offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * kSecond * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const Millis t = days_from_civil(y, mo, d) * kDay + (h * 3600 + mi * 60 + se) * kSecond + ms;
  return t - offset;
}

}  // namespace callmem
