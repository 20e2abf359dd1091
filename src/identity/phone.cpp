#include "identity/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <set>

#include "text.hpp"

namespace callmem {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& util() { return *PhoneNumberUtil::GetInstance(); }

constexpr int kMaxCallingCode = 999;
constexpr std::size_t kMaxNationalDigits = 17;

// Whether libphonenumber knows a country calling code (its region is not
// "ZZ"), asked once per code: GetRegionCodeForCountryCode costs thousands of
// instructions, and every call start parses a number.
bool known_calling_code(int cc) {
  static const std::array<bool, kMaxCallingCode + 1> known = [] {
    std::array<bool, kMaxCallingCode + 1> k{};
    std::string region;
    for (int c = 1; c <= kMaxCallingCode; ++c) {
      util().GetRegionCodeForCountryCode(c, &region);
      k[static_cast<std::size_t>(c)] = region != "ZZ";
    }
    return k;
  }();
  return cc >= 1 && cc <= kMaxCallingCode && known[static_cast<std::size_t>(cc)];
}

// IsPossibleNumberWithReason, remembered: its answer depends only on the
// country calling code and the length of the national significant number
// (it tests the length against the metadata of the code's main region), and
// computing it looks the region up again each time.
PhoneNumberUtil::ValidationResult possible(const PhoneNumber& n) {
  // By code and length; 0: not asked yet, else the answer + 1.
  static std::array<std::atomic<int>, (kMaxCallingCode + 1) * (kMaxNationalDigits + 2)> memo{};
  std::string nsn;
  util().GetNationalSignificantNumber(n, &nsn);
  const int cc = n.country_code();
  if (cc < 1 || cc > kMaxCallingCode || nsn.size() > kMaxNationalDigits + 1)
    return util().IsPossibleNumberWithReason(n);
  std::atomic<int>& slot = memo[static_cast<std::size_t>(cc) * (kMaxNationalDigits + 2) + nsn.size()];
  int r = slot.load(std::memory_order_relaxed);
  if (r == 0) {
    r = static_cast<int>(util().IsPossibleNumberWithReason(n)) + 1;
    slot.store(r, std::memory_order_relaxed);
  }
  return static_cast<PhoneNumberUtil::ValidationResult>(r - 1);
}

// Words SIP and carriers put in the user part for a withheld number.
constexpr std::array<std::string_view, 9> kWithheldWords = {"anonymous",   "restricted",     "private",
                                                            "unavailable", "unknown",        "blocked",
                                                            "withheld",    "unknown caller", "no caller id"};

// Placeholder numbers platforms send instead of a withheld caller ID
// (Twilio: ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE).
constexpr std::array<std::string_view, 5> kPlaceholderNumbers = {"+266696687", "+7378742833", "+2562533",
                                                                 "+8656696", "+86282452253"};

ParsedPhone withheld(std::string reason) {
  return ParsedPhone{ParsedPhone::Kind::withheld, "", std::move(reason)};
}
ParsedPhone invalid(std::string reason) {
  return ParsedPhone{ParsedPhone::Kind::invalid, "", std::move(reason)};
}

// An international number, digits after the country code's '+', as
// libphonenumber's PhoneNumber, without its (slow) parser: country codes are
// a prefix code of 1 to 3 digits.
std::optional<PhoneNumber> international(std::string_view digits) {
  if (digits.size() < 4 || digits.size() > 17 || digits[0] == '0') return std::nullopt;
  for (std::size_t len = 1; len <= 3; ++len) {
    int cc = 0;
    for (std::size_t i = 0; i < len; ++i) cc = cc * 10 + (digits[i] - '0');
    if (!known_calling_code(cc)) continue;
    const std::string_view national = digits.substr(len);
    if (national.empty() || national.size() > 17) return std::nullopt;
    PhoneNumber n;
    n.set_country_code(cc);
    std::uint64_t value = 0;
    for (char c : national) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    n.set_national_number(value);
    const auto zeros = static_cast<int>(national.find_first_not_of('0'));
    if (zeros > 0) {
      n.set_italian_leading_zero(true);
      if (zeros > 1) n.set_number_of_leading_zeros(zeros);
    }
    return n;
  }
  return std::nullopt;
}

// A number dialable from anywhere (not one only possible locally, without
// its area code), that is not a placeholder for a withheld one.
ParsedPhone accept(const PhoneNumber& n, std::string e164) {
  if (std::find(kPlaceholderNumbers.begin(), kPlaceholderNumbers.end(), e164) != kPlaceholderNumbers.end())
    return withheld("withheld caller ID (placeholder number " + e164 + ")");
  switch (possible(n)) {
    case PhoneNumberUtil::IS_POSSIBLE:
      return ParsedPhone{ParsedPhone::Kind::number, std::move(e164), ""};
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return invalid("a local number without its area code");
    case PhoneNumberUtil::TOO_SHORT:
      return invalid("too few digits for a phone number");
    case PhoneNumberUtil::TOO_LONG:
      return invalid("too many digits for a phone number");
    default:
      return invalid("not a possible phone number");
  }
}

ParsedPhone from_international(std::string_view digits) {
  std::optional<PhoneNumber> n = international(digits);
  if (!n) return invalid("no known country code");
  return accept(*n, "+" + std::string(digits));
}

}  // namespace

