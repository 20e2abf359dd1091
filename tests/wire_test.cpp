// The C++ API's wire (include/callmem/detail/wire.hpp) against the core's
// codec: every request it writes reads back, through the codec, as the same
// request; every answer the codec writes reads back, through the wire, as
// the same answer. Every field is set, so a field either side forgets fails.
#include <doctest/doctest.h>

#include <limits>

#include "callmem/call_memory.hpp"
#include "json/codec.hpp"
#include "settings.hpp"
#include "time.hpp"

using namespace callmem;

namespace {

const Millis t0 = 1767225600123;  // 2026-01-01T00:00:00.123Z

IdentityHints hints() {
  IdentityHints h;
  h.ani = "+14155551234";
  h.dnis = "+18005550100";
  h.external_ids = {{"crm_id", "C-1"}, {"account", "\"quoted\" \\ back\nslash\x01"}};
  h.customer_ref = "cus_1";
  return h;
}

Identity identity() {
  Identity id;
  id.confidence = 0.9532;
  id.level = callmem::ConfidenceLevel::very_high;
  id.sources = {"ani", "external_id"};
  id.recommendation = callmem::Recommendation::reuse;
  id.evidence = {{"ani", 1.25, "the number is on file"}, {"recency", -0.5, "5 days ago"}};
  id.candidates = {{"cus_1", 0.9532}, {"cus_2", 0.0411}};
  return id;
}

std::map<std::string, Variable> variables() {
  return {
      {"name", {JsonText{R"("Jöhn \"D\"")"}, "call_1", 3600, t0 + 1}},
      {"cart", {JsonText{R"({"items":[1,2.5,-3e-7,true,null],"n":{"deep":[]}})"}, "call_2", 86400, t0 + 2}},
      {"big", {JsonText{"12345678901234567"}, "call_3", 1, t0 + 3}}};
}

std::vector<Intent> intents() {
  return {{"refund_request", IntentStatus::open, 2, t0, t0 + 1000},
          {"billing", IntentStatus::resolved, 1, t0 - 5000, t0 - 10}};
}

}  // namespace

TEST_CASE("wire: times read back to the millisecond") {
  for (const Millis t : {Millis{0}, t0, Millis{951782400000} /* 2000-02-29 */, Millis{253402300799999}}) {
    CHECK(detail::format_time(t) == format_iso(t));
    CHECK(detail::parse_time(format_iso(t)) == t);
  }
  CHECK(detail::parse_time("2026-01-01") == 0);
}

TEST_CASE("wire: requests read back as the same request") {
  StartRequest s;
  s.call_id = "call_1";
  s.identity_hints = hints();
  s.telco = {LineType::mobile, Attestation::A, Verstat::tn_validation_passed};
  s.channel = callmem::Channel::chat;
  s.direction = callmem::Direction::outbound;
  s.at = t0;
  CHECK(json::canonical(json::parse_start(detail::write(s))) == json::canonical(s));

  EndRequest e;
  e.call_id = "call_1";
  e.customer_ref = "cus_1";
  e.intents = {{"refund_request", callmem::IntentStatus::resolved},
               {"billing", callmem::IntentStatus::abandoned}};
  e.variables = {{"name", JsonText{R"("John")"}}, {"gone", std::nullopt}, {"n", JsonText{"2.5"}}};
  e.variable_ttl_seconds = {{"name", 3600}};
  e.external_ids = {{"crm_id", "C-1"}};
  e.identity_hints = hints();
  e.telco = {LineType::landline, Attestation::C, Verstat::tn_validation_failed};
  e.at = t0 + 60000;
  CHECK(json::canonical(json::parse_end(detail::write(e))) == json::canonical(e));

  FeedbackRequest f{"call_1", FeedbackOutcome::corrected, std::string("cus_2"), t0};
  CHECK(json::canonical(json::parse_feedback(detail::write(f))) == json::canonical(f));

  GetRequest g;
  g.who.customer_ref = "cus_1";
  g.history_limit = 7;
  g.cursor = "abc";
  const GetRequest g2 = json::parse_get(detail::write(g));
  CHECK(g2.who.customer_ref == g.who.customer_ref);
  CHECK(g2.history_limit == 7);
  CHECK(g2.cursor == "abc");

  CustomerSelector by_hints;
  by_hints.identity_hints = hints();
  by_hints.identity_hints->customer_ref.reset();
  const CustomerSelector sel = json::parse_selector(detail::write(by_hints));
  REQUIRE(sel.identity_hints);
  CHECK(sel.identity_hints->ani == by_hints.identity_hints->ani);
  CHECK(sel.identity_hints->external_ids == by_hints.identity_hints->external_ids);

  const CreditGrant grant = json::parse_grant(detail::write(CreditGrant{500, "grant-1"}));
  CHECK(grant.amount == 500);
  CHECK(grant.idempotency_key == "grant-1");

  const UsageRequest usage = json::parse_usage(detail::write(UsageRequest{t0, t0 + kDay}));
  CHECK(usage.from == t0);
  CHECK(usage.to == t0 + kDay);

  const PurgeRequest purge = json::parse_purge(detail::write(PurgeRequest{t0, 77}));
  CHECK(purge.now == t0);
  CHECK(purge.limit == 77);

  CHECK(json::parse_unmerge(detail::write(UnmergeRequest{"mrg_1"})).merge_id == "mrg_1");
}

TEST_CASE("wire: a settings patch reads back, every setting and weight") {
  TenantSettings s;
  s.ttl_days = 45;
  s.default_region = "GB";
  s.identity_profile = "hosted";
  s.identity_merge_duplicates = false;
  IdentityWeights& w = s.identity_weights;
  w = {0.81, 0.003, 0.6, 0.4, 0.02, 0.8, 0.99, 0.001, 0.98, 0.0002, 3, 1.7, 0.9, 2.5};
  s.level_very_high = 0.95;
  s.level_high = 0.75;
  s.level_medium = 0.55;
  s.reuse = 0.6;
  s.confirm = 0.35;
  s.billing_enabled = true;
  s.prices = {3, 1, 2};
  s.rate_limit_per_minute = 600;
  TenantSettings applied;
  apply(applied, json::parse_settings(detail::write(detail::full_patch(s))));
  CHECK(json::write(applied) == json::write(s));

  // A patch of a few weights, from different groups, keeps the others.
  TenantSettingsPatch p;
  p.identity_weights.ani_u_voip = 0.45;
  p.identity_weights.recency_over_30_days = 0.7;
  p.identity_weights.open_intent = 3;
  TenantSettings expected;
  expected.identity_weights.ani_u_voip = 0.45;
  expected.identity_weights.recency_over_30_days = 0.7;
  expected.identity_weights.open_intent = 3;
  TenantSettings got;
  apply(got, json::parse_settings(detail::write(p)));
  CHECK(json::write(got) == json::write(expected));

  // And the full settings answer reads back.
  CHECK(json::write(detail::read_settings(json::write(s))) == json::write(s));
}

TEST_CASE("wire: a setting that is not finite names its field") {
  TenantSettingsPatch p;
  p.identity_weights.ani_m = std::numeric_limits<double>::infinity();
  try {
    detail::write(p);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(std::string(e.what()).find("identity.weights.ani.m") != std::string::npos);
  }
}

TEST_CASE("wire: answers read back as the same answer") {
  StartResponse s{"call_1", "cus_1", t0, identity(), intents(), variables()};
  CHECK(json::write(detail::read_start(json::write(s))) == json::write(s));

  EndResponse e{"call_1", "cus_1", t0, t0 + 61000, 61, 2, 3};
  CHECK(json::write(detail::read_end(json::write(e))) == json::write(e));

  CustomerView v;
  v.customer_ref = "cus_1";
  v.created_at = t0 - kDay;
  v.last_seen = t0;
  v.identities = {{IdentityType::ani, "", "+14155551234", "mobile", t0 - kDay, t0},
                  {IdentityType::external_id, "crm_id", "C-1", "", t0 - 5, t0 - 4}};
  v.intents = intents();
  v.variables = variables();
  v.calls = {
      {"call_2", t0, 0, Channel::voice, Direction::inbound, {}},
      {"call_1", t0 - kDay, t0 - kDay + 60000, Channel::chat, Direction::outbound, {{"genesys_id", "g-1"}}}};
  v.next_cursor = "next";
  CHECK(json::write(detail::read_customer(json::write(v))) == json::write(v));

  ForgetReceipt f{"cus_1", Removed{1, 2, 3, 4, 0, 5, 6}};
  CHECK(json::write(detail::read_forget(json::write(f))) == json::write(f));

  CHECK(detail::read_balance(json::write_balance(1234)) == 1234);

  UsageReport u{99,
                {{"2026-01-01", UsageOperation::start_new, 3, 3}, {"2026-01-02", UsageOperation::end, 1, 0}}};
  CHECK(json::write(detail::read_usage(json::write(u))) == json::write(u));

  PurgeResult p{Removed{1, 2, 3, 4, 5, 6, 7}, true};
  CHECK(json::write(detail::read_purge(json::write(p))) == json::write(p));

  FeedbackResponse fb;
  fb.call_id = "call_1";
  fb.outcome = callmem::FeedbackOutcome::corrected;
  fb.previous_customer_ref = "cus_2";
  fb.customer_ref = "cus_1";
  fb.customer_created = true;
  fb.links_added = 2;
  fb.links_removed = 1;
  fb.intents_moved = 3;
  fb.variables_moved = 4;
  fb.merge = MergeSummary{"mrg_1", "cus_2", "cus_1", 1, 2, 3, 4, 5};
  fb.at = t0;
  CHECK(json::write(detail::read_feedback(json::write(fb))) == json::write(fb));
  fb.merge.reset();
  CHECK(json::write(detail::read_feedback(json::write(fb))) == json::write(fb));

  UnmergeResponse un{"mrg_1", "cus_1", "cus_2", 1, 2, 3, 4, t0};
  CHECK(json::write(detail::read_unmerge(json::write(un))) == json::write(un));
}
