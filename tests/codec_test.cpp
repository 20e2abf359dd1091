// The JSON codec: request validation, canonical forms, response shapes.
#include "json/codec.hpp"

#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "calls/fingerprint.hpp"
#include "time.hpp"

using namespace callmem;
using Path = std::vector<std::string>;

namespace {

// The issues of the Error that `f` throws; fails the test when it does not
// throw a Status::invalid Error.
template <class F>
std::vector<FieldIssue> issues_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(std::string(e.what()) == "Validation failed");
    CHECK(!e.issues().empty());
    return e.issues();
  }
  FAIL("no error thrown");
  return {};
}

// The same for readers of stored data, which throw Status::store.
template <class F>
std::vector<FieldIssue> stored_issues_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.status() == Status::store);
    CHECK(!e.issues().empty());
    return e.issues();
  }
  FAIL("no error thrown");
  return {};
}

bool has_path(const std::vector<FieldIssue>& issues, const Path& path) {
  for (const auto& i : issues)
    if (i.path == path) return true;
  return false;
}

std::string message_at(const std::vector<FieldIssue>& issues, const Path& path) {
  for (const auto& i : issues)
    if (i.path == path) return i.message;
  return "<none>";
}

#define CHECK_START_ISSUE(text_, ...) \
  CHECK(has_path(issues_of([&] { json::parse_start(text_); }), Path __VA_ARGS__))
#define CHECK_END_ISSUE(text_, ...) \
  CHECK(has_path(issues_of([&] { json::parse_end(text_); }), Path __VA_ARGS__))

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string start_with_call_id(const std::string& id) {
  return R"({"call_id":)" + quoted(id) + R"(,"identity_hints":{"ani":"+14155551234"}})";
}

const Millis kT0 = 1770460200000;  // 2026-02-07T10:30:00.000Z

}  // namespace

// ---------------------------------------------------------------------------
// call start

TEST_CASE("codec: parse_start reads the full shape") {
  const auto r = json::parse_start(R"({
    "call_id": "call_001",
    "identity_hints": { "ani": "+14155551234", "dnis": "+18005550100",
                        "external_ids": { "crm_id": "CRM_789" }, "customer_ref": "ref-1" },
    "telco": { "line_type": "mobile", "attestation": "A", "verstat": "TN-Validation-Passed" },
    "channel": "chat", "direction": "outbound", "at": "2026-02-07T10:30:00.000Z",
    "some_future_field": {"x": [1, 2, 3]} })");
  CHECK(r.call_id == "call_001");
  CHECK(r.identity_hints.ani == "+14155551234");
  CHECK(r.identity_hints.dnis == "+18005550100");
  CHECK(r.identity_hints.external_ids == std::map<std::string, std::string>{{"crm_id", "CRM_789"}});
  CHECK(r.identity_hints.customer_ref == "ref-1");
  CHECK(r.telco.line_type == callmem::LineType::mobile);
  CHECK(r.telco.attestation == callmem::Attestation::A);
  CHECK(r.telco.verstat == callmem::Verstat::tn_validation_passed);
  CHECK(r.channel == callmem::Channel::chat);
  CHECK(r.direction == callmem::Direction::outbound);
  CHECK(r.at == kT0);
}

TEST_CASE("codec: parse_start defaults") {
  const auto r = json::parse_start(R"({"call_id":"c","identity_hints":{"external_ids":{"a":"b"}}})");
  CHECK(r.channel == callmem::Channel::voice);
  CHECK(r.direction == callmem::Direction::inbound);
  CHECK(!r.at);
  CHECK(!r.telco.line_type);
  CHECK(!r.telco.attestation);
  CHECK(!r.telco.verstat);
  CHECK(!r.identity_hints.ani);
  CHECK(!r.identity_hints.dnis);
  CHECK(!r.identity_hints.customer_ref);
  // null is the same as absent for optional fields.
  const auto n = json::parse_start(
      R"({"call_id":"c","identity_hints":{"external_ids":{"a":"b"},"ani":null},"telco":null,"at":null,"channel":null})");
  CHECK(json::canonical(n) == json::canonical(r));
}

TEST_CASE("codec: the legacy start shape has the canonical form of the current one") {
  const auto current = json::parse_start(
      R"({"call_id":"call_001","identity_hints":{"ani":"+14155551234","external_ids":{"crm_id":"CRM_789"}}})");
  const auto legacy =
      json::parse_start(R"({"call_id":"call_001","ani":"+14155551234","external_ids":{"crm_id":"CRM_789"}})");
  const auto reordered = json::parse_start(
      R"({"identity_hints":{"external_ids":{"crm_id":"CRM_789"},"ani":"+14155551234"},"call_id":"call_001"})");
  const auto explicit_defaults = json::parse_start(
      R"({"call_id":"call_001","channel":"voice","direction":"inbound","ani":"+14155551234","external_ids":{"crm_id":"CRM_789"}})");
  CHECK(json::canonical(legacy) == json::canonical(current));
  CHECK(json::canonical(reordered) == json::canonical(current));
  CHECK(json::canonical(explicit_defaults) == json::canonical(current));
  CHECK(
      json::canonical(current) ==
      R"({"call_id":"call_001","identity_hints":{"ani":"+14155551234","dnis":null,"external_ids":{"crm_id":"CRM_789"},)"
      R"("customer_ref":null},"telco":{},"channel":"voice","direction":"inbound"})");

  const auto other = json::parse_start(R"({"call_id":"call_001","ani":"+14155551235"})");
  CHECK(json::canonical(other) != json::canonical(current));
  const auto other_channel = json::parse_start(
      R"({"call_id":"call_001","channel":"sms","ani":"+14155551234","external_ids":{"crm_id":"CRM_789"}})");
  CHECK(json::canonical(other_channel) != json::canonical(current));
}

TEST_CASE("codec: legacy top-level hints merge with identity_hints, which win") {
  const auto r = json::parse_start(R"({"call_id":"c","ani":"top","dnis":"top-dnis","customer_ref":"top-ref",
      "external_ids":{"a":"top","b":"top"},
      "identity_hints":{"ani":"inner","external_ids":{"a":"inner"}}})");
  CHECK(r.identity_hints.ani == "inner");
  CHECK(r.identity_hints.dnis == "top-dnis");
  CHECK(r.identity_hints.customer_ref == "top-ref");
  CHECK(r.identity_hints.external_ids == std::map<std::string, std::string>{{"a", "inner"}, {"b", "top"}});
}

TEST_CASE("codec: start needs at least one identity hint") {
  const std::string expected = "identity_hints must include ani, external_ids, or customer_ref";
  for (const char* text : {R"({"call_id":"c"})", R"({"call_id":"c","identity_hints":{}})",
                           R"({"call_id":"c","identity_hints":{"external_ids":{}}})",
                           R"({"call_id":"c","identity_hints":{"dnis":"+18005550100"}})",
                           R"({"call_id":"c","dnis":"+18005550100","external_ids":{}})"}) {
    CAPTURE(text);
    const auto issues = issues_of([&] { json::parse_start(text); });
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path == Path{"identity_hints"});
    CHECK(issues[0].message == expected);
  }
  // Any one of them is enough.
  CHECK_NOTHROW(json::parse_start(R"({"call_id":"c","identity_hints":{"customer_ref":"r"}})"));
  CHECK_NOTHROW(json::parse_start(R"({"call_id":"c","customer_ref":"r"})"));
  CHECK_NOTHROW(json::parse_start(R"({"call_id":"c","external_ids":{"k":"v"}})"));
  // identity_hints of the wrong type.
  CHECK_START_ISSUE(R"({"call_id":"c","identity_hints":[]})", {"identity_hints"});
  CHECK_START_ISSUE(R"({"call_id":"c","identity_hints":"+1415"})", {"identity_hints"});
}

TEST_CASE("codec: call_id is required, 1..128 characters, a string without NUL") {
  CHECK(json::parse_start(start_with_call_id(std::string(128, 'x'))).call_id.size() == 128);
  CHECK_START_ISSUE(start_with_call_id(std::string(129, 'x')), {"call_id"});
  CHECK_START_ISSUE(start_with_call_id(""), {"call_id"});
  CHECK_START_ISSUE(start_with_call_id("a\\u0000b"), {"call_id"});
  CHECK_START_ISSUE(R"({"identity_hints":{"ani":"1"}})", {"call_id"});
  CHECK_START_ISSUE(R"({"call_id":null,"identity_hints":{"ani":"1"}})", {"call_id"});
  CHECK_START_ISSUE(R"({"call_id":12,"identity_hints":{"ani":"1"}})", {"call_id"});
  CHECK_START_ISSUE(R"({"call_id":["a"],"identity_hints":{"ani":"1"}})", {"call_id"});
  // Lengths count characters, not bytes: 128 two-byte characters are fine.
  std::string e_acute;
  for (int i = 0; i < 128; ++i) e_acute += "\xC3\xA9";
  CHECK(json::parse_start(start_with_call_id(e_acute)).call_id == e_acute);
  CHECK_START_ISSUE(start_with_call_id(e_acute + "x"), {"call_id"});
}

TEST_CASE("codec: identity hint limits") {
  auto hints = [](const std::string& inner) { return R"({"call_id":"c","identity_hints":{)" + inner + "}}"; };
  CHECK_NOTHROW(json::parse_start(hints(R"("ani":)" + quoted(std::string(256, '1')))));
  CHECK_START_ISSUE(hints(R"("ani":)" + quoted(std::string(257, '1'))), {"identity_hints", "ani"});
  // An empty ANI is a withheld one (docs/identity.md): accepted, and it counts as the hint given.
  CHECK(json::parse_start(hints(R"("ani":"")")).identity_hints.ani == "");
  CHECK_START_ISSUE(hints(R"("ani":14155551234)"), {"identity_hints", "ani"});
  CHECK_NOTHROW(json::parse_start(hints(R"("ani":"1","dnis":)" + quoted(std::string(256, '1')))));
  CHECK_START_ISSUE(hints(R"("ani":"1","dnis":)" + quoted(std::string(257, '1'))),
                    {"identity_hints", "dnis"});
  CHECK_NOTHROW(json::parse_start(hints(R"("customer_ref":)" + quoted(std::string(64, 'r')))));
  CHECK_START_ISSUE(hints(R"("customer_ref":)" + quoted(std::string(65, 'r'))),
                    {"identity_hints", "customer_ref"});
  CHECK_START_ISSUE(hints(R"("customer_ref":"a\u0000")"), {"identity_hints", "customer_ref"});
  // Legacy top-level fields are checked under their own name.
  CHECK_START_ISSUE(R"({"call_id":"c","ani":)" + quoted(std::string(257, '1')) + "}", {"ani"});
}

