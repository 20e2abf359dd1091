// Identity feedback, merge and unmerge (docs/feedback.md) through Engine
// over a real SQLite file: each outcome's effect on later calls, replays,
// conflicts, 404s, bad input, tenant isolation, and the recorded outcomes.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "engine.hpp"
#include "json/codec.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;

namespace {

const Millis kT0 = *parse_iso("2026-02-07T10:30:00.000Z");

struct Fb {
  TempDir dir;
  std::string path = dir.file("calls.db");
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kT0);
  Engine mem{make_options()};

  EngineOptions make_options() {
    EngineOptions o;
    o.path = path;
    o.clock = clock;
    return o;
  }
  StartResponse start(const std::string& body, const std::string& tenant = "acme") {
    clock->advance(kSecond);
    return json::read_start_response(mem.start_call_json(tenant, body));
  }
  EndResponse end(const std::string& body, const std::string& tenant = "acme") {
    clock->advance(kSecond);
    return json::read_end_response(mem.end_call_json(tenant, body));
  }
  std::string feedback_text(const std::string& body, const std::string& tenant = "acme") {
    clock->advance(kSecond);
    return mem.identity_feedback_json(tenant, body);
  }
  FeedbackResponse feedback(const std::string& body, const std::string& tenant = "acme") {
    return json::read_feedback_response(feedback_text(body, tenant));
  }
  CustomerView get(const std::string& ref, const std::string& tenant = "acme") {
    GetRequest g;
    g.who.customer_ref = ref;
    return mem.get_customer(tenant, g);
  }
  std::vector<FeedbackStat> stats(const std::string& tenant) {
    SqliteStore store(path, 1000);
    auto tx = store.begin(tenant, callmem::Access::read);
    return tx->feedback_stats();
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

// The field paths of an invalid request's issues, "a.b" each.
std::vector<std::string> issue_paths(const std::function<void()>& f) {
  std::vector<std::string> out;
  try {
    f();
  } catch (const Error& e) {
    for (const auto& i : e.issues()) {
      std::string p;
      for (const auto& s : i.path) p += (p.empty() ? "" : ".") + s;
      out.push_back(p);
    }
  }
  return out;
}

bool has_ani(const CustomerView& v, const std::string& number) {
  return std::any_of(v.identities.begin(), v.identities.end(), [&](const LinkedIdentity& i) {
    return i.type == IdentityType::ani && i.value == number;
  });
}
bool has_external(const CustomerView& v, const std::string& key, const std::string& value) {
  return std::any_of(v.identities.begin(), v.identities.end(), [&](const LinkedIdentity& i) {
    return i.type == IdentityType::external_id && i.key == key && i.value == value;
  });
}
bool has_call(const CustomerView& v, const std::string& call_id) {
  return std::any_of(v.calls.begin(), v.calls.end(),
                     [&](const CallRecord& c) { return c.call_id == call_id; });
}

std::string fb(const std::string& call_id, const std::string& outcome, const std::string& ref = "") {
  return R"({"call_id": ")" + call_id + R"(", "outcome": ")" + outcome + "\"" +
         (ref.empty() ? "" : R"(, "customer_ref": ")" + ref + "\"") + "}";
}

const char* kLandlineId = R"({"call_id": "%s", "identity_hints": {"ani": "+14155550111",
    "external_ids": {"crm_id": "CRM_1"}}, "telco": {"line_type": "landline"}})";

std::string landline_with_id(const std::string& call_id) {
  std::string s = kLandlineId;
  s.replace(s.find("%s"), 2, call_id);
  return s;
}

std::string mobile(const std::string& call_id, const std::string& ani, const std::string& more = "") {
  return R"({"call_id": ")" + call_id + R"(", "identity_hints": {"ani": ")" + ani + "\"" + more +
         R"(}, "telco": {"line_type": "mobile"}})";
}

}  // namespace

