// The contract's scenarios through Engine, over a real SQLite file, with
// a manual clock.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <regex>

#include "callmem/json.h"
#include "engine.hpp"
#include "engine_on_file.hpp"
#include "json/codec.hpp"
#include "requests.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;

namespace {

using test::kT0;

struct Memory : test::EngineOnFile {
  StartResponse start(const std::string& body, const std::string& tenant = "acme") {
    return json::read_start_response(mem.start_call_json(tenant, body));
  }
  EndResponse end(const std::string& body, const std::string& tenant = "acme") {
    return json::read_end_response(mem.end_call_json(tenant, body));
  }
};

Status status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

const char* kMobile = R"("telco": {"line_type": "mobile"})";

std::string start_body(const std::string& call_id, const std::string& ani, const std::string& extra = "") {
  return R"({"call_id": ")" + call_id + R"(", "identity_hints": {"ani": ")" + ani + R"("}, )" + kMobile +
         (extra.empty() ? "" : ", " + extra) + "}";
}

}  // namespace

TEST_CASE("a new caller gets a fresh ref, confidence 0 and ignore") {
  Memory m;
  const StartResponse r = m.start(start_body("call_001", "+14155551234"));
  CHECK(r.call_id == "call_001");
  CHECK(std::regex_match(r.customer_ref,
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(r.call_start == kT0);
  CHECK(r.identity.confidence == 0);
  CHECK(r.identity.level == callmem::ConfidenceLevel::low);
  CHECK(r.identity.recommendation == callmem::Recommendation::ignore);
  CHECK(r.identity.sources.empty());
  CHECK(r.open_intents.empty());
  CHECK(r.variables.empty());
}

TEST_CASE("a returning caller is recognised with open intents and variables") {
  Memory m;
  const StartResponse first = m.start(start_body("call_001", "+14155551234"));
  m.clock->advance(15 * kSecond);
  const EndResponse e = m.end(R"({"call_id": "call_001", "intent": "refund_request", "intent_status": "open",
      "variables": {"name": "John Doe", "order_id": "12345", "cart": {"items": [1, 2]}}})");
  CHECK(e.customer_ref == first.customer_ref);
  CHECK(e.duration_seconds == 15);
  CHECK(e.intents_updated == 1);
  CHECK(e.variables_updated == 3);
  CHECK(e.call_end - e.call_start == 15 * kSecond);

  m.clock->advance(kDay);
  const StartResponse again = m.start(start_body("call_002", "+1 (415) 555-1234"));
  CHECK(again.customer_ref == first.customer_ref);
  CHECK(again.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(again.identity.confidence >= 0.5);
  CHECK(std::find(again.identity.sources.begin(), again.identity.sources.end(), "ani:mobile") !=
        again.identity.sources.end());
  CHECK(std::find(again.identity.sources.begin(), again.identity.sources.end(), "intent_continuity") !=
        again.identity.sources.end());
  REQUIRE(again.open_intents.size() == 1);
  CHECK(again.open_intents[0].intent == "refund_request");
  CHECK(again.open_intents[0].status == callmem::IntentStatus::open);
  CHECK(again.open_intents[0].attempt_count == 1);
  REQUIRE(again.variables.size() == 3);
  CHECK(again.variables.at("name").value.text == R"("John Doe")");
  CHECK(again.variables.at("cart").value.text == R"({"items":[1,2]})");
  CHECK(again.variables.at("name").source == "call_001");
  // 30 days from the write, less the day (and 15 s) that passed.
  CHECK(again.variables.at("name").ttl_seconds == 29 * 86400);
}

TEST_CASE("hosted profile: mobile ANI and an external id give very_high; unknown line type alone ignore") {
  Memory m;
  m.mem.configure_tenant_json("acme", R"({"identity": {"profile": "hosted"}})");
  const auto first = m.start(R"({"call_id": "c1", "identity_hints": {"ani": "+14155551234",
      "external_ids": {"crm_id": "CRM_789"}}, "telco": {"line_type": "mobile"}})");
  m.end(R"({"call_id": "c1", "intent": "billing", "variables": {"name": "Ann"}})");
  m.clock->advance(30 * kDay - kDay);  // past the 7-day recency window
  const auto both = m.start(R"({"call_id": "c2", "identity_hints": {"ani": "+14155551234",
      "external_ids": {"crm_id": "CRM_789"}}, "telco": {"line_type": "mobile"}})");
  CHECK(both.customer_ref == first.customer_ref);
  CHECK(both.identity.confidence >= 0.9);
  CHECK(both.identity.level == callmem::ConfidenceLevel::very_high);

  Memory n;
  n.mem.configure_tenant_json("acme", R"({"identity": {"profile": "hosted"}})");
  const auto a = n.start(R"({"call_id": "c1", "identity_hints": {"ani": "+14155551234"}})");
  n.end(R"({"call_id": "c1", "intent": "billing", "variables": {"name": "Ann"}})");
  const auto b = n.start(R"({"call_id": "c2", "identity_hints": {"ani": "+14155551234"}})");
  // The hosted weights give an ANI of unknown line type nothing: the ref is
  // named, but nothing of the customer is disclosed.
  CHECK(b.customer_ref == a.customer_ref);
  CHECK(b.identity.recommendation == callmem::Recommendation::ignore);
  CHECK(b.open_intents.empty());
  CHECK(b.variables.empty());
}