TEST_CASE("codec: external id limits") {
  auto ext = [](const std::string& inner) {
    return R"({"call_id":"c","identity_hints":{"external_ids":{)" + inner + "}}}";
  };
  CHECK_NOTHROW(json::parse_start(ext(quoted(std::string(64, 'k')) + ":" + quoted(std::string(256, 'v')))));
  CHECK_START_ISSUE(ext(quoted(std::string(65, 'k')) + R"(:"v")"),
                    {"identity_hints", "external_ids", std::string(65, 'k')});
  CHECK_START_ISSUE(ext(R"("crm_id":)" + quoted(std::string(257, 'v'))),
                    {"identity_hints", "external_ids", "crm_id"});
  CHECK_START_ISSUE(ext(R"("crm_id":"")"), {"identity_hints", "external_ids", "crm_id"});
  CHECK_START_ISSUE(ext(R"("crm_id":789)"), {"identity_hints", "external_ids", "crm_id"});
  CHECK_START_ISSUE(ext(R"("crm_id":{"a":"b"})"), {"identity_hints", "external_ids", "crm_id"});
  CHECK_START_ISSUE(ext(R"("":"v")"), {"identity_hints", "external_ids", ""});
  CHECK_START_ISSUE(ext(R"("a\u0000b":"v")"), {"identity_hints", "external_ids", std::string("a\0b", 3)});
  CHECK_START_ISSUE(R"({"call_id":"c","identity_hints":{"external_ids":["a"]}})",
                    {"identity_hints", "external_ids"});

  std::string many;
  for (int i = 0; i < 32; ++i) many += (i ? "," : "") + quoted("k" + std::to_string(i)) + R"(:"v")";
  CHECK(json::parse_start(ext(many)).identity_hints.external_ids.size() == 32);
  CHECK_START_ISSUE(ext(many + R"(,"k32":"v")"), {"identity_hints", "external_ids"});
  // 32 inside and one more at the top level (legacy) is 33 after the merge.
  CHECK_START_ISSUE(
      R"({"call_id":"c","external_ids":{"extra":"v"},"identity_hints":{"external_ids":{)" + many + "}}}",
      {"identity_hints", "external_ids"});
}

TEST_CASE("codec: telco, channel, direction and at") {
  const std::string base = R"({"call_id":"c","ani":"1",)";
  for (const char* lt : {"mobile", "landline", "voip", "unknown"})
    CHECK(json::parse_start(base + R"("telco":{"line_type":")" + lt + R"("}})").telco.line_type ==
          callmem::from_string<callmem::LineType>(lt));
  for (const char* a : {"A", "B", "C"})
    CHECK(json::parse_start(base + R"("telco":{"attestation":")" + a + R"("}})").telco.attestation ==
          callmem::from_string<callmem::Attestation>(a));
  for (const char* v : {"TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"})
    CHECK(json::parse_start(base + R"("telco":{"verstat":")" + v + R"("}})").telco.verstat ==
          callmem::from_string<callmem::Verstat>(v));
  CHECK_START_ISSUE(base + R"("telco":{"line_type":"satellite"}})", {"telco", "line_type"});
  CHECK_START_ISSUE(base + R"("telco":{"line_type":""}})", {"telco", "line_type"});
  CHECK_START_ISSUE(base + R"("telco":{"attestation":"a"}})", {"telco", "attestation"});
  CHECK_START_ISSUE(base + R"("telco":{"attestation":1}})", {"telco", "attestation"});
  CHECK_START_ISSUE(base + R"("telco":{"verstat":"passed"}})", {"telco", "verstat"});
  CHECK_START_ISSUE(base + R"("telco":"mobile"})", {"telco"});
  for (const char* c : {"voice", "chat", "email", "sms"})
    CHECK(to_string(json::parse_start(base + R"("channel":")" + c + R"("})").channel) == c);
  CHECK_START_ISSUE(base + R"("channel":"fax"})", {"channel"});
  CHECK_START_ISSUE(base + R"("channel":"Voice"})", {"channel"});
  CHECK_START_ISSUE(base + R"("direction":"sideways"})", {"direction"});
  CHECK_START_ISSUE(base + R"("direction":true})", {"direction"});
  CHECK(json::parse_start(base + R"("at":"2026-02-07T12:30:00+02:00"})").at == kT0);
  CHECK_START_ISSUE(base + R"("at":"yesterday"})", {"at"});
  CHECK_START_ISSUE(base + R"("at":1770460200000})", {"at"});
  CHECK_START_ISSUE(base + R"("at":"2026-02-30T00:00:00Z"})", {"at"});
  // Before the epoch (it would not format back to a valid timestamp).
  CHECK_START_ISSUE(base + R"("at":"1970-01-01T00:00:00+01:00"})", {"at"});
}

TEST_CASE("codec: several issues are reported together") {
  const auto issues = issues_of([] {
    json::parse_start(
        R"({"call_id":"","identity_hints":{"ani":5},"channel":"fax","telco":{"attestation":"D"}})");
  });
  CHECK(has_path(issues, {"call_id"}));
  CHECK(has_path(issues, {"identity_hints", "ani"}));
  CHECK(has_path(issues, {"channel"}));
  CHECK(has_path(issues, {"telco", "attestation"}));
  // The hint was present (if invalid): no "must include" noise.
  CHECK(!has_path(issues, {"identity_hints"}));
}

// ---------------------------------------------------------------------------
// Malformed input

TEST_CASE("codec: malformed JSON names the offset") {
  for (const char* text :
       {"", " ", "{", "{\"call_id\":", "nope", "{\"a\":1,}", "{'a':1}", "{\"a\":1} x", "{\"a\":01}",
        "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}"}) {
    CAPTURE(text);
    const auto issues = issues_of([&] { json::parse_start(text); });
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path.empty());
    CHECK(issues[0].message.rfind("malformed JSON at offset ", 0) == 0);
  }
  const auto issues = issues_of([] { json::parse_start("{\"call_id\": x}"); });
  CHECK(issues[0].message.rfind("malformed JSON at offset 12: ", 0) == 0);
}

TEST_CASE("codec: a request must be an object") {
  for (const char* text : {"[]", "null", "1", "\"call\"", "true"}) {
    CAPTURE(text);
    const auto issues = issues_of([&] { json::parse_start(text); });
    CHECK(issues[0].path.empty());
  }
  CHECK(!issues_of([] { json::parse_end("[]"); }).empty());
  CHECK(!issues_of([] { json::parse_settings("[]"); }).empty());
  CHECK(!issues_of([] { json::parse_purge("[]"); }).empty());
}

TEST_CASE("codec: a key given twice in one object is refused, naming it, in every request") {
  const auto issues = issues_of(
      [] { json::parse_start(R"({"call_id":5,"call_id":"dup","identity_hints":{"ani":"+14155551234"}})"); });
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].path == Path{"call_id"});
  CHECK(issues[0].message == "call_id is given more than once");
  CHECK_START_ISSUE(R"({"call_id":"c","identity_hints":{"ani":"+14155551234","ani":"+14155550000"}})",
                    {"identity_hints", "ani"});
  // Keys are compared as decoded: "\u0061ni" is "ani"; case matters.
  CHECK_START_ISSUE(R"({"call_id":"c","identity_hints":{"ani":"1","\u0061ni":"2"}})",
                    {"identity_hints", "ani"});
  CHECK_NOTHROW(json::parse_start(R"({"call_id":"c","Call_id":"d","identity_hints":{"ani":"1"}})"));
  // Anywhere: in unknown members, inside a variable's value, inside arrays.
  CHECK_START_ISSUE(R"({"call_id":"c","identity_hints":{"ani":"1"},"x":[{"y":{"z":1,"z":1}}]})",
                    {"x", "0", "y", "z"});
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{"cart":{"items":[{"sku":1},{"sku":2,"sku":3}]}}})",
                  {"variables", "cart", "items", "1", "sku"});
  CHECK_END_ISSUE(R"({"call_id":"c","intents":[{"intent":"a","intent":"b"}]})", {"intents", "0", "intent"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent":"a","intent_status":"open","intent_status":"resolved"})",
                  {"intent_status"});
  // Each key given more than once is named once.
  const auto several = issues_of([] {
    json::parse_start(R"({"call_id":"c","identity_hints":{"ani":"1"},"a":1,"b":1,"a":2,"a":3,"b":2})");
  });
  REQUIRE(several.size() == 2);
  CHECK(has_path(several, {"a"}));
  CHECK(has_path(several, {"b"}));
  // A large object is checked without comparing every pair of keys.
  std::string many = R"({"call_id":"c","identity_hints":{"ani":"1"},"x":{)";
  for (int i = 0; i < 50000; ++i) many += "\"k" + std::to_string(i) + "\":0,";
  CHECK_NOTHROW(json::parse_start(many + "\"k\":0}}"));
  CHECK_START_ISSUE(many + "\"k777\":0}}", {"x", "k777"});

  // Every other request, the open configuration and tenant settings.
  const auto named = [](auto parse, const std::string& text, const Path& path) {
    CAPTURE(text);
    CHECK(has_path(issues_of([&] { parse(text); }), path));
  };
  named(json::parse_get, R"({"customer_ref":"r","customer_ref":"s"})", {"customer_ref"});
  named(json::parse_get, R"({"customer_ref":"r","history_limit":5,"history_limit":6})", {"history_limit"});
  named(json::parse_selector, R"({"identity_hints":{"external_ids":{"crm":"1","crm":"2"}}})",
        {"identity_hints", "external_ids", "crm"});
  named(json::parse_settings, R"({"ttl_days":7,"ttl_days":8})", {"ttl_days"});
  named(json::parse_settings, R"({"billing":{"prices":{"end":1,"end":2}}})", {"billing", "prices", "end"});
  named(json::parse_settings, R"({"identity":{"weights":{"ani":{"u":{"mobile":0.1,"mobile":0.2}}}}})",
        {"identity", "weights", "ani", "u", "mobile"});
  named(json::parse_grant, R"({"amount":1,"amount":2,"idempotency_key":"k"})", {"amount"});
  named(json::parse_usage, R"({"from":"2026-02-07T10:30:00.000Z","from":"2026-02-08T10:30:00.000Z"})",
        {"from"});
  named(json::parse_purge, R"({"limit":1,"limit":2})", {"limit"});
  named(json::parse_feedback, R"({"call_id":"c","outcome":"confirmed","outcome":"rejected"})", {"outcome"});
  named(json::parse_unmerge, R"({"merge_id":"m","merge_id":"n"})", {"merge_id"});
  named(json::parse_open_config, R"({"path":"a.db","path":"b.db"})", {"path"});
  named(json::parse_open_config, R"({"default_settings":{"levels":{"high":0.8,"high":0.6}}})",
        {"default_settings", "levels", "high"});
}