TEST_CASE("confirmed: a confirm answer's new identifiers are linked, and the next call is recognised") {
  Fb m;
  m.mem.configure_tenant_json("acme", R"({"identity": {"profile": "hosted"}})");
  // The customer is known by the landline only.
  const auto first = m.start(R"({"call_id": "c1", "identity_hints": {"ani": "+14155550111"},
      "telco": {"line_type": "landline"}})");
  // Same landline with an account id: landline 0.3 = confirm; the id is not linked.
  const auto second = m.start(landline_with_id("c2"));
  REQUIRE(second.customer_ref == first.customer_ref);
  REQUIRE(second.identity.recommendation == callmem::Recommendation::confirm);
  CHECK_FALSE(has_external(m.get(first.customer_ref), "crm_id", "CRM_1"));

  const FeedbackResponse r = m.feedback(fb("c2", "confirmed"));
  CHECK(r.outcome == callmem::FeedbackOutcome::confirmed);
  CHECK(r.previous_customer_ref == first.customer_ref);
  CHECK(r.customer_ref == first.customer_ref);
  CHECK(r.links_added == 1);  // the crm id; the landline was linked already
  CHECK(r.links_removed == 0);
  CHECK_FALSE(r.merge);
  CHECK(has_external(m.get(first.customer_ref), "crm_id", "CRM_1"));

  // The next call from the number with the same id: landline + id = 0.7, reuse.
  const auto third = m.start(landline_with_id("c3"));
  CHECK(third.customer_ref == first.customer_ref);
  CHECK(third.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(third.identity.confidence >= 0.7);

  // Recorded for re-estimation under the answer's signal class.
  const auto stats = m.stats("acme");
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].signal == "ani:landline");
  CHECK(stats[0].confirmed == 1);
  CHECK(stats[0].rejected == 0);
  CHECK(m.stats("other").empty());
}

TEST_CASE("confirmed without a feedback: the unconfirmed id stays unlinked (the control)") {
  Fb m;
  m.mem.configure_tenant_json("acme", R"({"identity": {"profile": "hosted"}})");
  m.start(
      R"({"call_id": "c1", "identity_hints": {"ani": "+14155550111"}, "telco": {"line_type": "landline"}})");
  m.start(landline_with_id("c2"));
  const auto third = m.start(landline_with_id("c3"));
  CHECK(third.identity.recommendation == callmem::Recommendation::confirm);
}

TEST_CASE("rejected: the wrong customer no longer gets the number's calls; the caller gets a customer") {
  Fb m;
  const auto a = m.start(mobile("a1", "+14155551234"));
  m.end(R"({"call_id": "a1", "intent": "billing", "variables": {"name": "Ann", "plan": "gold"}})");
  const auto b = m.start(mobile("b1", "+14155551234"));
  REQUIRE(b.customer_ref == a.customer_ref);
  REQUIRE(b.identity.recommendation == callmem::Recommendation::reuse);
  // The end of the wrong match saved data of the real caller.
  m.end(R"({"call_id": "b1", "intent": "refund", "variables": {"name": "Bob"}})");

  const FeedbackResponse r = m.feedback(fb("b1", "rejected"));
  CHECK(r.previous_customer_ref == a.customer_ref);
  CHECK(r.customer_ref != a.customer_ref);
  CHECK(r.customer_created);
  CHECK(r.links_removed == 1);
  CHECK(r.links_added == 1);
  CHECK(r.intents_moved == 1);
  CHECK(r.variables_moved == 1);

  // The wrong customer keeps its own data, loses the number and the call.
  const CustomerView ann = m.get(a.customer_ref);
  CHECK_FALSE(has_ani(ann, "+14155551234"));
  CHECK_FALSE(has_call(ann, "b1"));
  CHECK(has_call(ann, "a1"));
  CHECK(ann.variables.count("plan") == 1);
  CHECK(ann.variables.count("name") == 0);  // Ann's "name" was overwritten by the call; it went with it
  CHECK(ann.intents.size() == 1);
  // The caller's new customer has the call, the number and what the end saved.
  const CustomerView bob = m.get(r.customer_ref);
  CHECK(has_ani(bob, "+14155551234"));
  CHECK(has_call(bob, "b1"));
  CHECK(bob.created_at == b.call_start);
  CHECK(bob.variables.at("name").value.text == R"("Bob")");
  REQUIRE(bob.intents.size() == 1);
  CHECK(bob.intents[0].intent == "refund");

  // The next call from the number: Bob, and Ann is not a candidate.
  const auto next = m.start(mobile("c1", "+14155551234"));
  CHECK(next.customer_ref == r.customer_ref);
  for (const auto& c : next.identity.candidates) CHECK(c.customer_ref != a.customer_ref);

  // A reuse answer is counted apart: the host reported it because it was wrong.
  const auto stats = m.stats("acme");
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].signal == "reuse:ani:mobile");
  CHECK(stats[0].rejected == 1);
  CHECK(stats[0].confirmed == 0);
}