TEST_CASE("a retried start returns the same bytes; another request on the call_id is a conflict") {
  Memory m;
  const std::string body = start_body("call_001", "+14155551234");
  const std::string first = m.mem.start_call_json("acme", body);
  m.clock->advance(5 * kSecond);
  CHECK(m.mem.start_call_json("acme", body) == first);
  // The legacy shape of the same request is the same request.
  CHECK(m.mem.start_call_json("acme", R"({"call_id": "call_001", "ani": "+14155551234",
      "telco": {"line_type": "mobile"}})") == first);
  CHECK(status_of([&] { m.mem.start_call_json("acme", start_body("call_001", "+14155550000")); }) ==
        Status::conflict);
  // The typed API replays too.
  StartRequest typed = json::parse_start(body);
  CHECK(m.mem.start_call("acme", typed).customer_ref == json::read_start_response(first).customer_ref);

  const std::string end_body = R"({"call_id": "call_001", "intent": "refund", "variables": {"a": 1}})";
  const std::string ended = m.mem.end_call_json("acme", end_body);
  CHECK(m.mem.end_call_json("acme", end_body) == ended);
  CHECK(status_of([&] { m.mem.end_call_json("acme", R"({"call_id": "call_001", "intent": "other"})"); }) ==
        Status::conflict);
  // The replayed end changed nothing: still one attempt.
  const auto v = m.mem.get_customer("acme", by_ref(json::read_start_response(first).customer_ref));
  REQUIRE(v.intents.size() == 1);
  CHECK(v.intents[0].attempt_count == 1);
}

TEST_CASE("tenants never see each other's data") {
  Memory m;
  const auto a = m.start(start_body("c1", "+14155551234"), "tenant-a");
  m.end(R"({"call_id": "c1", "intent": "x", "variables": {"secret": "a's"}})", "tenant-a");
  const auto b = m.start(start_body("c1", "+14155551234"), "tenant-b");
  CHECK(b.customer_ref != a.customer_ref);
  CHECK(b.identity.confidence == 0);
  CHECK(b.variables.empty());
  CHECK(status_of([&] { m.mem.get_customer("tenant-b", by_ref(a.customer_ref)); }) == Status::not_found);
  CHECK(status_of([&] { m.mem.start_call_json("bad tenant!", start_body("c1", "+1415")); }) ==
        Status::invalid);
}

TEST_CASE("intents: attempts count up while open, abandoned stays open, resolved closes") {
  Memory m;
  m.start(start_body("c1", "+14155551234"));
  m.end(R"({"call_id": "c1", "intent": "refund", "intent_status": "open"})");
  m.start(start_body("c2", "+14155551234"));
  m.end(R"({"call_id": "c2", "intent": "refund", "intent_status": "abandoned"})");
  auto s3 = m.start(start_body("c3", "+14155551234"));
  REQUIRE(s3.open_intents.size() == 1);
  CHECK(s3.open_intents[0].attempt_count == 2);
  CHECK(s3.open_intents[0].status == callmem::IntentStatus::abandoned);
  // The legacy boolean: false resolves.
  m.end(R"({"call_id": "c3", "intent": "refund", "intent_is_open": false,
            "intents": [{"intent": "address_change", "status": "open"}]})");
  auto s4 = m.start(start_body("c4", "+14155551234"));
  REQUIRE(s4.open_intents.size() == 1);
  CHECK(s4.open_intents[0].intent == "address_change");
  const auto all = m.mem.get_customer("acme", by_ref(s4.customer_ref));
  CHECK(all.intents.size() == 2);
}

TEST_CASE("variables merge key by key, null deletes, own ttl") {
  Memory m;
  m.start(start_body("c1", "+14155551234"));
  m.end(R"({"call_id": "c1", "variables": {"a": "1", "b": "2", "c": 3},
            "variable_ttl_seconds": {"c": 60}})");
  m.start(start_body("c2", "+14155551234"));
  const auto e = m.end(R"({"call_id": "c2", "variables": {"a": "one", "b": null, "zz": null}})");
  CHECK(e.variables_updated == 2);  // a written, b deleted; zz was not there
  m.clock->advance(61 * kSecond);
  const auto s = m.start(start_body("c3", "+14155551234"));
  REQUIRE(s.variables.size() == 1);
  CHECK(s.variables.at("a").value.text == R"("one")");
  CHECK(s.variables.at("a").source == "c2");
  CHECK(status_of([&] {
          m.mem.end_call_json("acme", R"({"call_id": "c3", "variable_ttl_seconds": {"q": 5}})");
        }) == Status::invalid);
}

TEST_CASE("at most 256 variables per customer; the refused end writes nothing") {
  Memory m;
  m.start(start_body("c1", "+14155551234"));
  std::string vars;
  for (int i = 0; i < 200; ++i) vars += (i ? "," : "") + fmt::format(R"("v{}": {})", i, i);
  m.end(R"({"call_id": "c1", "variables": {)" + vars + "}}");
  const auto s = m.start(start_body("c2", "+14155551234"));
  vars.clear();
  for (int i = 200; i < 257; ++i) vars += (i > 200 ? "," : "") + fmt::format(R"("v{}": {})", i, i);
  CHECK(status_of([&] {
          m.mem.end_call_json("acme", R"({"call_id": "c2", "intent": "x", "variables": {)" + vars + "}}");
        }) == Status::invalid);
  const auto v = m.mem.get_customer("acme", by_ref(s.customer_ref));
  CHECK(v.variables.size() == 200);
  CHECK(v.intents.empty());
  CHECK(v.calls.at(0).call_end == 0);
}