TEST_CASE("codec: NUL bytes and invalid UTF-8") {
  // A raw NUL in the text ends nothing: the text is malformed.
  const std::string with_nul = std::string(R"({"call_id":"c","ani":"1"})") + '\0' + "garbage";
  CHECK(issues_of([&] { json::parse_start(with_nul); })[0].path.empty());
  const std::string nul_in_string = std::string(R"({"call_id":"a)") + '\0' + R"(b","ani":"1"})";
  CHECK(issues_of([&] { json::parse_start(nul_in_string); })[0].path.empty());
  // Invalid UTF-8 bytes anywhere are refused.
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    CAPTURE(bad);
    const std::string text = R"({"call_id":"c)" + std::string(bad) + R"(","ani":"1"})";
    CHECK(issues_of([&] { json::parse_start(text); })[0].path.empty());
    const std::string unknown = R"({"call_id":"c","ani":"1","x":")" + std::string(bad) + R"("})";
    CHECK_THROWS_AS(json::parse_start(unknown), Error);
  }
  // A lone low surrogate escape decodes to invalid UTF-8: refused on the field.
  CHECK_START_ISSUE(R"({"call_id":"a\udc00","ani":"1"})", {"call_id"});
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{"v":"\udc00"}})", {"variables", "v"});
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{"v":{"\udc00":1}}})", {"variables", "v"});
  // A valid surrogate pair is fine.
  CHECK(json::parse_start(R"({"call_id":"\ud83d\ude00","ani":"1"})").call_id == "\xF0\x9F\x98\x80");
}

TEST_CASE("codec: deep nesting is refused or handled, never a crash") {
  const std::string open(100000, '[');
  CHECK(issues_of([&] { json::parse_start(open); })[0].path.empty());
  CHECK(issues_of([&] { json::parse_end(open); })[0].path.empty());
  CHECK(issues_of([&] { json::parse_start(std::string(100000, '{')); })[0].path.empty());
  // Well-formed but deep, in an ignored field: fine.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(json::parse_start(R"({"call_id":"c","ani":"1","x":)" + deep + "}").call_id == "c");
  // Deep inside a variable: too big, but no crash.
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{"v":)" + deep + "}}", {"variables", "v"});
  // Deep and small enough: stored as compact JSON.
  const std::string deep_small = std::string(8000, '[') + std::string(8000, ']');
  const auto r = json::parse_end(R"({"call_id":"c","variables":{"v":)" + deep_small + "}}");
  CHECK(r.variables.at("v")->text == deep_small);
  // And it writes and reads back.
  StartResponse s;
  s.variables["v"] = Variable{JsonText{deep_small}, "c", 10, kT0};
  CHECK(json::read_start_response(json::write(s)).variables.at("v").value.text == deep_small);
}

TEST_CASE("codec: requests over 1 MiB are refused") {
  std::string text = R"({"call_id":"c","ani":"1","pad":")";
  text += std::string(json::kMaxRequestBytes - text.size() - 2, 'x');
  text += "\"}";
  CHECK(text.size() == json::kMaxRequestBytes);
  CHECK_NOTHROW(json::parse_start(text));
  text.insert(text.size() - 2, "x");
  const auto issues = issues_of([&] { json::parse_start(text); });
  CHECK(issues[0].path.empty());
}

TEST_CASE("codec: integers are integral JSON numbers in range") {
  auto grant = [](const std::string& amount) {
    return R"({"amount":)" + amount + R"(,"idempotency_key":"k"})";
  };
  CHECK(json::parse_grant(grant("1")).amount == 1);
  CHECK(json::parse_grant(grant("1000000000000")).amount == 1000000000000);
  for (const char* bad : {"0", "-1", "1000000000001", "1.5", "1.0", "1e2", "9223372036854775807",
                          "9223372036854775808", "18446744073709551616", "-9223372036854775809",
                          "123456789012345678901234567890", "\"5\"", "true", "[1]"}) {
    CAPTURE(bad);
    const auto issues = issues_of([&] { json::parse_grant(grant(bad)); });
    CHECK(has_path(issues, {"amount"}));
  }
  // Too big for a double is a syntax error.
  CHECK(issues_of([&] { json::parse_grant(grant("1e400")); })[0].path.empty());
}

namespace {

// The double a JSON number means (std::from_chars rounds correctly).
double number(const std::string& text) {
  double d = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  REQUIRE_MESSAGE(ec == std::errc(), text);
  REQUIRE_MESSAGE(end == text.data() + text.size(), text);
  return d;
}

bool same_double(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A variable's value as the codec keeps it (and writes it back).
std::string variable_value(const std::string& json) {
  return json::parse_end(R"({"call_id":"c","variables":{"v":)" + json + "}}").variables.at("v")->text;
}

}  // namespace

TEST_CASE("codec: a number reads as the double nearest to it, and writes back to that double") {
  // Debian's RapidJSON 1.1.0 turned these into garbage (undefined behaviour
  // in its full-precision conversion): a zero is a zero, whatever its exponent.
  CHECK(variable_value("0e206") == "0.0");
  CHECK(variable_value("0E+50") == "0.0");
  CHECK(variable_value("-0.0e100") == "-0.0");
  CHECK(variable_value("0.000e-400") == "0.0");
  CHECK(variable_value("[0e206,{\"x\":0E+50}]") == "[0.0,{\"x\":0.0}]");
  CHECK(json::parse_settings(R"({"levels":{"medium":0e206}})").level_medium == 0.0);
  CHECK(json::parse_settings(R"({"recommendations":{"confirm":0E+50}})").confirm == 0.0);
  CHECK(json::parse_settings(R"({"levels":{"medium":-0.0e100}})").level_medium == 0.0);
  CHECK(has_path(issues_of([] { json::parse_settings(R"({"identity":{"weights":{"open_intent":0e206}}})"); }),
                 {"identity", "weights", "open_intent"}));
  CHECK(json::parse_settings(R"({"identity":{"weights":{"ani":{"u":{"landline":5e-1}}}}})")
            .identity_weights.ani_u_landline == 0.5);
  // An exponent makes a number that is not an integer, even when it is 0.
  CHECK(has_path(issues_of([] { json::parse_grant(R"({"amount":0e206,"idempotency_key":"k"})"); }),
                 {"amount"}));
  CHECK(has_path(issues_of([] { json::parse_purge(R"({"limit":1E+2})"); }), {"limit"}));

  // Decimal forms that are hard to round, at the edges of the range, and
  // with more digits than a double holds.
  for (const char* text : {"0.1",
                           "0.30000000000000004",
                           "2.2250738585072011e-308",
                           "2.2250738585072012e-308",
                           "2.2250738585072014e-308",
                           "1.7976931348623157e308",
                           "4.9406564584124654e-324",
                           "5e-324",
                           "2.5e-324",
                           "9007199254740993",
                           "9007199254740993.0",
                           "123456789012345678901234567890",
                           "1e23",
                           "8.41e21",
                           "0.1000000000000000055511151231257827021181583404541015625",
                           "1.00000000000000011102230246251565404236316680908203125",
                           "7.1e-10",
                           "-1234.5678e-3",
                           "0.0000000000000000000000000000000000000000000000001e48",
                           "18446744073709551616",
                           "-9223372036854775809",
                           "1e-320",
                           "123.456e5",
                           "1E22",
                           "1e+22"}) {
    CAPTURE(text);
    const std::string kept = variable_value(text);
    CAPTURE(kept);
    CHECK(same_double(number(kept), number(text)));
  }

  // Random doubles, written with 17 significant digits, come back bit for bit.
  std::mt19937_64 rng(20260207);
  int tried = 0;
  while (tried < 20000) {
    std::uint64_t bits = rng();
    if (tried % 4 == 1) bits &= 0x800FFFFFFFFFFFFFull;  // subnormals
    if (tried % 4 == 2) bits = (bits & 0x800FFFFFFFFFFFFFull) | (std::uint64_t{rng() % 2046 + 1} << 52);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    ++tried;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    const std::string kept = variable_value(buf);
    if (!same_double(number(kept), d)) {
      CAPTURE(buf);
      CAPTURE(kept);
      FAIL_CHECK("a double does not come back");
    }
  }

  // Outside a double's range, either way: refused, never read as infinity or 0.
  for (const char* text : {"1e400", "-1e400", "1e-400", "-2.4e-324", "123e-330", "1.7976931348623159e308"}) {
    CAPTURE(text);
    const auto issues = issues_of([&] { variable_value(text); });
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path.empty());
    CHECK(issues[0].message.rfind("malformed JSON at offset 32: ", 0) == 0);
  }
}

// ---------------------------------------------------------------------------
// call end

TEST_CASE("codec: parse_end reads the full shape") {
  const auto r = json::parse_end(R"({ "call_id": "call_001", "customer_ref": "ref-1",
    "intent": "refund_request", "intent_status": "open",
    "intents": [ { "intent": "address_change", "status": "resolved" }, { "intent": "x", "status": "abandoned" } ],
    "variables": { "name": "John Doe", "order_id": "12345", "old_key": null,
                   "obj": { "b" : [1, 2.5, true, null, "s"], "a": {} }, "n": 42, "f": 1.5 },
    "variable_ttl_seconds": { "order_id": 7776000 },
    "external_ids": { "account_number": "99812" }, "at": "2026-02-07T10:30:00.000Z",
    "telco": { "line_type": "voip" } })");
  CHECK(r.call_id == "call_001");
  CHECK(r.customer_ref == "ref-1");
  REQUIRE(r.intents.size() == 3);
  CHECK(r.intents[0].intent == "refund_request");
  CHECK(r.intents[0].status == callmem::IntentStatus::open);
  CHECK(r.intents[1].intent == "address_change");
  CHECK(r.intents[1].status == callmem::IntentStatus::resolved);
  CHECK(r.intents[2].status == callmem::IntentStatus::abandoned);
  CHECK(r.variables.size() == 6);
  CHECK(r.variables.at("name")->text == R"("John Doe")");
  CHECK(r.variables.at("order_id")->text == R"("12345")");
  CHECK(!r.variables.at("old_key").has_value());
  CHECK(r.variables.at("obj")->text == R"({"b":[1,2.5,true,null,"s"],"a":{}})");
  CHECK(r.variables.at("n")->text == "42");
  CHECK(r.variables.at("f")->text == "1.5");
  CHECK(r.variable_ttl_seconds == std::map<std::string, std::int64_t>{{"order_id", 7776000}});
  CHECK(r.external_ids == std::map<std::string, std::string>{{"account_number", "99812"}});
  CHECK(!r.identity_hints);
  CHECK(r.telco.line_type == callmem::LineType::voip);
  CHECK(r.at == kT0);
}

