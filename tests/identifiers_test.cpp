#include <doctest/doctest.h>

#include "identity/identifiers.hpp"

using namespace callmem;
using Kind = NormalisedAni::Kind;

TEST_CASE("ANIs in their many forms normalise to + and digits") {
  const struct {
    const char* raw;
    const char* want;
  } cases[] = {
      {"+14155551234", "+14155551234"},
      {"14155551234", "14155551234"},
      {"(415) 555-1234", "4155551234"},
      {"tel:+1-415-555-1234", "+14155551234"},
      {"sip:+14155551234@carrier.example;user=phone", "+14155551234"},
      {"SIP:+14155551234@carrier.example", "+14155551234"},
      {"0044 20 7946 0958", "+442079460958"},
      {"011 44 20 7946 0958", "+442079460958"},
      {"  +33 1 23 45 67 89 ", "+33123456789"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.raw);
    const NormalisedAni a = normalise_ani(c.raw);
    CHECK(a.kind == Kind::number);
    CHECK(a.value == c.want);
  }
}

TEST_CASE("withheld caller IDs never become numbers") {
  for (const char* raw : {"anonymous", "Anonymous", "sip:anonymous@anonymous.invalid", "Restricted",
                          "UNAVAILABLE", "private", "unknown", "", "   ", "sip:@carrier.example",
                          "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}) {
    CAPTURE(raw);
    const NormalisedAni a = normalise_ani(raw);
    CHECK(a.kind == Kind::withheld);
    CHECK(a.value.empty());
    CHECK_FALSE(a.reason.empty());
  }
}

TEST_CASE("garbage is not a number") {
  for (const char* raw : {"12", "+1234567890123456", "call me", "415-555-12x4", "++14155551234"}) {
    CAPTURE(raw);
    CHECK(normalise_ani(raw).kind == Kind::invalid);
  }
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
  const CallIdentifiers ids = identifiers_of(h, &call_data);
  REQUIRE(ids.ids.size() == 3);
  CHECK(ids.ids[0] == Identifier{"ani", "", "+14155551234"});
  CHECK(ids.ids[1] == Identifier{"external_id", "crm_id", "CRM_789"});
  CHECK(ids.ids[2] == Identifier{"external_id", "email", "john@example.com"});
  CHECK(call_data == std::map<std::string, std::string>{{"twilio_call_sid", "CA123"}});
}