TEST_CASE("everything expires after the tenant's ttl, judged at the operation's time") {
  Memory m;
  const auto a = m.start(start_body("c1", "+14155551234"));
  m.end(R"({"call_id": "c1", "intent": "refund", "variables": {"name": "Ann"}})");
  m.clock->advance(31 * kDay);
  const auto b = m.start(start_body("c2", "+14155551234"));
  CHECK(b.customer_ref != a.customer_ref);
  CHECK(b.identity.confidence == 0);
  CHECK(b.open_intents.empty());
  CHECK(b.variables.empty());
  // `at` backfills: judged at its own time, the first customer was still there.
  const auto c = m.start(start_body("c3", "+14155551234", R"("at": "2026-02-08T10:30:00.000Z")"));
  CHECK(c.customer_ref == a.customer_ref);
  CHECK(c.call_start == kT0 + kDay);
}

TEST_CASE("withheld numbers and per-interaction ids never match") {
  Memory m;
  const auto a = m.start(start_body("c1", "anonymous"));
  const auto b = m.start(start_body("c2", "anonymous"));
  CHECK(a.customer_ref != b.customer_ref);
  bool explained = false;
  for (const auto& ev : b.identity.evidence) explained |= ev.signal == "ani";
  CHECK(explained);
  const auto c = m.start(R"({"call_id": "c3", "identity_hints": {"external_ids": {"five9_call_id": "F1"}}})");
  const auto d = m.start(R"({"call_id": "c4", "identity_hints": {"external_ids": {"five9_call_id": "F1"}}})");
  CHECK(c.customer_ref != d.customer_ref);
  const auto v = m.mem.get_customer("acme", by_ref(c.customer_ref));
  CHECK(v.identities.empty());
  REQUIRE(v.calls.size() == 1);
  CHECK(v.calls[0].call_data.at("five9_call_id") == "F1");
}

// Many platforms send a withheld number as an empty ANI: it is a withheld
// caller ID, as "anonymous" is, wherever identity hints are read.
TEST_CASE("an empty ANI is a withheld caller ID: start, standalone end, get, forget and export") {
  Memory m;
  for (const char* ani : {"", "anonymous"}) {
    CAPTURE(ani);
    const std::string tag = *ani ? "anon" : "empty";
    const auto a = m.start(start_body(tag + "_1", ani));
    const auto b = m.start(start_body(tag + "_2", ani));
    CHECK(a.customer_ref != b.customer_ref);
    CHECK(b.identity.recommendation == callmem::Recommendation::ignore);
    bool explained = false;
    for (const auto& ev : b.identity.evidence)
      explained |= ev.signal == "ani" && ev.detail.find("not used as an identifier") != std::string::npos;
    CHECK(explained);
    CHECK(m.mem.get_customer("acme", by_ref(a.customer_ref)).identities.empty());
    // The legacy shape, and a standalone end's hints.
    const auto legacy = m.start(R"({"call_id": ")" + tag + R"(_3", "ani": ")" + ani + R"("})");
    CHECK(legacy.customer_ref != a.customer_ref);
    const auto dropped = m.end(R"({"call_id": ")" + tag + R"(_4", "identity_hints": {"ani": ")" + ani +
                               R"("}, "intent": "callback"})");
    CHECK(dropped.customer_ref != a.customer_ref);
    CHECK(dropped.intents_updated == 1);
    // With an account number, the account identifies the caller.
    const auto acct = m.start(R"({"call_id": ")" + tag + R"(_5", "identity_hints": {"ani": ")" + ani +
                              R"(", "external_ids": {"account_number": "A-)" + tag + R"("}}})");
    const auto again = m.start(R"({"call_id": ")" + tag + R"(_6", "identity_hints": {"ani": ")" + ani +
                               R"(", "external_ids": {"account_number": "A-)" + tag + R"("}}})");
    CHECK(again.customer_ref == acct.customer_ref);
    // A withheld number selects no one.
    const std::string hints = R"({"identity_hints": {"ani": ")" + std::string(ani) + R"("}})";
    CHECK(status_of([&] { m.mem.get_customer_json("acme", hints); }) == Status::not_found);
    CHECK(status_of([&] { m.mem.forget_customer_json("acme", hints); }) == Status::not_found);
    CHECK(status_of([&] { m.mem.export_customer_json("acme", hints); }) == Status::not_found);
    CHECK(status_of([&] { m.mem.get_customer_json("acme", R"({"ani": ")" + std::string(ani) + "\"}"); }) ==
          Status::not_found);
  }
}

TEST_CASE("numbers come back as they were given, zeros with exponents too") {
  Memory m;
  m.start(start_body("c1", "+14155551234"));
  m.end(R"({"call_id": "c1", "variables": {"zero": 0e206, "big_zero": 0E+50, "negative_zero": -0.0e100,
      "tenth": 0.1, "list": [5e-324, 1.7976931348623157e308, 12345678901234567890]}})");
  m.clock->advance(kDay);
  const auto r = m.start(start_body("c2", "+14155551234"));
  CHECK(r.variables.at("zero").value.text == "0.0");
  CHECK(r.variables.at("big_zero").value.text == "0.0");
  CHECK(r.variables.at("negative_zero").value.text == "-0.0");
  CHECK(r.variables.at("tenth").value.text == "0.1");
  CHECK(r.variables.at("list").value.text == "[5e-324,1.7976931348623157e308,12345678901234567890]");
  // A threshold given as 0e206 is 0.
  const std::string settings = m.mem.configure_tenant_json("acme", R"({"levels": {"medium": 0e206}})");
  CHECK(settings.find(R"("medium":0})") != std::string::npos);
  CHECK(m.mem.tenant_settings("acme").level_medium == 0.0);
}