TEST_CASE("codec: end intent status forms") {
  auto single = [](const std::string& fields) {
    const auto r = json::parse_end(R"({"call_id":"c",)" + fields + "}");
    REQUIRE(r.intents.size() == 1);
    return std::string(to_string(r.intents[0].status));
  };
  CHECK(single(R"("intent":"i")") == "open");
  CHECK(single(R"("intent":"i","intent_status":"resolved")") == "resolved");
  CHECK(single(R"("intent":"i","intent_status":"abandoned")") == "abandoned");
  CHECK(single(R"("intent":"i","intent_is_open":true)") == "open");
  CHECK(single(R"("intent":"i","intent_is_open":false)") == "resolved");
  CHECK(single(R"("intent":"i","intent_is_open":false,"intent_status":"resolved")") == "resolved");
  CHECK(single(R"("intent":"i","intent_is_open":true,"intent_status":"open")") == "open");
  CHECK(json::parse_end(R"({"call_id":"c"})").intents.empty());

  CHECK_END_ISSUE(R"({"call_id":"c","intent_status":"open"})", {"intent"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent_is_open":true})", {"intent"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent":"i","intent_status":"closed"})", {"intent_status"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent":"i","intent_is_open":"yes"})", {"intent_is_open"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent":"i","intent_is_open":true,"intent_status":"resolved"})",
                  {"intent_is_open"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent":"i","intent_is_open":false,"intent_status":"abandoned"})",
                  {"intent_is_open"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent":""})", {"intent"});
  CHECK_END_ISSUE(R"({"call_id":"c","intent":7})", {"intent"});
  CHECK_NOTHROW(json::parse_end(R"({"call_id":"c","intent":)" + quoted(std::string(128, 'i')) + "}"));
  CHECK_END_ISSUE(R"({"call_id":"c","intent":)" + quoted(std::string(129, 'i')) + "}", {"intent"});
}

TEST_CASE("codec: the legacy end shape has the canonical form of the current one") {
  const auto legacy = json::parse_end(
      R"({"call_id":"c","customer_ref":"r","intent":"refund","intent_is_open":true,"variables":{"name":"John"}})");
  const auto current = json::parse_end(
      R"({"variables":{"name" : "John"},"intent_status":"open","intent":"refund","customer_ref":"r","call_id":"c"})");
  const auto as_array = json::parse_end(
      R"({"call_id":"c","customer_ref":"r","intents":[{"intent":"refund","status":"open"}],"variables":{"name":"John"}})");
  CHECK(json::canonical(legacy) == json::canonical(current));
  CHECK(json::canonical(as_array) == json::canonical(current));
  CHECK(json::canonical(current) ==
        R"({"call_id":"c","customer_ref":"r","intents":[{"intent":"refund","status":"open"}],)"
        R"("variables":{"name":"John"},"variable_ttl_seconds":{},"external_ids":{},"identity_hints":null,)"
        R"("telco":{}})");
  const auto resolved = json::parse_end(
      R"({"call_id":"c","customer_ref":"r","intent":"refund","intent_is_open":false,"variables":{"name":"John"}})");
  CHECK(json::canonical(resolved) != json::canonical(current));
  const auto deleted = json::parse_end(R"({"call_id":"c","variables":{"name":null}})");
  const auto null_string = json::parse_end(R"({"call_id":"c","variables":{"name":"null"}})");
  CHECK(json::canonical(deleted) != json::canonical(null_string));
  CHECK(json::canonical(deleted).find(R"("variables":{"name":null})") != std::string::npos);
}

TEST_CASE("codec: end intents array") {
  CHECK_END_ISSUE(R"({"call_id":"c","intents":[{"intent":"a","status":"done"}]})",
                  {"intents", "0", "status"});
  CHECK_END_ISSUE(R"({"call_id":"c","intents":[{"intent":"a"},{"status":"open"}]})",
                  {"intents", "1", "intent"});
  CHECK_END_ISSUE(R"({"call_id":"c","intents":[{"intent":"a"},"b"]})", {"intents", "1"});
  CHECK_END_ISSUE(R"({"call_id":"c","intents":{"intent":"a"}})", {"intents"});
  CHECK(json::parse_end(R"({"call_id":"c","intents":[{"intent":"a"}]})").intents[0].status ==
        callmem::IntentStatus::open);

  auto many = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i)
      s += (i ? "," : "") + std::string(R"({"intent":"i)") + std::to_string(i) + R"("})";
    return "[" + s + "]";
  };
  CHECK(json::parse_end(R"({"call_id":"c","intents":)" + many(32) + "}").intents.size() == 32);
  CHECK_END_ISSUE(R"({"call_id":"c","intents":)" + many(33) + "}", {"intents"});
  CHECK(json::parse_end(R"({"call_id":"c","intent":"x","intents":)" + many(31) + "}").intents.size() == 32);
  CHECK_END_ISSUE(R"({"call_id":"c","intent":"x","intents":)" + many(32) + "}", {"intents"});
}

TEST_CASE("codec: end variables") {
  // Names: 1..64 characters.
  CHECK_NOTHROW(
      json::parse_end(R"({"call_id":"c","variables":{)" + quoted(std::string(64, 'n')) + R"(:1}})"));
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{)" + quoted(std::string(65, 'n')) + R"(:1}})",
                  {"variables", std::string(65, 'n')});
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{"":1}})", {"variables", ""});
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{"a\u0000":1}})", {"variables", std::string("a\0", 2)});
  CHECK_END_ISSUE(R"({"call_id":"c","variables":["a"]})", {"variables"});
  CHECK_END_ISSUE(R"({"call_id":"c","variables":"a"})", {"variables"});

  // Values: at most 16 KiB of compact JSON (a string of n chars is n + 2 bytes).
  const std::string ok = R"({"call_id":"c","variables":{"v":)" + quoted(std::string(16384 - 2, 'v')) + "}}";
  CHECK(json::parse_end(ok).variables.at("v")->text.size() == 16384);
  const std::string too_big =
      R"({"call_id":"c","variables":{"v":)" + quoted(std::string(16384 - 1, 'v')) + "}}";
  CHECK_END_ISSUE(too_big, {"variables", "v"});
  // Whitespace does not count: the compact form is measured.
  std::string spaced = "[";
  for (int i = 0; i < 4000; ++i) spaced += (i ? " ,  " : "") + std::string("1");
  spaced += "]";
  CHECK(spaced.size() > 16384);
  CHECK(
      json::parse_end(R"({"call_id":"c","variables":{"v":)" + spaced + "}}").variables.at("v")->text.size() <
      16384);
  // Strings in values may hold NUL and control characters (escaped).
  CHECK(json::parse_end(R"({"call_id":"c","variables":{"v":"a\u0000\n"}})").variables.at("v")->text ==
        R"("a\u0000\n")");
  // Numbers keep their value.
  CHECK(json::parse_end(R"({"call_id":"c","variables":{"v":[0.1,-0,1E2,12345678901234567890,-5]}})")
            .variables.at("v")
            ->text == "[0.1,0,100.0,12345678901234567890,-5]");

  // At most 256 per request.
  auto vars = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i)
      s += (i ? "," : "") + quoted("v" + std::to_string(i)) + ":" + std::to_string(i);
    return "{" + s + "}";
  };
  CHECK(json::parse_end(R"({"call_id":"c","variables":)" + vars(256) + "}").variables.size() == 256);
  CHECK_END_ISSUE(R"({"call_id":"c","variables":)" + vars(257) + "}", {"variables"});
  // A repeated key is refused, naming it (no "last one wins").
  CHECK_END_ISSUE(R"({"call_id":"c","variables":{"a":1,"a":2}})", {"variables", "a"});
}

TEST_CASE("codec: variable TTLs") {
  CHECK(json::parse_end(R"({"call_id":"c","variable_ttl_seconds":{"a":1,"b":31536000}})")
            .variable_ttl_seconds == std::map<std::string, std::int64_t>{{"a", 1}, {"b", 31536000}});
  for (const char* bad : {"0", "-1", "31536001", "1.5", "\"60\"", "null", "9223372036854775808"}) {
    CAPTURE(bad);
    CHECK_END_ISSUE(R"({"call_id":"c","variable_ttl_seconds":{"a":)" + std::string(bad) + "}}",
                    {"variable_ttl_seconds", "a"});
  }
  CHECK_END_ISSUE(R"({"call_id":"c","variable_ttl_seconds":{)" + quoted(std::string(65, 'n')) + ":5}}",
                  {"variable_ttl_seconds", std::string(65, 'n')});
  CHECK_END_ISSUE(R"({"call_id":"c","variable_ttl_seconds":[]})", {"variable_ttl_seconds"});
}

TEST_CASE("codec: end fields: call_id, customer_ref, external_ids, standalone hints") {
  CHECK_END_ISSUE(R"({})", {"call_id"});
  CHECK_END_ISSUE(R"({"call_id":)" + quoted(std::string(129, 'c')) + "}", {"call_id"});
  CHECK_END_ISSUE(R"({"call_id":"c","customer_ref":)" + quoted(std::string(65, 'r')) + "}", {"customer_ref"});
  CHECK_END_ISSUE(R"({"call_id":"c","customer_ref":5})", {"customer_ref"});
  CHECK_END_ISSUE(R"({"call_id":"c","external_ids":{"k":5}})", {"external_ids", "k"});
  CHECK_END_ISSUE(R"({"call_id":"c","at":"later"})", {"at"});
  CHECK_END_ISSUE(R"({"call_id":"c","telco":{"verstat":"x"}})", {"telco", "verstat"});

  const auto standalone = json::parse_end(
      R"({"call_id":"c","identity_hints":{"ani":"+14155551234","external_ids":{"crm":"1"}},"telco":{"line_type":"mobile"}})");
  REQUIRE(standalone.identity_hints);
  CHECK(standalone.identity_hints->ani == "+14155551234");
  CHECK(standalone.identity_hints->external_ids.at("crm") == "1");
  CHECK(standalone.telco.line_type == callmem::LineType::mobile);
  const auto issues = issues_of([] { json::parse_end(R"({"call_id":"c","identity_hints":{"dnis":"1"}})"); });
  CHECK(message_at(issues, {"identity_hints"}) ==
        "identity_hints must include ani, external_ids, or customer_ref");
  // An empty ANI in a standalone end's hints is a withheld one.
  const auto withheld = json::parse_end(R"({"call_id":"c","identity_hints":{"ani":""}})");
  REQUIRE(withheld.identity_hints);
  CHECK(withheld.identity_hints->ani == "");
  // The top-level external_ids of an end are its own field, not hints.
  const auto linked = json::parse_end(R"({"call_id":"c","customer_ref":"r","external_ids":{"acct":"9"}})");
  CHECK(!linked.identity_hints);
  CHECK(linked.external_ids.at("acct") == "9");
}

// ---------------------------------------------------------------------------
// Other requests