TEST_CASE("recorded outcomes: a confirm answer's under its signal class, a reuse answer's apart") {
  Fb m;
  // A landline held for confirmation: the host asks, and reports the outcome either way.
  const auto first = m.start(R"({"call_id": "l1", "identity_hints": {"ani": "+14155550111"},
      "telco": {"line_type": "landline"}})");
  const auto held = m.start(R"({"call_id": "l2", "identity_hints": {"ani": "+14155550111"},
      "telco": {"line_type": "landline"}})");
  REQUIRE(held.customer_ref == first.customer_ref);
  REQUIRE(held.identity.recommendation == callmem::Recommendation::confirm);
  m.feedback(fb("l2", "rejected"));
  // A mobile reused: the host greeted the caller, who said who they are.
  m.start(mobile("a1", "+14155551234"));
  const auto reused = m.start(mobile("a2", "+14155551234"));
  REQUIRE(reused.identity.recommendation == callmem::Recommendation::reuse);
  m.feedback(fb("a2", "rejected"));
  const auto stats = m.stats("acme");
  REQUIRE(stats.size() == 2);
  CHECK(stats[0].signal == "ani:landline");
  CHECK(stats[0].rejected == 1);
  CHECK(stats[0].predicted == doctest::Approx(held.identity.confidence));
  CHECK(stats[1].signal == "reuse:ani:mobile");
  CHECK(stats[1].rejected == 1);
  CHECK(stats[1].predicted == doctest::Approx(reused.identity.confidence));
}

TEST_CASE("rejected on a call that created its customer is a conflict, and writes nothing") {
  Fb m;
  m.start(mobile("c1", "+14155551234"));
  CHECK(status_of([&] { m.feedback(fb("c1", "rejected")); }) == Status::conflict);
  // Nothing was recorded: the call still takes feedback.
  CHECK(m.feedback(fb("c1", "confirmed")).outcome == callmem::FeedbackOutcome::confirmed);
}

TEST_CASE("corrected to an existing customer (a wrong match): the call and its identifiers move") {
  Fb m;
  const auto a = m.start(mobile("a1", "+14155551234"));
  const auto bob = m.start(R"({"call_id": "b0", "identity_hints": {"external_ids": {"crm_id": "BOB"}}})");
  const auto wrong = m.start(mobile("w1", "+14155551234"));
  REQUIRE(wrong.customer_ref == a.customer_ref);
  const FeedbackResponse r = m.feedback(fb("w1", "corrected", bob.customer_ref));
  CHECK(r.customer_ref == bob.customer_ref);
  CHECK(r.previous_customer_ref == a.customer_ref);
  CHECK_FALSE(r.merge);
  CHECK_FALSE(r.customer_created);
  CHECK(r.links_removed == 1);
  CHECK(r.links_added == 1);
  CHECK(has_call(m.get(bob.customer_ref), "w1"));
  CHECK(has_ani(m.get(bob.customer_ref), "+14155551234"));
  CHECK_FALSE(has_ani(m.get(a.customer_ref), "+14155551234"));
  CHECK_FALSE(has_call(m.get(a.customer_ref), "w1"));
  // Both customers still exist: no alias was made.
  CHECK(m.get(a.customer_ref).customer_ref == a.customer_ref);
  // The answer was wrong: counted as a rejection of it, with the probability it was given with.
  const auto stats = m.stats("acme");
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].confirmed == 0);
  CHECK(stats[0].rejected == 1);
  CHECK(stats[0].predicted > 0);
}