TEST_CASE("end: standalone by identity_hints, by customer_ref, unknown call") {
  Memory m;
  const auto e = m.end(R"({"call_id": "dropped", "identity_hints": {"ani": "+14155551234"},
      "telco": {"line_type": "mobile"}, "intent": "callback", "variables": {"name": "Bo"}})");
  CHECK(e.duration_seconds == 0);
  const auto s = m.start(start_body("c2", "+14155551234"));
  CHECK(s.customer_ref == e.customer_ref);
  REQUIRE(s.open_intents.size() == 1);
  CHECK(s.open_intents[0].intent == "callback");
  // A start cannot reuse the call_id of a standalone end.
  CHECK(status_of([&] { m.mem.start_call_json("acme", start_body("dropped", "+14155551234")); }) ==
        Status::conflict);
  const auto byref = m.end(R"({"call_id": "x9", "customer_ref": ")" + s.customer_ref + R"("})");
  CHECK(byref.customer_ref == s.customer_ref);
  CHECK(status_of([&] { m.mem.end_call_json("acme", R"({"call_id": "nope"})"); }) == Status::not_found);
  CHECK(status_of([&] {
          m.mem.end_call_json("acme", R"({"call_id": "nope2", "customer_ref": "no-such-ref"})");
        }) == Status::not_found);
  // The end names another customer than the call's.
  CHECK(status_of([&] {
          m.mem.end_call_json("acme", R"({"call_id": "c2", "customer_ref": "someone-else"})");
        }) == Status::conflict);
}

TEST_CASE("external ids given at end identify the caller later") {
  Memory m;
  const auto a = m.start(start_body("c1", "anonymous"));
  m.end(R"({"call_id": "c1", "external_ids": {"account_number": "99812", "cxone_contact_id": "K"}})");
  const auto b =
      m.start(R"({"call_id": "c2", "identity_hints": {"external_ids": {"account_number": "99812"}}})");
  CHECK(b.customer_ref == a.customer_ref);
  CHECK(b.identity.sources.at(0) == "external_id");
}

TEST_CASE("get pages the call history with a cursor; forget erases with a receipt") {
  Memory m;
  std::string ref;
  for (int i = 0; i < 5; ++i) {
    ref = m.start(start_body(fmt::format("c{}", i), "+14155551234")).customer_ref;
    m.end(fmt::format(R"({{"call_id": "c{}", "intent": "i{}", "variables": {{"k{}": {}}}}})", i, i, i, i));
    m.clock->advance(kSecond);
  }
  GetRequest g = by_ref(ref, 2);
  auto page1 = m.mem.get_customer("acme", g);
  REQUIRE(page1.calls.size() == 2);
  CHECK(page1.calls[0].call_id == "c4");
  CHECK(page1.calls[1].call_id == "c3");
  REQUIRE_FALSE(page1.next_cursor.empty());
  g.cursor = page1.next_cursor;
  auto page2 = m.mem.get_customer("acme", g);
  CHECK(page2.calls.at(0).call_id == "c2");
  g.cursor = m.mem.get_customer("acme", g).next_cursor;
  auto page3 = m.mem.get_customer("acme", g);
  REQUIRE(page3.calls.size() == 1);
  CHECK(page3.calls[0].call_id == "c0");
  CHECK(page3.next_cursor.empty());
  g.cursor = "garbage";
  CHECK(status_of([&] { m.mem.get_customer("acme", g); }) == Status::invalid);

  // By identity hints.
  const std::string byhint =
      m.mem.get_customer_json("acme", R"({"identity_hints": {"ani": "+14155551234"}})");
  CHECK(byhint.find(ref) != std::string::npos);

  const std::string exported = m.mem.export_customer_json("acme", R"({"customer_ref": ")" + ref + R"("})");
  for (const char* what : {"\"c0\"", "\"c4\"", "\"k3\"", "+14155551234"})
    CHECK(exported.find(what) != std::string::npos);

  const ForgetReceipt r = m.mem.forget_customer("acme", CustomerSelector{ref, {}});
  CHECK(r.customer_ref == ref);
  CHECK(r.removed.identities == 1);
  CHECK(r.removed.intents == 5);
  CHECK(r.removed.variables == 5);
  CHECK(r.removed.calls == 5);
  CHECK(status_of([&] { m.mem.get_customer("acme", by_ref(ref)); }) == Status::not_found);
  CHECK(status_of([&] { m.mem.forget_customer("acme", CustomerSelector{ref, {}}); }) == Status::not_found);
  const auto again = m.start(start_body("c9", "+14155551234"));
  CHECK(again.customer_ref != ref);
}

