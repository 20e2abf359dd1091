// Identifiers: phone numbers in every form, withheld caller IDs, external ids.
#include "identity/identifiers.hpp"

#include <doctest/doctest.h>

#include "identity/phone.hpp"
#include "locale.hpp"

using namespace callmem;
using Kind = ParsedPhone::Kind;

TEST_CASE("ANIs from many countries and formats parse to E.164") {
  const struct {
    const char* raw;
    const char* region;
    const char* want;
  } cases[] = {
      // North America, in every form a host sends.
      {"+14155551234", "US", "+14155551234"},
      {"14155551234", "US", "+14155551234"},
      {"4155551234", "US", "+14155551234"},
      {"(415) 555-1234", "US", "+14155551234"},
      {"415.555.1234", "US", "+14155551234"},
      {"tel:+1-415-555-1234", "US", "+14155551234"},
      {"sip:+14155551234@carrier.example;user=phone", "US", "+14155551234"},
      {"SIP:+14155551234@carrier.example", "US", "+14155551234"},
      {"sips:4155551234@pbx.example.com", "US", "+14155551234"},
      {"011 44 20 7946 0958", "US", "+442079460958"},
      {"0044 20 7946 0958", "US", "+442079460958"},
      {"+1 (416) 555-0199", "CA", "+14165550199"},
      {"416-555-0199", "CA", "+14165550199"},
      // Europe: national forms in their own region, international anywhere.
      {"020 7946 0958", "GB", "+442079460958"},
      {"07911 123456", "GB", "+447911123456"},
      {"+44 7911 123456", "US", "+447911123456"},
      {"0044 7911 123456", "GB", "+447911123456"},
      {"01 23 45 67 89", "FR", "+33123456789"},
      {"06 12 34 56 78", "FR", "+33612345678"},
      {"+33 6 12 34 56 78", "GB", "+33612345678"},
      {"030 123456", "DE", "+4930123456"},
      {"+49 151 23456789", "US", "+4915123456789"},
      {"06 1234 5678", "IT", "+390612345678"},  // Italy keeps its leading zero
      {"+39 06 1234 5678", "US", "+390612345678"},
      {"612 345 678", "ES", "+34612345678"},
      // Elsewhere.
      {"+91 98765 43210", "US", "+919876543210"},
      {"098765 43210", "IN", "+919876543210"},
      {"+61 412 345 678", "US", "+61412345678"},
      {"0412 345 678", "AU", "+61412345678"},
      {"+81 3-1234-5678", "US", "+81312345678"},
      {"+55 11 91234-5678", "US", "+5511912345678"},
      {"(11) 91234-5678", "BR", "+5511912345678"},
      {"+27 82 123 4567", "US", "+27821234567"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.raw);
    CAPTURE(c.region);
    const ParsedPhone p = parse_phone(c.raw, c.region);
    CHECK(p.kind == Kind::number);
    CHECK(p.e164 == c.want);
  }
}

TEST_CASE("withheld caller IDs never become numbers, and say why") {
  for (const char* raw : {"anonymous", "Anonymous", "sip:anonymous@anonymous.invalid", "Restricted",
                          "UNAVAILABLE", "private", "unknown", "", "   ", "sip:@carrier.example",
                          "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}) {
    CAPTURE(raw);
    const ParsedPhone p = parse_phone(raw, "US");
    CHECK(p.kind == Kind::withheld);
    CHECK(p.e164.empty());
    CHECK_FALSE(p.reason.empty());
  }
}

TEST_CASE("what is not a phone number is invalid, with a reason") {
  const struct {
    const char* raw;
    const char* region;
  } cases[] = {{"12", "US"},           {"+1234567890123456", "US"}, {"call me", "US"},
               {"415-555-12x4", "US"}, {"++14155551234", "US"},     {"555-1234", "US"},
               {"4155551234", ""},     {"+999 1234 5678", "US"},    {"+", "US"}};
  for (const auto& c : cases) {
    CAPTURE(c.raw);
    const ParsedPhone p = parse_phone(c.raw, c.region);
    CHECK(p.kind == Kind::invalid);
    CHECK_FALSE(p.reason.empty());
  }
}

TEST_CASE("number types from the numbering plan") {
  CHECK(number_type("+447911123456") == "mobile");
  CHECK(number_type("+442079460958") == "landline");
  CHECK(number_type("+14155551234") == "fixed_line_or_mobile");  // North America cannot tell
  CHECK(number_type("+18005550100") == "toll_free");
  CHECK(number_type("+19005550100") == "premium_rate");
  CHECK(number_type("+33612345678") == "mobile");
  CHECK(is_business_type("toll_free"));
  CHECK_FALSE(is_business_type("mobile"));
  CHECK(region_of("+442079460958") == "GB");
  CHECK(region_of("+14155551234") == "US");
}

TEST_CASE("a national ANI is read in the DNIS's country, else the tenant's region") {
  IdentityHints h;
  h.ani = "020 7946 0958";
  h.dnis = "+44 800 123 4567";
  CHECK(identifiers_of(h, "US", nullptr).ani.e164 == "+442079460958");
  h.dnis.reset();
  CHECK(identifiers_of(h, "GB", nullptr).ani.e164 == "+442079460958");
  h.ani = "(415) 555-1234";
  h.dnis = "1-800-555-0100";  // a national DNIS, read in the tenant's region
  CHECK(identifiers_of(h, "US", nullptr).ani.e164 == "+14155551234");
}

TEST_CASE("per-interaction external ids are call data, not identity") {
  for (const char* k : {"five9_call_id", "twilio_call_sid", "cxone_contact_id", "dialogflow_session",
                        "session_id", "campaign_id", "skill_id", "agent_id", "call_id"})
    CHECK(is_interaction_key(k));
  for (const char* k : {"crm_id", "customer_id", "account_number", "user_id", "email"})
    CHECK_FALSE(is_interaction_key(k));

  std::map<std::string, std::string> call_data;
  IdentityHints h;
  h.ani = "+14155551234";
  h.external_ids = {{"crm_id", " CRM_789 "}, {"twilio_call_sid", "CA123"}, {"email", "John@Example.COM"}};
  const CallIdentifiers ids = identifiers_of(h, "US", &call_data);
  REQUIRE(ids.ids.size() == 3);
  CHECK(ids.ids[0] == Identifier{"ani", "", "+14155551234"});
  CHECK(ids.ids[1] == Identifier{"external_id", "crm_id", "CRM_789"});
  CHECK(ids.ids[2] == Identifier{"external_id", "email", "john@example.com"});
  CHECK(call_data == std::map<std::string, std::string>{{"twilio_call_sid", "CA123"}});
}

// Identifiers are UTF-8 whatever the host's locale: lowercasing and trimming
// touch ASCII only, never a byte of a multi-byte character.
TEST_CASE("external ids keep their UTF-8 in a single-byte locale") {
  test_locale::ScopedLocale latin1(test_locale::kLatin1);
  CHECK(normalise_external_id("email", "\xC3\x84NNE@Example.COM") == "\xC3\x84nne@example.com");  // ÄNNE@
  CHECK(normalise_external_id("email", "Z\xC3\x9CRICH@Example.COM") == "z\xC3\x9Crich@example.com");
  CHECK(normalise_external_id("crm_id", " voil\xC3\xA0 ") == "voil\xC3\xA0");  // à ends in A0 (NBSP)
  CHECK(is_interaction_key("\xC3\x84_SESSION"));
}
