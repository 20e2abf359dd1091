// Phone numbers, with Google's libphonenumber: every form an ANI arrives in
// to E.164, and the number's type. libphonenumber is included only in
// phone.cpp.
#ifndef CALLMEM_IDENTITY_PHONE_HPP
#define CALLMEM_IDENTITY_PHONE_HPP

#include <functional>
#include <string>
#include <string_view>

namespace callmem {

struct ParsedPhone {
  enum class Kind { number, withheld, invalid } kind = Kind::invalid;
  std::string e164;    // "+14155551234" when kind == number
  std::string reason;  // why it is not a number, for the evidence
};

// Parses an ANI or a DNIS: E.164 ("+14155551234"), international with an
// IDD prefix ("0044 20 7946 0958", "011 44 20 7946 0958"), national in
// `region` ("(415) 555-1234" with "US"), tel: and sip: URIs (the user part;
// host and parameters are dropped). Withheld caller IDs (anonymous,
// restricted, private, unavailable, unknown, blocked, an empty user part, and
// the placeholder numbers platforms send for them) are Kind::withheld; what
// is not a possible phone number is Kind::invalid. `region` is an ISO 3166
// code ("US"); an unknown one only rules out national forms.
//
// Cheap for E.164 input (about a microsecond); a national form costs a full
// libphonenumber parse.
ParsedPhone parse_phone(std::string_view raw, std::string_view region);
// The same, asking for the region only when the number is in national form.
ParsedPhone parse_phone(std::string_view raw, const std::function<std::string()>& region);

// Whether libphonenumber knows `region` (an ISO 3166-1 code it has metadata
// for: "US", "GB"; not "XX", "ZZ" or "UK"): a tenant's default_region must be one.
bool is_known_region(std::string_view region);

// The ISO region of an E.164 number ("US", "GB"), "" when unknown: the DNIS's
// country is the region in which a national ANI is read.
std::string region_of(const std::string& e164);

// The number's type, as a line type where one applies: "mobile", "landline",
// "voip", "fixed_line_or_mobile" (North America cannot tell), "toll_free",
// "premium_rate", "shared_cost", "uan" (corporate), "personal_number",
// "pager", "voicemail", or "unknown". Costs several microseconds: call it
// once per number and keep the answer.
std::string number_type(const std::string& e164);

// True for types that belong to a business or a gateway rather than a
// person (toll free, premium rate, shared cost, corporate UAN).
bool is_business_type(std::string_view type);

// True for types one person carries (mobile, personal number, pager): such a
// number is evidence enough on its own. A number of unknown type (North
// American numbers, until some call's carrier data tells) may be a
// household's landline.
bool is_personal_type(std::string_view type);

// Builds what libphonenumber and this file otherwise build at their first
// use (its metadata, the calling codes and regions known, the regular
// expressions of common national forms and number types): called before a
// host forks, the workers share it instead of each paying it at its first
// call (callmem_warm). Every Engine warms at its open, so that no call
// pays for it; the work is done once a process.
void warm_phone();

// Whether warm_phone() has finished in this process (or before its fork).
bool phone_warm() noexcept;

}  // namespace callmem

#endif