// Erasure and subject access by what the host knows of the caller: each kind
// of identity hint, through the JSON API that hosts call.
TEST_CASE("forget and export find the customer by every kind of identity hint") {
  const std::vector<std::pair<std::string, std::string>> hints = {
      {"ani, E.164", R"({"ani": "+14155551234"})"},
      {"ani, national with formatting", R"({"ani": "(415) 555-1234"})"},
      {"ani, a SIP URI", R"({"ani": "sip:+14155551234@pbx.example.com"})"},
      {"crm_id", R"({"external_ids": {"crm_id": "CRM_789"}})"},
      {"account_number", R"({"external_ids": {"account_number": "99812"}})"},
      {"email, other case", R"({"external_ids": {"email": "Ann@Example.COM"}})"},
      {"customer_ref", ""},  // the ref itself, inside identity_hints
  };
  for (const auto& [what, hint] : hints) {
    CAPTURE(what);
    Memory m;
    const std::string ref =
        m.start(R"({"call_id": "c1", "identity_hints": {"ani": "+14155551234", "external_ids": )"
                R"({"crm_id": "CRM_789", "account_number": "99812", "email": "ann@example.com"}}, )" +
                std::string(kMobile) + "}")
            .customer_ref;
    m.end(R"({"call_id": "c1", "intent": "refund", "variables": {"name": "Ann"}})");
    m.clock->advance(3600 * kSecond);
    const std::string h = hint.empty() ? R"({"customer_ref": ")" + ref + R"("})" : hint;
    const std::string selector = R"({"identity_hints": )" + h + "}";

    const std::string exported = m.mem.export_customer_json("acme", selector);
    CHECK(exported.find(R"("customer_ref":")" + ref + '"') != std::string::npos);
    CHECK(exported.find(R"("name":{"value":"Ann")") != std::string::npos);

    const std::string receipt = m.mem.forget_customer_json("acme", selector);
    CHECK(receipt ==
          R"({"customer_ref":")" + ref +
              R"(","removed":{"identities":4,"intents":1,"variables":1,"calls":1,"aliases":0,"merges":0}})");
    CHECK(status_of([&] { m.mem.get_customer("acme", by_ref(ref)); }) == Status::not_found);
    CHECK(status_of([&] { m.mem.forget_customer_json("acme", selector); }) == Status::not_found);
    CHECK(status_of([&] { m.mem.export_customer_json("acme", selector); }) == Status::not_found);
    // Nothing leads back to the erased customer.
    const auto again =
        m.start(R"({"call_id": "c2", "identity_hints": {"ani": "+14155551234", "external_ids": )"
                R"({"crm_id": "CRM_789"}}})");
    CHECK(again.customer_ref != ref);
    CHECK(again.identity.candidates.empty());
  }
}

TEST_CASE("forget by identity hints reaches a customer that expired but is not purged yet") {
  Memory m;
  const std::string ref =
      m.start(
           R"({"call_id": "c1", "identity_hints": {"ani": "+14155551234", "external_ids": {"crm_id": "C1"}}})")
          .customer_ref;
  m.end(R"({"call_id": "c1", "variables": {"name": "Ann"}})");
  m.clock->advance(40 * kDay);  // past the 30-day ttl
  CHECK(status_of([&] {
          m.mem.export_customer_json("acme", R"({"identity_hints": {"ani": "+14155551234"}})");
        }) == Status::not_found);
  const std::string receipt =
      m.mem.forget_customer_json("acme", R"({"identity_hints": {"ani": "+14155551234"}})");
  CHECK(receipt ==
        R"({"customer_ref":")" + ref +
            R"(","removed":{"identities":2,"intents":0,"variables":1,"calls":1,"aliases":0,"merges":0}})");
  CHECK(m.mem.purge_expired(PurgeRequest{std::nullopt, 1000}).deleted.total() ==
        0);  // nothing was left behind
  CHECK(status_of([&] {
          m.mem.forget_customer_json("acme", R"({"identity_hints": {"external_ids": {"crm_id": "C1"}}})");
        }) == Status::not_found);
}