TEST_CASE("corrected merges the call's new customer; the old ref is an alias; unmerge restores both") {
  Fb m;
  // X: known by an account id, with an intent and variables.
  const auto x = m.start(R"({"call_id": "x1", "identity_hints": {"external_ids": {"crm_id": "CRM_X"}}})");
  m.end(R"({"call_id": "x1", "intent": "billing", "variables": {"name": "Xavier", "tier": "gold"}})");
  // The same person calls from a new mobile: a new customer Y.
  const auto y = m.start(mobile("y1", "+14155559999"));
  REQUIRE(y.customer_ref != x.customer_ref);
  m.end(R"({"call_id": "y1", "intent": "refund", "variables": {"name": "Xavier Y", "order": "77"}})");
  const CustomerView x_before = m.get(x.customer_ref);
  const CustomerView y_before = m.get(y.customer_ref);

  const std::string text = m.feedback_text(fb("y1", "corrected", x.customer_ref));
  const FeedbackResponse r = json::read_feedback_response(text);
  CHECK(r.customer_ref == x.customer_ref);
  CHECK(r.previous_customer_ref == y.customer_ref);
  REQUIRE(r.merge);
  CHECK(r.merge->alias == y.customer_ref);
  CHECK(r.merge->alias_of == x.customer_ref);
  CHECK(r.merge->identities == 1);
  CHECK(r.merge->intents == 1);
  CHECK(r.merge->variables == 2);
  CHECK(r.merge->calls == 1);
  CHECK(r.merge->conflicts == 1);  // "name": the newer (Y's) won
  CHECK(r.merge->merge_id.size() == 36);

  // X has everything; Y resolves to X wherever a ref comes in.
  const CustomerView merged = m.get(x.customer_ref);
  CHECK(has_ani(merged, "+14155559999"));
  CHECK(has_external(merged, "crm_id", "CRM_X"));
  CHECK(has_call(merged, "x1"));
  CHECK(has_call(merged, "y1"));
  CHECK(merged.variables.at("name").value.text == R"("Xavier Y")");
  CHECK(merged.variables.at("tier").value.text == R"("gold")");
  CHECK(merged.variables.at("order").value.text == R"("77")");
  CHECK(merged.intents.size() == 2);
  CHECK(m.get(y.customer_ref).customer_ref == x.customer_ref);  // get by the alias
  CustomerSelector by_alias;
  by_alias.customer_ref = y.customer_ref;
  CHECK(m.mem.export_customer("acme", by_alias).customer_ref == x.customer_ref);
  // A start with the old ref as its hint finds X.
  const auto hinted =
      m.start(R"({"call_id": "h1", "identity_hints": {"customer_ref": ")" + y.customer_ref + R"("}})");
  CHECK(hinted.customer_ref == x.customer_ref);
  CHECK(std::find(hinted.identity.sources.begin(), hinted.identity.sources.end(), "customer_ref") !=
        hinted.identity.sources.end());
  // An end naming the old ref on a call of X is no conflict.
  CHECK(m.end(R"({"call_id": "h1", "customer_ref": ")" + y.customer_ref + R"("})").customer_ref ==
        x.customer_ref);
  // The next call from Y's mobile is X.
  CHECK(m.start(mobile("n1", "+14155559999")).customer_ref == x.customer_ref);

  // A replay answers the same bytes; another feedback on the call is a conflict.
  CHECK(m.feedback_text(fb("y1", "corrected", x.customer_ref)) == text);
  CHECK(status_of([&] { m.feedback(fb("y1", "confirmed")); }) == Status::conflict);

  // Unmerge: Y is a customer again with what came from it; X's loser is back.
  UnmergeRequest u;
  u.merge_id = r.merge->merge_id;
  const UnmergeResponse undone = m.mem.unmerge("acme", u);
  CHECK(undone.customer_ref == x.customer_ref);
  CHECK(undone.restored_customer_ref == y.customer_ref);
  CHECK(undone.identities == 1);
  CHECK(undone.intents == 1);
  CHECK(undone.variables == 2);
  CHECK(undone.calls == 1);
  const CustomerView x_after = m.get(x.customer_ref);
  const CustomerView y_after = m.get(y.customer_ref);
  CHECK(y_after.customer_ref == y.customer_ref);
  CHECK(y_after.created_at == y_before.created_at);
  CHECK(has_ani(y_after, "+14155559999"));
  CHECK_FALSE(has_ani(x_after, "+14155559999"));
  CHECK(has_call(y_after, "y1"));
  CHECK_FALSE(has_call(x_after, "y1"));
  CHECK(y_after.variables.at("name").value.text == R"("Xavier Y")");
  CHECK(y_after.variables.at("order").value.text == R"("77")");
  CHECK(x_after.variables.at("name").value.text == R"("Xavier")");
  CHECK(x_after.variables.count("order") == 0);
  CHECK(x_after.variables.at("tier").value.text == R"("gold")");
  REQUIRE(y_after.intents.size() == 1);
  CHECK(y_after.intents[0].intent == "refund");
  CHECK(x_after.intents.size() == 1);
  CHECK(x_before.variables.size() == x_after.variables.size());
  // Calls made under X after the merge stay with X.
  CHECK(has_call(x_after, "h1"));
  CHECK(has_call(x_after, "n1"));
  // The alias is gone: a start with Y's ref as its hint finds Y.
  CHECK(m.start(R"({"call_id": "h2", "identity_hints": {"customer_ref": ")" + y.customer_ref + R"("}})")
            .customer_ref == y.customer_ref);

  // Unmerging again answers the same; an unknown merge_id is 404.
  const std::string again = m.mem.unmerge_json("acme", R"({"merge_id": ")" + u.merge_id + R"("})");
  CHECK(json::read_unmerge_response(again).unmerged_at == undone.unmerged_at);
  CHECK(again == json::write(undone));
  CHECK(status_of([&] { m.mem.unmerge_json("acme", R"({"merge_id": "nope"})"); }) == Status::not_found);
  CHECK(status_of([&] { m.mem.unmerge_json("other", R"({"merge_id": ")" + u.merge_id + R"("})"); }) ==
        Status::not_found);

  // The unmerge cleared the call's feedback: it takes feedback again.
  const FeedbackResponse redo = m.feedback(fb("y1", "confirmed"));
  CHECK(redo.customer_ref == y.customer_ref);
}