TEST_CASE("codec: get and selectors") {
  const auto by_ref = json::parse_get(R"({"customer_ref":"r"})");
  CHECK(by_ref.who.customer_ref == "r");
  CHECK(!by_ref.who.identity_hints);
  CHECK(by_ref.history_limit == 20);
  CHECK(by_ref.cursor.empty());

  const auto by_hints =
      json::parse_get(R"({"identity_hints":{"ani":"1"},"history_limit":100,"cursor":"abc"})");
  CHECK(!by_hints.who.customer_ref);
  REQUIRE(by_hints.who.identity_hints);
  CHECK(by_hints.who.identity_hints->ani == "1");
  CHECK(by_hints.history_limit == 100);
  CHECK(by_hints.cursor == "abc");

  const auto both = json::parse_get(R"({"customer_ref":"r","identity_hints":{"ani":"1"}})");
  CHECK(both.who.customer_ref == "r");
  CHECK(!both.who.identity_hints);

  const auto legacy = json::parse_get(R"({"ani":"1","external_ids":{"k":"v"}})");
  REQUIRE(legacy.who.identity_hints);
  CHECK(legacy.who.identity_hints->ani == "1");
  CHECK(legacy.who.identity_hints->external_ids.at("k") == "v");

  CHECK(!issues_of([] { json::parse_get("{}"); }).empty());
  CHECK(message_at(issues_of([] { json::parse_get(R"({"identity_hints":{}})"); }), {"identity_hints"}) ==
        "identity_hints must include ani, external_ids, or customer_ref");
  CHECK(has_path(issues_of([] { json::parse_get(R"({"customer_ref":""})"); }), {"customer_ref"}));
  CHECK(has_path(issues_of([] { json::parse_get(R"({"customer_ref":"r","history_limit":0})"); }),
                 {"history_limit"}));
  CHECK(has_path(issues_of([] { json::parse_get(R"({"customer_ref":"r","history_limit":101})"); }),
                 {"history_limit"}));
  CHECK(has_path(issues_of([] { json::parse_get(R"({"customer_ref":"r","history_limit":2.5})"); }),
                 {"history_limit"}));
  CHECK(json::parse_get(R"({"customer_ref":"r","history_limit":1})").history_limit == 1);
  CHECK(json::parse_get(R"({"customer_ref":"r","cursor":)" + quoted(std::string(256, 'c')) + "}")
            .cursor.size() == 256);
  CHECK(has_path(issues_of([] {
                   json::parse_get(R"({"customer_ref":"r","cursor":)" + quoted(std::string(257, 'c')) + "}");
                 }),
                 {"cursor"}));
  CHECK(has_path(issues_of([] { json::parse_get(R"({"customer_ref":"r","cursor":5})"); }), {"cursor"}));

  const auto sel = json::parse_selector(R"({"external_ids":{"crm":"1"}})");
  REQUIRE(sel.identity_hints);
  CHECK(sel.identity_hints->external_ids.at("crm") == "1");
  CHECK(json::parse_selector(R"({"customer_ref":"r"})").customer_ref == "r");
  CHECK(json::parse_selector(R"({"identity_hints":{"customer_ref":"r"}})").identity_hints->customer_ref ==
        "r");
  // An empty ANI selects by a withheld number: no one (the operation answers not found).
  CHECK(json::parse_selector(R"({"ani":""})").identity_hints->ani == "");
  CHECK(json::parse_selector(R"({"identity_hints":{"ani":""}})").identity_hints->ani == "");
  CHECK(has_path(issues_of([] { json::parse_selector(R"({"customer_ref":"r","identity_hints":5})"); }),
                 {"identity_hints"}));
  CHECK(!issues_of([] { json::parse_selector(""); }).empty());
}

TEST_CASE("codec: settings") {
  const auto p = json::parse_settings(R"({"ttl_days":30,"default_region":"GB",
      "levels":{"very_high":0.95,"high":0.75,"medium":0},
      "recommendations":{"reuse":1,"confirm":0.25},
      "billing":{"enabled":true,"prices":{"start_new":2,"start_returning":0,"end":1000000}}})");
  CHECK(p.ttl_days == 30);
  CHECK(p.default_region == "GB");
  CHECK(p.level_very_high == 0.95);
  CHECK(p.level_high == 0.75);
  CHECK(p.level_medium == 0.0);
  CHECK(p.reuse == 1.0);
  CHECK(p.confirm == 0.25);
  CHECK(p.billing_enabled == true);
  CHECK(p.price_start_new == 2);
  CHECK(p.price_start_returning == 0);
  CHECK(p.price_end == 1000000);

  const auto none = json::parse_settings("{}");
  CHECK(!none.ttl_days);
  CHECK(!none.default_region);
  CHECK(!none.level_high);
  CHECK(!none.billing_enabled);
  CHECK(!none.price_end);

  const auto some = json::parse_settings(R"({"levels":{"high":0.8}})");
  CHECK(some.level_high == 0.8);
  CHECK(!some.level_very_high);

  auto bad = [](const std::string& text, const Path& path) {
    CAPTURE(text);
    CHECK(has_path(issues_of([&] { json::parse_settings(text); }), path));
  };
  bad(R"({"ttl_days":0})", {"ttl_days"});
  bad(R"({"ttl_days":366})", {"ttl_days"});
  bad(R"({"ttl_days":30.5})", {"ttl_days"});
  CHECK(json::parse_settings(R"({"ttl_days":365})").ttl_days == 365);
  CHECK(json::parse_settings(R"({"ttl_days":1})").ttl_days == 1);
  bad(R"({"default_region":"us"})", {"default_region"});
  bad(R"({"default_region":"USA"})", {"default_region"});
  bad(R"({"default_region":"U"})", {"default_region"});
  bad(R"({"default_region":1})", {"default_region"});
  bad(R"({"levels":{"very_high":1.01}})", {"levels", "very_high"});
  bad(R"({"levels":{"high":-0.1}})", {"levels", "high"});
  bad(R"({"levels":{"medium":"0.5"}})", {"levels", "medium"});
  bad(R"({"levels":[0.9]})", {"levels"});
  bad(R"({"recommendations":{"reuse":2}})", {"recommendations", "reuse"});
  bad(R"({"recommendations":{"confirm":true}})", {"recommendations", "confirm"});
  bad(R"({"billing":{"enabled":"yes"}})", {"billing", "enabled"});
  bad(R"({"billing":{"prices":{"start_new":-1}}})", {"billing", "prices", "start_new"});
  bad(R"({"billing":{"prices":{"start_returning":1000001}}})", {"billing", "prices", "start_returning"});
  bad(R"({"billing":{"prices":{"end":0.5}}})", {"billing", "prices", "end"});
  bad(R"({"billing":{"prices":1}})", {"billing", "prices"});
  bad(R"({"billing":true})", {"billing"});
}

TEST_CASE("codec: settings refuse an unknown key or region, naming it") {
  auto bad = [](const std::string& text, const Path& path) {
    CAPTURE(text);
    const auto issues = issues_of([&] { json::parse_settings(text); });
    CHECK(has_path(issues, path));
    return message_at(issues, path);
  };
  CHECK(bad(R"({"ttl_dayz":30})", {"ttl_dayz"}) ==
        "ttl_dayz is not a setting (the settings are ttl_days, default_region, identity, levels, "
        "recommendations, billing and rate_limit)");
  bad(R"({"ttl_dayz":null})", {"ttl_dayz"});
  CHECK(bad(R"({"billing":{"enabeld":true}})", {"billing", "enabeld"}) ==
        "billing.enabeld is not a setting (billing has enabled and prices)");
  bad(R"({"billing":{"prices":{"start":1}}})", {"billing", "prices", "start"});
  bad(R"({"levels":{"very-high":0.9}})", {"levels", "very-high"});
  bad(R"({"recommendations":{"ignore":0.1}})", {"recommendations", "ignore"});
  bad(R"({"identity":{"profiles":"hosted"}})", {"identity", "profiles"});
  bad(R"({"identity":{"weights":{"ani":{"u":{"fax":0.1}}}}})", {"identity", "weights", "ani", "u", "fax"});
  // A region libphonenumber does not know.
  CHECK(bad(R"({"default_region":"XX"})", {"default_region"}) ==
        "default_region XX is not a region libphonenumber knows (an ISO 3166-1 code, like US or GB)");
  bad(R"({"default_region":"ZZ"})", {"default_region"});
  bad(R"({"default_region":"UK"})", {"default_region"});
  for (const char* region : {"US", "GB", "FR", "DE", "JP", "BR", "IN", "AU", "NZ", "CA", "GG", "AX"}) {
    CAPTURE(region);
    CHECK(json::parse_settings(std::string(R"({"default_region":")") + region + "\"}").default_region ==
          region);
  }
  // Everything the settings are written with reads back.
  CHECK_NOTHROW(json::parse_settings(json::write(TenantSettings{})));
}

TEST_CASE("codec: grant, usage and purge") {
  const auto g = json::parse_grant(R"({"amount":100,"idempotency_key":"topup-2026-02"})");
  CHECK(g.amount == 100);
  CHECK(g.idempotency_key == "topup-2026-02");
  CHECK(has_path(issues_of([] { json::parse_grant(R"({"idempotency_key":"k"})"); }), {"amount"}));
  CHECK(has_path(issues_of([] { json::parse_grant(R"({"amount":1})"); }), {"idempotency_key"}));
  CHECK(has_path(issues_of([] { json::parse_grant(R"({"amount":1,"idempotency_key":""})"); }),
                 {"idempotency_key"}));
  CHECK(json::parse_grant(R"({"amount":1,"idempotency_key":)" + quoted(std::string(128, 'k')) + "}")
            .idempotency_key.size() == 128);
  CHECK(has_path(issues_of([] {
                   json::parse_grant(R"({"amount":1,"idempotency_key":)" + quoted(std::string(129, 'k')) +
                                     "}");
                 }),
                 {"idempotency_key"}));
  CHECK(issues_of([] { json::parse_grant(""); })[0].path.empty());

  CHECK(!json::parse_usage("").from);
  CHECK(!json::parse_usage("{}").to);
  const auto u = json::parse_usage(R"({"from":"2026-02-07T10:30:00.000Z","to":"2026-02-08T10:30:00.000Z"})");
  CHECK(u.from == kT0);
  CHECK(u.to == kT0 + kDay);
  CHECK(has_path(issues_of([] { json::parse_usage(R"({"from":"x"})"); }), {"from"}));
  CHECK(has_path(issues_of([] { json::parse_usage(R"({"to":5})"); }), {"to"}));

  const auto p0 = json::parse_purge("");
  CHECK(!p0.now);
  CHECK(p0.limit == 10000);
  const auto p = json::parse_purge(R"({"now":"2026-02-07T10:30:00.000Z","limit":1000000})");
  CHECK(p.now == kT0);
  CHECK(p.limit == 1000000);
  CHECK(json::parse_purge(R"({"limit":1})").limit == 1);
  CHECK(has_path(issues_of([] { json::parse_purge(R"({"limit":0})"); }), {"limit"}));
  CHECK(has_path(issues_of([] { json::parse_purge(R"({"limit":1000001})"); }), {"limit"}));
  CHECK(has_path(issues_of([] { json::parse_purge(R"({"now":"soon"})"); }), {"now"}));
  CHECK(issues_of([] { json::parse_purge(" "); })[0].path.empty());
}