// With two customers on one number, forget takes the one get would show.
TEST_CASE("forget by a shared number erases the customer get answers with, and only that one") {
  Memory m;
  const std::string a =
      m.start(
           R"({"call_id": "c1", "identity_hints": {"ani": "+14155551234", "external_ids": {"crm_id": "A"}}})")
          .customer_ref;
  m.clock->advance(kDay);
  const std::string b =
      m.start(
           R"({"call_id": "c2", "identity_hints": {"ani": "+14155551234", "external_ids": {"crm_id": "B"}}})")
          .customer_ref;
  REQUIRE(a != b);
  const std::string selector = R"({"identity_hints": {"ani": "+14155551234"}})";
  const std::string shown = m.mem.get_customer("acme", json::parse_get(selector)).customer_ref;
  const std::string receipt = m.mem.forget_customer_json("acme", selector);
  CHECK(receipt.find(R"("customer_ref":")" + shown + '"') != std::string::npos);
  const std::string other = shown == a ? b : a;
  CHECK(m.mem.get_customer("acme", by_ref(other)).customer_ref == other);
  CHECK(status_of([&] { m.mem.get_customer("acme", by_ref(shown)); }) == Status::not_found);
}

TEST_CASE("credits: a start that needs credits it lacks fails and writes nothing") {
  Memory m;
  m.mem.configure_tenant_json("acme", R"({"billing": {"enabled": true}})");
  CHECK(status_of([&] { m.mem.start_call_json("acme", start_body("c1", "+14155551234")); }) ==
        Status::insufficient_credits);
  CHECK(m.mem.usage("acme", {}).days.empty());
  CHECK(m.mem.grant_credits_json("acme", R"({"amount": 2, "idempotency_key": "topup-1"})") ==
        R"({"balance":2})");
  CHECK(m.mem.grant_credits("acme", CreditGrant{2, "topup-1"}) == 2);  // idempotent
  CHECK(status_of([&] { m.mem.grant_credits("acme", CreditGrant{5, "topup-1"}); }) == Status::conflict);
  // The same call_id now goes through: the refused one left no trace.
  const auto a = m.start(start_body("c1", "+14155551234"));
  m.start(start_body("c1", "+14155551234"));  // a replay is never billed
  m.start(start_body("c2", "+14155551234"));  // a returning caller is free
  m.end(R"({"call_id": "c1"})");
  m.start(start_body("c3", "+14155550000"));  // a new customer: the last credit
  CHECK(status_of([&] { m.mem.start_call_json("acme", start_body("c4", "+14155559999")); }) ==
        Status::insufficient_credits);
  const UsageReport u = m.mem.usage("acme", {});
  CHECK(u.balance == 0);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_op;
  for (const auto& row : u.days) {
    CHECK(row.day == "2026-02-07");
    by_op[std::string(to_string(row.operation))] = {row.count, row.credits};
  }
  CHECK(by_op["start_new"] == std::make_pair<std::int64_t, std::int64_t>(2, 2));
  CHECK(by_op["start_returning"] == std::make_pair<std::int64_t, std::int64_t>(1, 0));
  CHECK(by_op["end"] == std::make_pair<std::int64_t, std::int64_t>(1, 0));
  (void)a;
}

TEST_CASE("tenant settings: a subset changes, the rest keeps its value; thresholds apply") {
  Memory m;
  TenantSettings s = m.mem.configure_tenant("acme", TenantSettingsPatch{});
  CHECK(s.ttl_days == 30);
  TenantSettingsPatch p;
  p.reuse = 0.6;
  p.level_medium = 0.6;
  s = m.mem.configure_tenant("acme", p);
  CHECK(s.reuse == 0.6);
  CHECK(s.confirm == 0.3);
  CHECK(s.level_very_high == 0.9);
  p = {};
  p.confirm = 0.8;  // above reuse
  CHECK(status_of([&] { m.mem.configure_tenant("acme", p); }) == Status::invalid);
  CHECK(m.mem.tenant_settings("acme").confirm == 0.3);
  // Under the hosted weights with reuse at 0.6, a mobile ANI with recency
  // (0.55) asks to confirm.
  p = {};
  p.identity_profile = "hosted";
  CHECK(m.mem.configure_tenant("acme", p).identity_profile == "hosted");
  m.start(start_body("c1", "+14155551234"));
  const auto r = m.start(start_body("c2", "+14155551234"));
  CHECK(r.identity.recommendation == callmem::Recommendation::confirm);
}

TEST_CASE("tenant settings: reading them writes nothing, nor does an empty patch") {
  TempDir dir;
  EngineOptions o;
  o.path = dir.file("calls.db");
  o.busy_timeout_ms = 50;
  {
    Engine mem{o};
    const std::string read = mem.tenant_settings_json("acme", "{}");
    CHECK(read.find(R"("ttl_days":30)") != std::string::npos);
    CHECK(mem.configure_tenant_json("acme", "{}") == read);
    CHECK(mem.configure_tenant("fresh", TenantSettingsPatch{}).ttl_days == 30);
    CHECK(status_of([&] { mem.tenant_settings_json("acme", "[]"); }) == Status::invalid);
    CHECK(status_of([&] { mem.tenant_settings_json("no spaces", "{}"); }) == Status::invalid);

    // Neither waits for the write lock: both answer while another connection holds it.
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(o.path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    CHECK(mem.tenant_settings_json("acme", "{}") == read);
    CHECK(status_of([&] { mem.configure_tenant_json("acme", "{}"); }) == Status::ok);
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
  }
  // Nothing was stored: the tenants follow the defaults of the next open.
  o.default_settings.ttl_days = 9;
  Engine mem{o};
  CHECK(mem.tenant_settings("acme").ttl_days == 9);
  CHECK(mem.tenant_settings("fresh").ttl_days == 9);
  TenantSettingsPatch p;
  p.ttl_days = 9;  // the same value, but written: the tenant keeps it from now on
  mem.configure_tenant("acme", p);
}

namespace {

// Every leaf of a JSON object as a patch of its own: {"a": {"b": <leaf>}}.
void leaf_patches(const callmem_json_value* v, const std::string& open, const std::string& close,
                  std::vector<std::string>& out) {
  if (callmem_json_type(v) != CALLMEM_JSON_OBJECT) {
    char* text = nullptr;
    REQUIRE(callmem_json_write(v, &text) == 0);
    out.push_back(open + text + close);
    callmem_free(text);
    return;
  }
  for (std::size_t i = 0; i < callmem_json_size(v); ++i)
    leaf_patches(callmem_json_at(v, i), open + "{\"" + callmem_json_key_at(v, i) + "\": ", "}" + close, out);
}

}  // namespace

TEST_CASE("tenant settings: a patch naming any one setting, even at its current value, is written") {
  TempDir dir;
  EngineOptions o;
  o.path = dir.file("calls.db");
  Engine mem{o};
  callmem_json* settings = nullptr;
  REQUIRE(callmem_json_parse(&settings, mem.tenant_settings_json("acme", "{}").c_str()) == 0);
  std::vector<std::string> patches;
  leaf_patches(callmem_json_root(settings), "", "", patches);
  callmem_json_free(settings);
  CHECK(patches.size() > 20);
  SqliteStore store(o.path, 1000);
  for (std::size_t i = 0; i < patches.size(); ++i) {
    CAPTURE(patches[i]);
    const std::string tenant = "t" + std::to_string(i);
    mem.configure_tenant_json(tenant, patches[i]);
    auto tx = store.begin(tenant, callmem::Access::read);
    CHECK(tx->tenant_get().has_value());
  }
}

TEST_CASE("a shorter ttl applies to data already stored") {
  Memory m;
  const auto a = m.start(start_body("c1", "+14155551234"));
  m.end(R"({"call_id": "c1", "variables": {"name": "Ann"}})");
  TenantSettingsPatch p;
  p.ttl_days = 2;
  m.mem.configure_tenant("acme", p);
  m.clock->advance(3 * kDay);
  const auto b = m.start(start_body("c2", "+14155551234"));
  CHECK(b.customer_ref != a.customer_ref);
}

// A customer lives as long as anything of theirs: a variable kept longer than
// the tenant's ttl keeps its customer, and the links that lead to it.
TEST_CASE("a variable with its own ttl keeps its customer and the links that lead to it") {
  Memory m;
  m.mem.configure_tenant_json("acme", R"({"ttl_days": 1})");
  const std::string ref = m.start(start_body("c1", "+14155551234")).customer_ref;
  m.end(R"({"call_id": "c1", "intent": "refund", "variables": {"order_id": "A1", "name": "Ann"}, )"
        R"("variable_ttl_seconds": {"order_id": 2592000}})");  // 30 days

  m.clock->advance(5 * kDay);
  const CustomerView v = m.mem.get_customer("acme", by_ref(ref));
  CHECK(v.variables.size() == 1);  // the name followed the tenant's ttl
  REQUIRE(v.variables.count("order_id") == 1);
  CHECK(v.variables.at("order_id").ttl_seconds == 25 * 86400);
  CHECK(v.intents.empty());
  REQUIRE(v.identities.size() == 1);
  CHECK(v.identities[0].value == "+14155551234");
  const std::string by_number = R"({"identity_hints": {"ani": "+14155551234"}})";
  CHECK(m.mem.get_customer("acme", json::parse_get(by_number)).customer_ref == ref);
  CHECK(m.mem.export_customer_json("acme", by_number).find("\"order_id\"") != std::string::npos);

  // A purge deletes what expired, never the customer nor its number.
  const Removed purged = m.mem.purge_expired(PurgeRequest{std::nullopt, 1000}).deleted;
  CHECK(purged.variables == 1);
  CHECK(purged.intents == 1);
  CHECK(purged.calls == 1);
  CHECK(purged.identities == 0);
  CHECK(purged.customers == 0);

  // A call from the number finds the customer and what it keeps; what that
  // call links lives as long as the customer.
  const StartResponse again =
      m.start(R"({"call_id": "c2", "identity_hints": {"ani": "+14155551234", )"
              R"("external_ids": {"crm_id": "CRM_1"}}, "telco": {"line_type": "mobile"}})");
  CHECK(again.customer_ref == ref);
  CHECK(again.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(again.variables.count("order_id") == 1);
  m.clock->advance(15 * kDay);  // day 20: the crm id's link outlived the tenant's ttl with its customer
  const StartResponse by_crm =
      m.start(R"({"call_id": "c3", "identity_hints": {"external_ids": {"crm_id": "CRM_1"}}})");
  CHECK(by_crm.customer_ref == ref);
  CHECK(by_crm.variables.count("order_id") == 1);
  const std::string receipt = m.mem.forget_customer_json("acme", by_number);
  CHECK(receipt.find(ref) != std::string::npos);
  CHECK(status_of([&] { m.mem.get_customer("acme", by_ref(ref)); }) == Status::not_found);
}

TEST_CASE("a customer lives until its last variable with its own ttl expires, then goes") {
  Memory m;
  m.mem.configure_tenant_json("acme", R"({"ttl_days": 1})");
  const std::string ref = m.start(start_body("c1", "+14155551234")).customer_ref;
  m.end(
      R"({"call_id": "c1", "variables": {"order_id": "A1"}, "variable_ttl_seconds": {"order_id": 864000}})");
  m.clock->advance(10 * kDay - kSecond);
  CHECK(m.mem.get_customer("acme", by_ref(ref)).variables.count("order_id") == 1);
  CHECK(m.start(start_body("probe", "+14155551234")).customer_ref == ref);
  m.clock->advance(10 * kDay + kSecond);  // one day past the probe's ttl too
  CHECK(status_of([&] { m.mem.get_customer("acme", by_ref(ref)); }) == Status::not_found);
  CHECK(m.start(start_body("c2", "+14155551234")).customer_ref != ref);
  Removed total;
  for (PurgeResult r; total.customers == 0;) {
    r = m.mem.purge_expired(PurgeRequest{std::nullopt, 1000});
    total += r.deleted;
    if (!r.more) break;
  }
  CHECK(total.customers == 1);
  CHECK(total.variables == 1);
}

TEST_CASE("once the variable that kept a customer is deleted, the customer follows the ttl again") {
  Memory m;
  m.mem.configure_tenant_json("acme", R"({"ttl_days": 1})");
  const std::string ref = m.start(start_body("c1", "+14155551234")).customer_ref;
  m.end(
      R"({"call_id": "c1", "variables": {"order_id": "A1"}, "variable_ttl_seconds": {"order_id": 864000}})");
  m.clock->advance(2 * kDay);
  REQUIRE(m.start(start_body("c2", "+14155551234")).customer_ref == ref);
  m.end(R"({"call_id": "c2", "variables": {"order_id": null}})");
  m.clock->advance(kDay + kSecond);
  CHECK(status_of([&] { m.mem.get_customer("acme", by_ref(ref)); }) == Status::not_found);
  CHECK(m.start(start_body("c3", "+14155551234")).customer_ref != ref);
}

TEST_CASE("a variable with its own ttl keeps the customer feedback moves it to") {
  Memory m;
  m.mem.configure_tenant_json("acme", R"({"ttl_days": 1})");
  const std::string a = m.start(start_body("c1", "+14155551234")).customer_ref;
  m.clock->advance(3600 * kSecond);
  REQUIRE(m.start(start_body("c2", "+14155551234")).customer_ref == a);
  m.end(
      R"({"call_id": "c2", "variables": {"order_id": "B7"}, "variable_ttl_seconds": {"order_id": 864000}})");
  // The caller was someone else: the call and what its end saved go to a new customer.
  const FeedbackResponse f = json::read_feedback_response(
      m.mem.identity_feedback_json("acme", R"({"call_id": "c2", "outcome": "rejected"})"));
  REQUIRE(f.customer_created);
  m.clock->advance(5 * kDay);
  const CustomerView v = m.mem.get_customer("acme", by_ref(f.customer_ref));
  CHECK(v.variables.count("order_id") == 1);
  REQUIRE(v.identities.size() == 1);  // the number the call came from leads to it
  CHECK(m.start(start_body("c3", "+14155551234")).customer_ref == f.customer_ref);
  CHECK(status_of([&] { m.mem.get_customer("acme", by_ref(a)); }) == Status::not_found);
}

TEST_CASE("a shorter ttl leaves a customer kept by its own-ttl variable until it expires") {
  Memory m;
  const std::string ref = m.start(start_body("c1", "+14155551234")).customer_ref;
  m.end(R"({"call_id": "c1", "variables": {"order_id": "A1", "name": "Ann"}, )"
        R"("variable_ttl_seconds": {"order_id": 864000}})");  // 10 days; the tenant's ttl is 30
  m.mem.configure_tenant_json("acme", R"({"ttl_days": 2})");
  m.clock->advance(5 * kDay);
  const CustomerView v = m.mem.get_customer("acme", by_ref(ref));
  CHECK(v.variables.size() == 1);
  CHECK(v.variables.count("order_id") == 1);
  CHECK(m.start(start_body("c2", "+14155551234")).customer_ref == ref);
}

TEST_CASE("purge deletes expired rows in bounded batches") {
  Memory m;
  for (int i = 0; i < 6; ++i) {
    m.start(start_body(fmt::format("c{}", i), fmt::format("+1415555000{}", i)));
    m.end(fmt::format(R"({{"call_id": "c{}", "intent": "x", "variables": {{"a": 1, "b": 2}}}})", i));
  }
  const auto live = m.start(start_body("live", "+14155559999", R"("at": "2026-03-01T00:00:00.000Z")"));
  PurgeRequest early{kT0 + kDay, 100};
  CHECK(m.mem.purge_expired(early).deleted.total() == 0);
  PurgeRequest later{kT0 + 31 * kDay, 10};
  Removed total;
  int batches = 0;
  PurgeResult r;
  do {
    r = m.mem.purge_expired(later);
    CHECK(r.deleted.total() <= 10);
    total += r.deleted;
    ++batches;
  } while (r.more && batches < 20);
  CHECK(total.customers == 6);
  CHECK(total.calls == 6);
  CHECK(total.intents == 6);
  CHECK(total.variables == 12);
  CHECK(total.identities == 6);
  CHECK(batches >= 4);
  m.clock->set(kT0 + 31 * kDay);
  CHECK(m.mem.get_customer("acme", by_ref(live.customer_ref)).calls.size() == 1);
  const std::string json = m.mem.purge_expired_json(R"({"now": "2026-03-09T10:30:00.000Z"})");
  CHECK(json.find("\"more\":false") != std::string::npos);
}

TEST_CASE("typed requests are validated as the wire's are") {
  Memory m;
  StartRequest s;
  s.identity_hints.ani = "+14155551234";
  try {
    m.mem.start_call("acme", s);
    FAIL("an empty call_id was accepted");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    REQUIRE(!e.issues().empty());
    CHECK(e.issues()[0].path == std::vector<std::string>{"call_id"});
  }
  s.call_id = "c1";
  s.telco.line_type = static_cast<callmem::LineType>(9);  // no enumerator: written "" and refused
  CHECK(status_of([&] { m.mem.start_call("acme", s); }) == Status::invalid);
  s.telco.line_type = callmem::LineType::mobile;
  CHECK(m.mem.start_call("acme", s).identity.recommendation == callmem::Recommendation::ignore);
  EndRequest e;
  e.call_id = "c1";
  e.intents.push_back({"refund", static_cast<callmem::IntentStatus>(9)});
  CHECK(status_of([&] { m.mem.end_call("acme", e); }) == Status::invalid);
  e.intents[0].status = callmem::IntentStatus::open;
  CHECK(m.mem.end_call("acme", e).intents_updated == 1);
  GetRequest g;
  g.who.customer_ref = "x";
  g.history_limit = 0;
  CHECK(status_of([&] { m.mem.get_customer("acme", g); }) == Status::invalid);
  CHECK(status_of([&] { m.mem.grant_credits("acme", CreditGrant{0, "k"}); }) == Status::invalid);
  CHECK(status_of([&] { m.mem.purge_expired(PurgeRequest{std::nullopt, 0}); }) == Status::invalid);
  TenantSettingsPatch p;
  p.ttl_days = 0;
  CHECK(status_of([&] { m.mem.configure_tenant("acme", p); }) == Status::invalid);
}