ParsedPhone parse_phone(std::string_view raw, std::string_view region) {
  return parse_phone(raw, [&] { return std::string(region); });
}

ParsedPhone parse_phone(std::string_view raw, const std::function<std::string()>& region_of_call) {
  const std::string s = lower(trim(raw));
  std::string_view v = s;
  for (std::string_view scheme : {"tel:", "sips:", "sip:"}) {
    if (starts_with(v, scheme)) {
      v.remove_prefix(scheme.size());
      break;
    }
  }
  // A SIP URI's user part ends at '@'; parameters start at ';'.
  if (auto at = v.find('@'); at != std::string_view::npos) v = v.substr(0, at);
  if (auto semi = v.find(';'); semi != std::string_view::npos) v = v.substr(0, semi);
  v = trim(v);
  if (v.empty()) return withheld("empty caller ID");
  for (std::string_view w : kWithheldWords)
    if (v == w) return withheld("withheld caller ID (" + std::string(w) + ")");

  bool plus = false;
  std::string digits;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '/') {
      return invalid("not a phone number");
    }
  }
  if (digits.empty()) return invalid("not a phone number");
  if (plus) return from_international(digits);

  // National in the region, or international after an IDD (the region's own
  // is read by libphonenumber; 00 and 011 whatever the region).
  std::optional<ParsedPhone> national;
  std::string reg = region_of_call();
  if (reg.empty()) reg = "ZZ";
  PhoneNumber n;
  if (reg != "ZZ" && util().Parse(digits, reg, &n) == PhoneNumberUtil::NO_PARSING_ERROR) {
    std::string e164;
    util().Format(n, PhoneNumberUtil::E164, &e164);
    national = accept(n, std::move(e164));
    if (national->kind != ParsedPhone::Kind::invalid) return *national;
  }
  for (std::string_view idd : {"011", "00"}) {
    if (!starts_with(digits, idd)) continue;
    ParsedPhone p = from_international(std::string_view(digits).substr(idd.size()));
    if (p.kind != ParsedPhone::Kind::invalid) return p;
  }
  if (national) return *national;
  return invalid(reg == "ZZ" ? "a national number, and no region to read it in"
                             : "not a phone number in region " + reg);
}

bool is_known_region(std::string_view region) {
  static const std::set<std::string> known = [] {
    std::set<std::string> regions;
    util().GetSupportedRegions(&regions);
    return regions;
  }();
  return known.count(std::string(region)) > 0;
}

std::string region_of(const std::string& e164) {
  if (!starts_with(e164, "+")) return "";
  std::optional<PhoneNumber> n = international(std::string_view(e164).substr(1));
  if (!n) return "";
  std::string region;
  util().GetRegionCodeForNumber(*n, &region);
  return region == "ZZ" ? std::string() : region;
}

std::string number_type(const std::string& e164) {
  if (!starts_with(e164, "+")) return "unknown";
  std::optional<PhoneNumber> n = international(std::string_view(e164).substr(1));
  if (!n) return "unknown";
  switch (util().GetNumberType(*n)) {
    case PhoneNumberUtil::FIXED_LINE:
      return "landline";
    case PhoneNumberUtil::MOBILE:
      return "mobile";
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
      return "fixed_line_or_mobile";
    case PhoneNumberUtil::TOLL_FREE:
      return "toll_free";
    case PhoneNumberUtil::PREMIUM_RATE:
      return "premium_rate";
    case PhoneNumberUtil::SHARED_COST:
      return "shared_cost";
    case PhoneNumberUtil::VOIP:
      return "voip";
    case PhoneNumberUtil::PERSONAL_NUMBER:
      return "personal_number";
    case PhoneNumberUtil::PAGER:
      return "pager";
    case PhoneNumberUtil::UAN:
      return "uan";
    case PhoneNumberUtil::VOICEMAIL:
      return "voicemail";
    case PhoneNumberUtil::UNKNOWN:
      break;
  }
  return "unknown";
}

bool is_business_type(std::string_view t) {
  return t == "toll_free" || t == "premium_rate" || t == "shared_cost" || t == "uan";
}

bool is_personal_type(std::string_view t) { return t == "mobile" || t == "personal_number" || t == "pager"; }

namespace {

void warm_phone_now() {
  known_calling_code(1);
  is_known_region("US");
  // E.164, national and IDD forms, and the types of a few regions' numbers.
  parse_phone("(415) 555-1234", "US");
  parse_phone("020 7946 0958", "GB");
  parse_phone("011 44 20 7946 0958", "US");
  parse_phone("00 49 30 901820", "DE");
  for (const std::string n :
       {"+14155551234", "+442079460958", "+447911123456", "+33612345678", "+4930901820"}) {
    parse_phone(n, "US");
    number_type(n);
    region_of(n);
  }
}

}  // namespace

namespace {
std::atomic<bool> warmed{false};
}  // namespace

void warm_phone() {
  // Once a process (and, warmed before a fork, once for its workers).
  static const bool done = [] {
    warm_phone_now();
    return true;
  }();
  (void)done;
  warmed.store(true, std::memory_order_release);
}

bool phone_warm() noexcept { return warmed.load(std::memory_order_acquire); }

}  // namespace callmem