TEST_CASE("forget of a merged customer removes its aliases and merge logs, and says so") {
  Fb m;
  const auto x = m.start(R"({"call_id": "x1", "identity_hints": {"external_ids": {"crm_id": "CRM_X"}}})");
  const auto y = m.start(mobile("y1", "+14155559999"));
  const auto r = m.feedback(fb("y1", "corrected", x.customer_ref));
  REQUIRE(r.merge);
  // Forget by the alias reaches X.
  const std::string receipt =
      m.mem.forget_customer_json("acme", R"({"customer_ref": ")" + y.customer_ref + R"("})");
  CHECK(receipt.find(R"("customer_ref":")" + x.customer_ref + "\"") != std::string::npos);
  CHECK(receipt.find(R"("calls":2,"aliases":1,"merges":1})") != std::string::npos);
  CHECK(status_of([&] { m.get(y.customer_ref); }) == Status::not_found);
  CHECK(status_of([&] { m.get(x.customer_ref); }) == Status::not_found);
  CHECK(status_of([&] { m.mem.unmerge_json("acme", R"({"merge_id": ")" + r.merge->merge_id + R"("})"); }) ==
        Status::not_found);
}

TEST_CASE("feedback replays answer the same bytes and change nothing; a different one is a conflict") {
  Fb m;
  m.start(mobile("a1", "+14155551234"));
  m.start(mobile("a2", "+14155551234"));
  const std::string first = m.feedback_text(fb("a2", "confirmed"));
  const auto stats = m.stats("acme");
  CHECK(m.feedback_text(fb("a2", "confirmed")) == first);
  CHECK(m.mem.identity_feedback_json("acme", R"({"outcome": "confirmed", "call_id": "a2"})") == first);
  CHECK(m.stats("acme")[0].confirmed == stats[0].confirmed);  // counted once
  CHECK(status_of([&] { m.feedback(fb("a2", "rejected")); }) == Status::conflict);
  // The typed API answers the replay too.
  FeedbackRequest req;
  req.call_id = "a2";
  req.outcome = callmem::FeedbackOutcome::confirmed;
  CHECK(m.mem.identity_feedback("acme", req).at == json::read_feedback_response(first).at);
}