TEST_CASE("codec: open configuration") {
  const auto d = json::parse_open_config("");
  CHECK(d.path == EngineOptions{}.path);
  CHECK(d.busy_timeout_ms == 5000);
  CHECK(d.default_settings.ttl_days == 30);
  CHECK(!d.clock);

  const auto o = json::parse_open_config(R"({"path":":memory:","busy_timeout_ms":0,
      "default_settings":{"ttl_days":7,"levels":{"very_high":0.8},"billing":{"enabled":true}}})");
  CHECK(o.path == ":memory:");
  CHECK(o.busy_timeout_ms == 0);
  CHECK(o.default_settings.ttl_days == 7);
  CHECK(o.default_settings.level_very_high == 0.8);
  CHECK(o.default_settings.level_high == 0.7);
  CHECK(o.default_settings.billing_enabled);
  CHECK(o.default_settings.prices.start_new == 1);
  CHECK(json::parse_open_config(R"({"busy_timeout_ms":3600000})").busy_timeout_ms == 3600000);
  CHECK(d.cache_mb == 0);
  CHECK(json::parse_open_config(R"({"cache_mb":1})").cache_mb == 1);
  CHECK(json::parse_open_config(R"({"cache_mb":65536})").cache_mb == 65536);

  auto bad = [](const std::string& text, const Path& path) {
    CAPTURE(text);
    CHECK(has_path(issues_of([&] { json::parse_open_config(text); }), path));
  };
  bad(R"({"path":""})", {"path"});
  bad(R"({"path":5})", {"path"});
  bad(R"({"path":"a\u0000b"})", {"path"});
  bad(R"({"busy_timeout_ms":-1})", {"busy_timeout_ms"});
  bad(R"({"busy_timeout_ms":3600001})", {"busy_timeout_ms"});
  bad(R"({"busy_timeout_ms":"5000"})", {"busy_timeout_ms"});
  bad(R"({"cache_mb":0})", {"cache_mb"});
  bad(R"({"cache_mb":65537})", {"cache_mb"});
  bad(R"({"cache_mb":1.5})", {"cache_mb"});
  bad(R"({"default_settings":5})", {"default_settings"});
  bad(R"({"default_settings":{"ttl_days":0}})", {"default_settings", "ttl_days"});
  bad(R"({"default_settings":{"levels":{"high":0.95}}})", {"default_settings", "levels"});
  bad(R"({"default_settings":{"levels":{"medium":0.8}}})", {"default_settings", "levels"});
  bad(R"({"default_settings":{"recommendations":{"confirm":0.6}}})", {"default_settings", "recommendations"});
  CHECK_NOTHROW(json::parse_open_config(
      R"({"default_settings":{"levels":{"very_high":0.7,"high":0.7,"medium":0.7}}})"));
  bad("[1]", {});

  // The PostgreSQL store.
  const auto pg = json::parse_open_config(
      R"({"store":"postgres","dsn":"postgresql://u@h/db","schema":"calls","pool_size":4})");
  CHECK(pg.store == "postgres");
  CHECK(pg.dsn == "postgresql://u@h/db");
  CHECK(pg.schema == "calls");
  CHECK(pg.pool_size == 4);
  CHECK(d.store == "sqlite");
  CHECK(d.schema == "callmem");
  CHECK(d.pool_size == 16);
  bad(R"({"store":"mysql"})", {"store"});
  bad(R"({"store":"postgres"})", {"dsn"});
  bad(R"({"store":"postgres","dsn":""})", {"dsn"});
  bad(R"({"store":"postgres","dsn":"x","pool_size":0})", {"pool_size"});
  bad(R"({"store":"postgres","dsn":"x","pool_size":1001})", {"pool_size"});
  bad(R"({"store":"postgres","dsn":"x","schema":""})", {"schema"});
  bad(R"({"store":"postgres","dsn":"x","schema":")" + std::string(64, 's') + R"("})", {"schema"});

  // A typo is an error, never a default taken silently.
  bad(R"({"pth":"x.db"})", {"pth"});
  CHECK(
      message_at(issues_of([] { json::parse_open_config(R"({"pth":"x.db"})"); }), {"pth"}) ==
      "pth is not an open configuration key (they are store, path, dsn, schema, pool_size, busy_timeout_ms, "
      "cache_mb and default_settings)");
  bad(R"({"path":"x.db","busy_timeout":5})", {"busy_timeout"});
  bad(R"({"default_settings":{"ttl_dayz":7}})", {"default_settings", "ttl_dayz"});
  bad(R"({"default_settings":{"billing":{"enabeld":true}}})", {"default_settings", "billing", "enabeld"});
  bad(R"({"default_settings":{"billing":{"prices":{"ennd":0}}}})",
      {"default_settings", "billing", "prices", "ennd"});
  bad(R"({"default_settings":{"identity":{"weights":{"ani":{"n":0.5}}}}})",
      {"default_settings", "identity", "weights", "ani", "n"});
  bad(R"({"default_settings":{"default_region":"XX"}})", {"default_settings", "default_region"});
  CHECK(json::parse_open_config(R"({"default_settings":{"default_region":"GB"}})")
            .default_settings.default_region == "GB");
  CHECK_NOTHROW(
      json::parse_open_config(R"({"store":"sqlite","path":"a.db","dsn":"x","schema":"s","pool_size":2,
      "busy_timeout_ms":1,"default_settings":{}})"));
  // Wire requests keep tolerating unknown keys (the hosted API's clients send them).
  CHECK_NOTHROW(json::parse_start(R"({"call_id":"c","identity_hints":{"ani":"1","extra":1},"pad":{"x":1}})"));
  CHECK_NOTHROW(json::parse_end(R"({"call_id":"c","pad":[1],"telco":{"carrier":"x"}})"));
}

// ---------------------------------------------------------------------------
// Responses

TEST_CASE("codec: start response of a new caller, exactly") {
  StartResponse r;
  r.call_id = "call_001";
  r.customer_ref = "a1b2c3d4-e5f6-4890-abcd-ef1234567890";
  r.call_start = kT0;
  r.identity.confidence = 0;
  r.identity.level = callmem::ConfidenceLevel::low;
  r.identity.recommendation = callmem::Recommendation::ignore;
  CHECK(json::write(r) ==
        R"({"call_id":"call_001","customer_ref":"a1b2c3d4-e5f6-4890-abcd-ef1234567890",)"
        R"("call_start":"2026-02-07T10:30:00.000Z","identity":{"confidence":0,"level":"low","sources":[],)"
        R"("recommendation":"ignore"},"open_intents":[],"variables":{}})");
}

StartResponse returning_caller() {
  StartResponse r;
  r.call_id = "call_002";
  r.customer_ref = "a1b2c3d4";
  r.call_start = kT0 + kDay;
  r.identity.confidence = 0.93;
  r.identity.level = callmem::ConfidenceLevel::very_high;
  r.identity.sources = {"ani:mobile", "external_id", "recency:1day"};
  r.identity.recommendation = callmem::Recommendation::reuse;
  r.identity.evidence = {{"ani", 2.9, "mobile, last seen 1 day ago"}, {"external_id", -1.25, "crm_id"}};
  r.identity.candidates = {{"other-ref", 0.05}, {"third", 1}};
  r.open_intents = {{"refund_request", IntentStatus::open, 2, kT0 - kDay, kT0},
                    {"x", IntentStatus::abandoned, 1, kT0, kT0}};
  r.variables["name"] = Variable{JsonText{R"("John Doe")"}, "call_001", 2505600, kT0};
  r.variables["obj"] = Variable{JsonText{R"({"a":[1,2.5,null,true],"b":"\u0000é"})"}, "call_001", 1, kT0 + 1};
  r.variables["n"] = Variable{JsonText{"-12"}, "c", 0, kT0};
  return r;
}

TEST_CASE("codec: start response of a returning caller, exactly, and back") {
  const auto r = returning_caller();
  const std::string text = json::write(r);
  CHECK(
      text ==
      R"({"call_id":"call_002","customer_ref":"a1b2c3d4","call_start":"2026-02-08T10:30:00.000Z",)"
      R"("identity":{"confidence":0.93,"level":"very_high","sources":["ani:mobile","external_id","recency:1day"],)"
      R"("recommendation":"reuse","evidence":[{"signal":"ani","weight":2.9,"detail":"mobile, last seen 1 day ago"},)"
      R"({"signal":"external_id","weight":-1.25,"detail":"crm_id"}],)"
      R"("candidates":[{"customer_ref":"other-ref","confidence":0.05},{"customer_ref":"third","confidence":1}]},)"
      R"("open_intents":[{"intent":"refund_request","status":"open","attempt_count":2,)"
      R"("first_seen":"2026-02-06T10:30:00.000Z","last_seen":"2026-02-07T10:30:00.000Z"},)"
      R"({"intent":"x","status":"abandoned","attempt_count":1,"first_seen":"2026-02-07T10:30:00.000Z",)"
      R"("last_seen":"2026-02-07T10:30:00.000Z"}],)"
      R"("variables":{"n":{"value":-12,"source":"c","ttl_seconds":0,"updated_at":"2026-02-07T10:30:00.000Z"},)"
      R"("name":{"value":"John Doe","source":"call_001","ttl_seconds":2505600,"updated_at":"2026-02-07T10:30:00.000Z"},)"
      R"("obj":{"value":{"a":[1,2.5,null,true],"b":"\u0000é"},"source":"call_001","ttl_seconds":1,)"
      R"("updated_at":"2026-02-07T10:30:00.001Z"}}})");

  const auto back = json::read_start_response(text);
  CHECK(back.call_id == r.call_id);
  CHECK(back.customer_ref == r.customer_ref);
  CHECK(back.call_start == r.call_start);
  CHECK(back.identity.confidence == r.identity.confidence);
  CHECK(back.identity.level == r.identity.level);
  CHECK(back.identity.sources == r.identity.sources);
  CHECK(back.identity.recommendation == r.identity.recommendation);
  REQUIRE(back.identity.evidence.size() == 2);
  CHECK(back.identity.evidence[0].signal == "ani");
  CHECK(back.identity.evidence[0].weight == 2.9);
  CHECK(back.identity.evidence[0].detail == "mobile, last seen 1 day ago");
  CHECK(back.identity.evidence[1].weight == -1.25);
  REQUIRE(back.identity.candidates.size() == 2);
  CHECK(back.identity.candidates[0].customer_ref == "other-ref");
  CHECK(back.identity.candidates[0].confidence == 0.05);
  CHECK(back.identity.candidates[1].confidence == 1.0);
  REQUIRE(back.open_intents.size() == 2);
  CHECK(back.open_intents[0].intent == "refund_request");
  CHECK(back.open_intents[0].status == callmem::IntentStatus::open);
  CHECK(back.open_intents[0].attempt_count == 2);
  CHECK(back.open_intents[0].first_seen == kT0 - kDay);
  CHECK(back.open_intents[0].last_seen == kT0);
  CHECK(back.open_intents[1].status == callmem::IntentStatus::abandoned);
  REQUIRE(back.variables.size() == 3);
  for (const auto& [name, v] : r.variables) {
    CAPTURE(name);
    const auto& b = back.variables.at(name);
    CHECK(b.value == v.value);
    CHECK(b.source == v.source);
    CHECK(b.ttl_seconds == v.ttl_seconds);
    CHECK(b.updated_at == v.updated_at);
  }
  // Writing what was read gives the same bytes.
  CHECK(json::write(back) == text);
}