TEST_CASE("feedback: unknown calls and customers are 404; tenants are isolated") {
  Fb m;
  const auto a = m.start(mobile("a1", "+14155551234"));
  const auto other = m.start(mobile("o1", "+14155550000"), "other");
  CHECK(status_of([&] { m.feedback(fb("nope", "confirmed")); }) == Status::not_found);
  CHECK(status_of([&] { m.feedback(fb("a1", "confirmed"), "other"); }) == Status::not_found);
  CHECK(status_of([&] { m.feedback(fb("a1", "corrected", "00000000-0000-4000-8000-000000000000")); }) ==
        Status::not_found);
  // Another tenant's customer is unknown here.
  CHECK(status_of([&] { m.feedback(fb("a1", "corrected", other.customer_ref)); }) == Status::not_found);
  // None of that wrote anything: the call still takes feedback.
  CHECK(m.feedback(fb("a1", "confirmed")).customer_ref == a.customer_ref);
  CHECK(m.stats("other").empty());
}

TEST_CASE("feedback: bad input names the field and writes nothing") {
  Fb m;
  m.start(mobile("a1", "+14155551234"));
  using V = std::vector<std::string>;
  const auto bad = [&](const std::string& body) {
    return issue_paths([&] { m.mem.identity_feedback_json("acme", body); });
  };
  CHECK(bad(R"({"call_id": "a1"})") == V{"outcome"});
  CHECK(bad(R"({"outcome": "confirmed"})") == V{"call_id"});
  CHECK(bad(R"({"call_id": "a1", "outcome": "maybe"})") == V{"outcome"});
  CHECK(bad(R"({"call_id": "a1", "outcome": "corrected"})") == V{"customer_ref"});
  CHECK(bad(R"({"call_id": "a1", "outcome": "confirmed", "customer_ref": "x"})") == V{"customer_ref"});
  CHECK(bad(R"({"call_id": "a1", "outcome": "corrected", "customer_ref": ""})") == V{"customer_ref"});
  CHECK(bad(R"({"call_id": "a1", "outcome": "confirmed", "at": "yesterday"})") == V{"at"});
  CHECK(bad(R"({"call_id": "a1", "outcome": "confirmed", "at": "2020-01-01T00:00:00.000Z"})") == V{"at"});
  CHECK(bad(R"({"call_id": 5, "outcome": 1})") == V{"call_id", "outcome"});
  CHECK(issue_paths([&] { m.mem.unmerge_json("acme", "{}"); }) == V{"merge_id"});
  CHECK(issue_paths([&] { m.mem.unmerge_json("acme", R"({"merge_id": 7})"); }) == V{"merge_id"});
  CHECK(issue_paths([&] { m.mem.identity_feedback_json("bad tenant", fb("a1", "confirmed")); }) ==
        V{"tenant"});
  CHECK(m.stats("acme").empty());
  CHECK(m.feedback(fb("a1", "confirmed")).outcome == callmem::FeedbackOutcome::confirmed);
}

namespace {

// One person known twice: a withheld call with an account number makes A, a
// call from their mobile without it makes B (whose end saves an open intent),
// and a call from the mobile with the account number is A and links the
// mobile to A too. `line` is the number's line type; `b_more` adds to B's
// start hints (an id of B's own).
struct Twice {
  std::string a, b;
};
Twice known_twice(Fb& m, const std::string& line = "mobile", const std::string& b_more = "") {
  const auto telco = R"(, "telco": {"line_type": ")" + line + R"("}})";
  const auto a = m.start(R"({"call_id": "t1", "identity_hints": {"ani": "anonymous",
      "external_ids": {"account_number": "ACC-1"}}})");
  const auto b =
      m.start(R"({"call_id": "t2", "identity_hints": {"ani": "+14155550123")" + b_more + "}" + telco);
  REQUIRE(b.customer_ref != a.customer_ref);
  m.end(R"({"call_id": "t2", "intent": "refund", "intent_status": "open", "variables": {"plan": "basic"}})");
  const auto both = m.start(R"({"call_id": "t3", "identity_hints": {"ani": "+14155550123",
      "external_ids": {"account_number": "ACC-1"}})" +
                            telco);
  REQUIRE(both.customer_ref == a.customer_ref);
  return {a.customer_ref, b.customer_ref};
}

std::string from_number(const std::string& call_id, const std::string& line = "mobile") {
  return R"({"call_id": ")" + call_id +
         R"(", "identity_hints": {"ani": "+14155550123"}, "telco": {"line_type": ")" + line + R"("}})";
}

}  // namespace

TEST_CASE("confirmed on a mobile that one other customer has, with no id telling them apart: they merge") {
  Fb m;
  const Twice t = known_twice(m);
  // Two customers on the mobile: held for confirmation.
  const auto held = m.start(from_number("t4"));
  CHECK(held.identity.recommendation == callmem::Recommendation::confirm);
  REQUIRE(held.identity.candidates.size() == 1);
  const std::string kept = held.customer_ref, merged = held.identity.candidates[0].customer_ref;
  CHECK((kept == t.a || kept == t.b));

  const FeedbackResponse r = m.feedback(fb("t4", "confirmed"));
  CHECK(r.customer_ref == kept);
  REQUIRE(r.merge);
  CHECK(r.merge->alias == merged);
  CHECK(r.merge->alias_of == kept);
  CHECK(r.merge->calls >= 1);
  // One customer now has the account number, the mobile, B's open intent and
  // variable; the next call from the mobile is reused.
  const CustomerView one = m.get(kept);
  CHECK(has_external(one, "account_number", "ACC-1"));
  CHECK(has_ani(one, "+14155550123"));
  CHECK(has_call(one, "t2"));
  CHECK(one.variables.count("plan") == 1);
  REQUIRE(one.intents.size() == 1);
  CHECK(one.intents[0].intent == "refund");
  CHECK(m.get(merged).customer_ref == kept);  // the other ref is an alias
  const auto next = m.start(from_number("t5"));
  CHECK(next.customer_ref == kept);
  CHECK(next.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(next.identity.candidates.empty());

  // The merge is undone like a correction's: both are back, and the mobile is
  // held again.
  UnmergeRequest u;
  u.merge_id = r.merge->merge_id;
  const UnmergeResponse undone = m.mem.unmerge("acme", u);
  CHECK(undone.restored_customer_ref == merged);
  CHECK(m.get(merged).customer_ref == merged);
  CHECK(m.start(from_number("t6")).identity.recommendation == callmem::Recommendation::confirm);
}

TEST_CASE(
    "confirmed: no merge where an id tells the two apart, on a shared line, on an aged number, or when off") {
  Fb m;
  std::string line = "mobile";
  SUBCASE("the other customer has another value of the same key") {
    known_twice(m, "mobile", R"(, "external_ids": {"account_number": "ACC-2"})");
  }
  SUBCASE("a landline: a household's members share it") {
    line = "landline";
    known_twice(m, line);
  }
  SUBCASE("the two would hold more than 256 variables together") {
    const Twice t = known_twice(m);
    for (const std::string& ref : {t.a, t.b}) {  // standalone ends naming each customer
      std::string vars;
      for (int i = 0; i < 200; ++i)
        vars += (i ? ", " : "") + fmt::format(R"("{}_{}": 1)", ref.substr(0, 8), i);
      const auto r = m.end(R"({"call_id": "v-)" + ref + R"(", "customer_ref": ")" + ref +
                           R"(", "variables": {)" + vars + "}}");
      CHECK(r.variables_updated == 200);
    }
  }
  SUBCASE("the tenant turned it off") {
    const std::string settings =
        m.mem.configure_tenant_json("acme", R"({"identity": {"merge_duplicates": false}})");
    CHECK(settings.find(R"("merge_duplicates":false)") != std::string::npos);
    known_twice(m);
  }
  SUBCASE("the other customer's last call from the number is older than a carrier's aging period") {
    m.mem.configure_tenant_json("acme", R"({"ttl_days": 120})");
    m.start(
        R"({"call_id": "t1", "identity_hints": {"ani": "anonymous", "external_ids": {"account_number": "ACC-1"}}})");
    m.start(from_number("t2"));
    m.clock->advance(46 * kDay);
    m.start(
        R"({"call_id": "t3", "identity_hints": {"ani": "+14155550123", "external_ids": {"account_number": "ACC-1"}},
        "telco": {"line_type": "mobile"}})");
  }
  const auto held = m.start(from_number("t4", line));
  REQUIRE(held.identity.candidates.size() == 1);
  const FeedbackResponse r = m.feedback(fb("t4", "confirmed"));
  CHECK_FALSE(r.merge);
  CHECK(m.start(from_number("t5", line)).identity.candidates.size() == 1);  // both still on the number
}