TEST_CASE("codec: confidences and weights are written with 4 decimals") {
  StartResponse r;
  r.identity.confidence = 0.123456;
  r.identity.evidence = {{"s", 1.00004, "d"}, {"t", 0.99996, "d"}};
  const std::string text = json::write(r);
  CHECK(text.find(R"("confidence":0.1235)") != std::string::npos);
  CHECK(text.find(R"("weight":1,)") != std::string::npos);
  CHECK(text.find(R"("weight":1,"detail":"d"},{"signal":"t","weight":1,)") != std::string::npos);
  const auto back = json::read_start_response(text);
  CHECK(back.identity.confidence == 0.1235);
  CHECK(json::write(back) == text);
  // Empty evidence and candidates are omitted, and read back empty.
  StartResponse plain;
  CHECK(json::write(plain).find("evidence") == std::string::npos);
  CHECK(json::write(plain).find("candidates") == std::string::npos);
  CHECK(json::read_start_response(json::write(plain)).identity.evidence.empty());
}

TEST_CASE("codec: values round trip for values the codec parsed") {
  const auto end = json::parse_end(
      R"({"call_id":"c","variables":{"a":[0.1, 1e-7, 3.141592653589793, 1.7976931348623157e308, -0.0, 5e-324],)"
      R"("b":{"x":"\u00e9\ud83d\ude00\t","y":{"z":[]}},"c":18446744073709551615,"d":-9223372036854775808}})");
  StartResponse r;
  for (const auto& [name, v] : end.variables) r.variables[name] = Variable{*v, "c", 1, kT0};
  const auto back = json::read_start_response(json::write(r));
  for (const auto& [name, v] : r.variables) {
    CAPTURE(name);
    CHECK(back.variables.at(name).value.text == v.value.text);
  }
}

TEST_CASE("codec: read_start_response refuses what is not a response") {
  CHECK_THROWS_AS(json::read_start_response("{}"), Error);
  CHECK_THROWS_AS(json::read_start_response("not json"), Error);
  CHECK_THROWS_AS(json::read_start_response(R"({"call_id":5})"), Error);
  auto text = json::write(returning_caller());
  text.replace(text.find(R"("attempt_count":2)"), 17, R"("attempt_count":"2")");
  const auto issues = stored_issues_of([&] { json::read_start_response(text); });
  CHECK(has_path(issues, {"open_intents", "0", "attempt_count"}));
}

TEST_CASE("codec: end response, exactly, and back") {
  EndResponse r{"call_001", "ref", kT0, kT0 + 15000, 15, 1, 2};
  const std::string text = json::write(r);
  CHECK(text == R"({"call_id":"call_001","customer_ref":"ref","call_start":"2026-02-07T10:30:00.000Z",)"
                R"("call_end":"2026-02-07T10:30:15.000Z","duration_seconds":15,"intents_updated":1,)"
                R"("variables_updated":2})");
  const auto back = json::read_end_response(text);
  CHECK(back.call_id == r.call_id);
  CHECK(back.customer_ref == r.customer_ref);
  CHECK(back.call_start == r.call_start);
  CHECK(back.call_end == r.call_end);
  CHECK(back.duration_seconds == 15);
  CHECK(back.intents_updated == 1);
  CHECK(back.variables_updated == 2);
  CHECK(json::write(back) == text);
  CHECK_THROWS_AS(json::read_end_response(R"({"call_id":"c"})"), Error);
}

TEST_CASE("codec: customer view, exactly") {
  CustomerView v;
  v.customer_ref = "ref";
  v.created_at = kT0;
  v.last_seen = kT0 + 1000;
  v.identities = {{IdentityType::ani, "", "+14155551234", "mobile", kT0, kT0 + 1000},
                  {IdentityType::ani, "", "+14155550000", "", kT0, kT0},
                  {IdentityType::external_id, "crm_id", "CRM_789", "", kT0, kT0}};
  v.intents = {{"refund", IntentStatus::resolved, 3, kT0, kT0 + 1000}};
  v.variables["name"] = Variable{JsonText{R"("John")"}, "call_1", 60, kT0};
  v.calls = {
      {"call_2", kT0 + 1000, 0, Channel::voice, Direction::inbound, {}},
      {"call_1", kT0, kT0 + 500, Channel::chat, Direction::outbound, {{"five9_id", "F1"}, {"a", "b"}}}};
  CHECK(
      json::write(v) ==
      R"({"customer_ref":"ref","created_at":"2026-02-07T10:30:00.000Z","last_seen":"2026-02-07T10:30:01.000Z",)"
      R"("identities":[{"type":"ani","value":"+14155551234","line_type":"mobile",)"
      R"("first_seen":"2026-02-07T10:30:00.000Z","last_seen":"2026-02-07T10:30:01.000Z"},)"
      R"({"type":"ani","value":"+14155550000","first_seen":"2026-02-07T10:30:00.000Z",)"
      R"("last_seen":"2026-02-07T10:30:00.000Z"},)"
      R"({"type":"external_id","key":"crm_id","value":"CRM_789","first_seen":"2026-02-07T10:30:00.000Z",)"
      R"("last_seen":"2026-02-07T10:30:00.000Z"}],)"
      R"("intents":[{"intent":"refund","status":"resolved","attempt_count":3,)"
      R"("first_seen":"2026-02-07T10:30:00.000Z","last_seen":"2026-02-07T10:30:01.000Z"}],)"
      R"("variables":{"name":{"value":"John","source":"call_1","ttl_seconds":60,)"
      R"("updated_at":"2026-02-07T10:30:00.000Z"}},)"
      R"("calls":[{"call_id":"call_2","call_start":"2026-02-07T10:30:01.000Z","call_end":null,)"
      R"("channel":"voice","direction":"inbound","call_data":{}},)"
      R"({"call_id":"call_1","call_start":"2026-02-07T10:30:00.000Z","call_end":"2026-02-07T10:30:00.500Z",)"
      R"("channel":"chat","direction":"outbound","call_data":{"a":"b","five9_id":"F1"}}],)"
      R"("next_cursor":null})");
  v.next_cursor = "cur";
  v.identities.clear();
  v.intents.clear();
  v.variables.clear();
  v.calls.clear();
  CHECK(
      json::write(v) ==
      R"({"customer_ref":"ref","created_at":"2026-02-07T10:30:00.000Z","last_seen":"2026-02-07T10:30:01.000Z",)"
      R"("identities":[],"intents":[],"variables":{},"calls":[],"next_cursor":"cur"})");
}

TEST_CASE("codec: small responses, exactly") {
  ForgetReceipt f;
  f.customer_ref = "ref";
  f.removed = Removed{2, 1, 3, 4, 1};
  CHECK(json::write(f) ==
        R"({"customer_ref":"ref","removed":{"identities":2,"intents":1,"variables":3,"calls":4,"aliases":0,)"
        R"("merges":0}})");

  CHECK(
      json::write(TenantSettings{}) ==
      R"({"ttl_days":30,"default_region":"US","identity":{"profile":"probabilistic","weights":)"
      R"({"ani":{"m":0.85,"u":{"mobile":0.002,"landline":0.7,"voip":0.5,"unknown":0.01,"business":0.9}},)"
      R"("external_id":{"m":0.999,"u":0.0005},"customer_ref":{"m":0.99,"u":0.0001},)"
      R"("recency":{"within_day":2,"within_week":1.5,"over_30_days":0.8},"open_intent":2},"merge_duplicates":true},)"
      R"("levels":{"very_high":0.9,"high":0.7,"medium":0.5},)"
      R"("recommendations":{"reuse":0.5,"confirm":0.3},)"
      R"("billing":{"enabled":false,"prices":{"start_new":1,"start_returning":0,"end":0}},)"
      R"("rate_limit":{"requests_per_minute":0}})");
  TenantSettings s;
  s.level_very_high = 1;
  s.level_medium = 0;
  s.billing_enabled = true;
  CHECK(json::write(s).find(R"("levels":{"very_high":1,"high":0.7,"medium":0})") != std::string::npos);
  CHECK(json::write(s).find(R"("enabled":true)") != std::string::npos);

  CHECK(json::write_balance(100) == R"({"balance":100})");
  CHECK(json::write_balance(-5) == R"({"balance":-5})");

  UsageReport u;
  u.balance = 7;
  u.days = {{"2026-02-07", UsageOperation::start_new, 3, 3}, {"2026-02-07", UsageOperation::end, 2, 0}};
  CHECK(json::write(u) ==
        R"({"balance":7,"days":[{"day":"2026-02-07","operation":"start_new","count":3,"credits":3},)"
        R"({"day":"2026-02-07","operation":"end","count":2,"credits":0}]})");
  CHECK(json::write(UsageReport{}) == R"({"balance":0,"days":[]})");

  PurgeResult p;
  p.deleted = Removed{1, 2, 3, 4, 5};
  p.more = true;
  CHECK(json::write(p) ==
        R"({"deleted":{"identities":1,"intents":2,"variables":3,"calls":4,"customers":5,"aliases":0,)"
        R"("merges":0},"more":true})");
  CHECK(json::write(PurgeResult{}).find(R"("more":false)") != std::string::npos);
}

TEST_CASE("codec: error bodies") {
  const Error e(Status::invalid, "Validation failed",
                {{{"identity_hints"}, "identity_hints must include ani, external_ids, or customer_ref"},
                 {{"intents", "0", "status"}, "bad \"status\""}});
  CHECK(
      json::write_error(e) ==
      R"({"error":"Bad Request","message":"Validation failed","details":{"issues":[)"
      R"({"path":["identity_hints"],"message":"identity_hints must include ani, external_ids, or customer_ref"},)"
      R"({"path":["intents","0","status"],"message":"bad \"status\""}]}})");
  CHECK(json::write_error(Error(Status::not_found, "customer not found")) ==
        R"({"error":"Not Found","message":"customer not found"})");
  CHECK(json::write_error(Error(Status::conflict, "x")).rfind(R"({"error":"Conflict")", 0) == 0);
  CHECK(json::write_error(Error(Status::store, "disk I/O")) ==
        R"({"error":"Internal Server Error","message":"disk I/O"})");
  // Invalid UTF-8 in a message never reaches the body.
  CHECK(json::write_error(Error(Status::store, "bad \xff byte")) ==
        "{\"error\":\"Internal Server Error\",\"message\":\"bad \xEF\xBF\xBD byte\"}");
  // A real validation error writes as it was thrown.
  try {
    json::parse_start("{");
    FAIL("no throw");
  } catch (const Error& err) {
    const std::string body = json::write_error(err);
    CHECK(
        body.rfind(R"({"error":"Bad Request","message":"Validation failed","details":{"issues":[{"path":[],)"
                   R"("message":"malformed JSON at offset 1: )",
                   0) == 0);
  }
}

TEST_CASE("codec: string maps") {
  const std::map<std::string, std::string> m{{"five9_id", "F1"}, {"a", "b \"q\""}, {"empty", ""}};
  const std::string text = json::write_string_map(m);
  CHECK(text == R"({"a":"b \"q\"","empty":"","five9_id":"F1"})");
  CHECK(json::read_string_map(text) == m);
  CHECK(json::write_string_map({}) == "{}");
  CHECK(json::read_string_map("{}").empty());
  CHECK(json::read_string_map("").empty());
  CHECK(has_path(stored_issues_of([] { json::read_string_map(R"({"a":1})"); }), {"a"}));
  CHECK(!stored_issues_of([] { json::read_string_map("[]"); }).empty());
  CHECK(!stored_issues_of([] { json::read_string_map("{"); }).empty());
}

TEST_CASE("codec: a canonical form is itself a valid request that parses to the same request") {
  const StartRequest s = json::parse_start(R"({"call_id": "c1", "ani": "+14155551234",
      "telco": {"line_type": "mobile", "verstat": "TN-Validation-Passed"}, "channel": "sms",
      "at": "2026-02-07T10:30:00.123Z"})");
  CHECK(json::canonical(json::parse_start(json::canonical(s))) == json::canonical(s));
  const EndRequest e = json::parse_end(R"({"call_id": "c1", "intent": "x", "intent_status": "abandoned",
      "variables": {"a": {"b": [1, null]}, "gone": null}, "variable_ttl_seconds": {"a": 60},
      "identity_hints": {"external_ids": {"crm_id": "7"}}, "at": "2026-02-07T10:30:00.000Z"})");
  CHECK(json::canonical(json::parse_end(json::canonical(e))) == json::canonical(e));
}

TEST_CASE("codec: canonical forms and fingerprints are those earlier versions stored") {
  // Computed by the version before the value types had enums (the request's
  // strings, and 0 for a time not given): a replay of a request stored then
  // must still match.
  StartRequest s;
  s.call_id = "call_fp_1";
  s.identity_hints.ani = "+14155551234";
  s.identity_hints.dnis = "+18005550100";
  s.identity_hints.external_ids = {{"crm_id", "C-42"}};
  s.telco = {LineType::mobile, Attestation::A, Verstat::tn_validation_passed};
  s.channel = Channel::chat;
  s.direction = Direction::outbound;
  s.at = kT0;
  const std::string start =
      R"({"call_id":"call_fp_1","identity_hints":{"ani":"+14155551234","dnis":"+18005550100",)"
      R"("external_ids":{"crm_id":"C-42"},"customer_ref":null},"telco":{"line_type":"mobile","attestation":"A",)"
      R"("verstat":"TN-Validation-Passed"},"channel":"chat","direction":"outbound","at":"2026-02-07T10:30:00.000Z"})";
  CHECK(json::canonical(s) == start);
  CHECK(calls::fingerprint(json::canonical(s)) == 1575362902305797522ULL);
  CHECK(json::canonical(json::parse_start(start)) == start);

  EndRequest e;
  e.call_id = "call_fp_1";
  e.customer_ref = "cus_1";
  e.intents = {{"refund_request", IntentStatus::resolved}, {"billing", IntentStatus::open}};
  e.variables = {{"name", JsonText{R"("John")"}}, {"gone", std::nullopt}};
  e.variable_ttl_seconds = {{"name", 3600}};
  e.external_ids = {{"order", "O-1"}};
  e.telco.line_type = LineType::landline;
  e.at = kT0 + 60000;
  CHECK(calls::fingerprint(json::canonical(e)) == 15809722938456904606ULL);
  CHECK(calls::fingerprint(json::canonical(json::parse_end(json::canonical(e)))) == 15809722938456904606ULL);

  const FeedbackRequest f{"call_fp_1", FeedbackOutcome::corrected, std::string("cus_2"), kT0 + 100000};
  CHECK(
      json::canonical(f) ==
      R"({"call_id":"call_fp_1","outcome":"corrected","customer_ref":"cus_2","at":"2026-02-07T10:31:40.000Z"})");
  CHECK(calls::fingerprint(json::canonical(f)) == 7565906642009944806ULL);

  // Nothing given: the defaults, and no time.
  StartRequest bare;
  bare.call_id = "c";
  bare.identity_hints.ani = "+14155551234";
  CHECK(calls::fingerprint(json::canonical(bare)) == 5075190727070401010ULL);
  CHECK(calls::fingerprint(json::canonical(json::parse_start(R"({"call_id":"c","ani":"+14155551234"})"))) ==
        5075190727070401010ULL);
}

TEST_CASE("enums: to_string, from_string and operator<< spell the contract's values") {
  const auto round_trips = [](auto e, const char* spelling) {
    using E = decltype(e);
    CHECK(to_string(e) == spelling);
    CHECK(from_string<E>(spelling) == e);
    std::ostringstream os;
    os << e;
    CHECK(os.str() == spelling);
  };
  for (const auto r : {Recommendation::reuse, Recommendation::confirm, Recommendation::ignore})
    round_trips(r, std::string(to_string(r)).c_str());
  round_trips(Recommendation::confirm, "confirm");
  round_trips(ConfidenceLevel::very_high, "very_high");
  round_trips(FeedbackOutcome::corrected, "corrected");
  round_trips(Channel::sms, "sms");
  round_trips(Direction::outbound, "outbound");
  round_trips(IntentStatus::abandoned, "abandoned");
  round_trips(LineType::voip, "voip");
  round_trips(Attestation::B, "B");
  round_trips(Verstat::no_tn_validation, "No-TN-Validation");
  round_trips(UsageOperation::start_returning, "start_returning");
  round_trips(IdentityType::external_id, "external_id");
  // Every spelling reads back to its enumerator, in order.
  std::size_t i = 0;
  for (const std::string_view name : spellings<Verstat>())
    CHECK(to_string(static_cast<Verstat>(i++)) == name);
  CHECK(i == 3);
  CHECK(!from_string<Channel>("Voice"));
  CHECK(!from_string<Channel>(""));
  CHECK(to_string(static_cast<Channel>(7)).empty());
  std::ostringstream os;
  os << Channel::voice << '/' << Direction::inbound;
  CHECK(os.str() == "voice/inbound");
}

TEST_CASE("codec: an unknown value of an enum is refused naming the field, from JSON and from C++") {
  const auto message = [](auto&& f, const Path& path) { return message_at(issues_of(f), path); };
  CHECK(message([] { json::parse_start(R"({"call_id":"c","ani":"1","channel":"fax"})"); }, {"channel"}) ==
        "channel must be one of: voice, chat, email, sms");
  CHECK(message([] { json::parse_end(R"({"call_id":"c","intents":[{"intent":"i","status":"pending"}]})"); },
                {"intents", "0", "status"}) == "intents.0.status must be one of: open, resolved, abandoned");
  CHECK(message([] { json::parse_feedback(R"({"call_id":"c","outcome":"maybe"})"); }, {"outcome"}) ==
        "outcome must be one of: confirmed, rejected, corrected");

  StartRequest s;
  s.call_id = "c";
  s.identity_hints.ani = "1";
  s.channel = static_cast<Channel>(9);
  CHECK(message([&] { json::validate(s); }, {"channel"}) ==
        "channel must be one of: voice, chat, email, sms");
  s.channel = Channel::voice;
  s.telco.verstat = static_cast<Verstat>(3);
  CHECK(message([&] { json::validate(s); }, {"telco", "verstat"}) ==
        "telco.verstat must be one of: TN-Validation-Passed, TN-Validation-Failed, No-TN-Validation");
  EndRequest e;
  e.call_id = "c";
  e.intents = {{"i", IntentStatus::open}, {"j", static_cast<IntentStatus>(5)}};
  CHECK(message([&] { json::validated(e); }, {"intents", "1", "status"}) ==
        "intents.1.status must be one of: open, resolved, abandoned");
  FeedbackRequest f{"c", static_cast<FeedbackOutcome>(3), std::nullopt, std::nullopt};
  CHECK(message([&] { json::validate(f); }, {"outcome"}) ==
        "outcome must be one of: confirmed, rejected, corrected");
}

TEST_CASE("codec: a request built in C++ is checked as its JSON is, with the same words and paths") {
  // Each pair: the typed request, and its JSON; the issues must be the same.
  const auto same = [](auto&& typed, auto&& wire) {
    const std::vector<FieldIssue> a = issues_of(typed), b = issues_of(wire);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].path == b[i].path);
      CHECK(a[i].message == b[i].message);
    }
  };
  StartRequest s;
  s.call_id = std::string(129, 'x');
  s.identity_hints.dnis = "";
  s.identity_hints.external_ids = {{"", "v"}, {"k", std::string(257, 'v')}};
  s.at = 0;
  same([&] { json::validate(s); },
       [&] {
         json::parse_start(R"({"call_id":")" + std::string(129, 'x') +
                           R"(","identity_hints":{"dnis":"","external_ids":{"":"v","k":")" +
                           std::string(257, 'v') + R"("}},"at":"1970-01-01T00:00:00.000Z"})");
       });
  s = StartRequest{};
  s.call_id = "c";
  same([&] { json::validate(s); }, [] { json::parse_start(R"({"call_id":"c","identity_hints":{}})"); });

  EndRequest e;
  e.call_id = "c";
  e.variables = {{"big", JsonText{'"' + std::string(json::kMaxVariableValueBytes, 'v') + '"'}}};
  e.variable_ttl_seconds = {{"big", 0}};
  e.identity_hints = IdentityHints{};
  same([&] { json::validated(e); },
       [&] {
         json::parse_end(R"({"call_id":"c","variables":{"big":")" +
                         std::string(json::kMaxVariableValueBytes, 'v') +
                         R"("},"variable_ttl_seconds":{"big":0},"identity_hints":{}})");
       });

  FeedbackRequest f{"c", FeedbackOutcome::confirmed, std::string("cus_1"), std::nullopt};
  same([&] { json::validate(f); },
       [] { json::parse_feedback(R"({"call_id":"c","outcome":"confirmed","customer_ref":"cus_1"})"); });
  f = FeedbackRequest{"c", FeedbackOutcome::corrected, std::nullopt, std::nullopt};
  same([&] { json::validate(f); }, [] { json::parse_feedback(R"({"call_id":"c","outcome":"corrected"})"); });

  // What only C++ can give: a variable's text that is not JSON.
  e = EndRequest{};
  e.call_id = "c";
  e.variables = {{"v", JsonText{"{nope"}}};
  CHECK(message_at(issues_of([&] { json::validated(e); }), {"variables", "v"}) ==
        "variables.v must be valid JSON");
  // A valid request reads as the JSON would: values compact, empty text forgets.
  e.variables = {{"v", JsonText{R"({ "a" : [1, 2.50] })"}}, {"w", JsonText{}}};
  const EndRequest checked = json::validated(e);
  REQUIRE(checked.variables.at("v"));
  CHECK(checked.variables.at("v")->text == R"({"a":[1,2.5]})");
  CHECK(!checked.variables.at("w"));
}
