// A tenant's identity weights (identity.weights in the settings): each one
// moves the probabilistic scorer's confidence its way, the settings validate
// and persist them, and the hosted profile and the defaults are untouched.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

#include "engine.hpp"
#include "identity/scorer.hpp"
#include "json/codec.hpp"
#include "scorer_fixture.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;
using namespace callmem::scorer_fixture;
using Path = std::vector<std::string>;

namespace {

// ------------------------------------------------------------- the scorer --

// The probability the scorer gives the candidate under weights `w` (null: none given).
double prob(const Call& call, const CandidateFacts& f, const IdentityWeights* w) {
  CallEvidence e = call.evidence();
  e.weights = w;
  return make_probabilistic_scorer()->assess(e, {f}).at(0).probability;
}

// Under the defaults, and with one weight changed.
struct Moved {
  double base, changed;
};
Moved with(const Call& call, const CandidateFacts& f, const std::function<void(IdentityWeights&)>& change) {
  IdentityWeights w;
  change(w);
  return {prob(call, f, nullptr), prob(call, f, &w)};
}

}  // namespace

TEST_CASE("weights: the defaults are the documented parameters, and no weights are the defaults") {
  const IdentityWeights w;
  CHECK(w.ani_m == 0.85);
  CHECK(w.ani_u_mobile == 0.002);
  CHECK(w.ani_u_landline == 0.7);
  CHECK(w.ani_u_voip == 0.5);
  CHECK(w.ani_u_unknown == 0.01);
  CHECK(w.ani_u_business == 0.9);
  CHECK(w.external_id_m == 0.999);
  CHECK(w.external_id_u == 0.0005);
  CHECK(w.customer_ref_m == 0.99);
  CHECK(w.customer_ref_u == 0.0001);
  CHECK(w.recency_within_day == 2);
  CHECK(w.recency_within_week == 1.5);
  CHECK(w.recency_over_30_days == 0.8);
  CHECK(w.open_intent == 2);
  const Call call;
  for (const char* line : {"mobile", "landline", "voip", "toll_free", "fixed_line_or_mobile"}) {
    CAPTURE(line);
    CHECK(prob(call, on_number("a", line), &w) == prob(call, on_number("a", line), nullptr));
  }
}

TEST_CASE("weights: each number parameter moves the confidence its way") {
  const Call call;
  // A C attestation keeps the mobile's probability off its ceiling, so that each push shows.
  Call gateway;
  gateway.telco.attestation = callmem::Attestation::C;
  auto m = with(gateway, on_number("a", "mobile"), [](IdentityWeights& w) { w.ani_m = 0.95; });
  CHECK(m.changed > m.base);
  m = with(gateway, on_number("a", "mobile"), [](IdentityWeights& w) { w.ani_m = 0.5; });
  CHECK(m.changed < m.base);
  m = with(gateway, on_number("a", "mobile"), [](IdentityWeights& w) { w.ani_u_mobile = 0.02; });
  CHECK(m.changed < m.base);
  m = with(call, on_number("a", "landline"), [](IdentityWeights& w) { w.ani_u_landline = 0.2; });
  CHECK(m.changed > m.base);
  m = with(call, on_number("a", "voip"), [](IdentityWeights& w) { w.ani_u_voip = 0.8; });
  CHECK(m.changed < m.base);
  m = with(gateway, on_number("a", "fixed_line_or_mobile"),
           [](IdentityWeights& w) { w.ani_u_unknown = 0.1; });
  CHECK(m.changed < m.base);
  m = with(call, on_number("a", "toll_free"), [](IdentityWeights& w) { w.ani_u_business = 0.3; });
  CHECK(m.changed > m.base);
  // Each u moves its own line type only.
  m = with(call, on_number("a", "landline"), [](IdentityWeights& w) { w.ani_u_voip = 0.05; });
  CHECK(m.changed == m.base);

  // A number not on file counts against a candidate found otherwise: the
  // likelier the customer calls from their own numbers (m), the more.
  CandidateFacts by_id;
  by_id.customer_ref = "a";
  by_id.matched_keys = {"crm_id"};
  by_id.other_ani = true;
  gateway.ids = Call().ids;
  Call stranger;  // an external id that agrees weakly: see it move
  m = with(stranger, by_id, [](IdentityWeights& w) {
    w.external_id_u = 0.2;
    w.ani_m = 0.99;
  });
  const Moved weak = with(stranger, by_id, [](IdentityWeights& w) { w.external_id_u = 0.2; });
  CHECK(m.changed < weak.changed);
}

TEST_CASE("weights: external ids, customer_ref, recency and open intents move the confidence their way") {
  Call no_number(nullptr);
  CandidateFacts id;
  id.customer_ref = "a";
  id.matched_keys = {"crm_id"};
  id.last_seen = kNow - 10 * kDay;
  // Agreement: the likelier a stranger has the same id (u), the weaker.
  auto m = with(no_number, id, [](IdentityWeights& w) { w.external_id_u = 0.05; });
  CHECK(m.changed < m.base);
  m = with(no_number, id, [](IdentityWeights& w) { w.external_id_m = 0.5; });
  CHECK(m.changed < m.base);
  // Disagreement: the surer an id on file is the customer's (m), the stronger against.
  const Call call;
  CandidateFacts differs = on_number("a", "mobile");
  differs.mismatched_keys = {"crm_id"};
  m = with(call, differs, [](IdentityWeights& w) { w.external_id_m = 0.9; });
  CHECK(m.changed > m.base);

  Call named(nullptr);
  named.ref_given = true;
  CandidateFacts ref;
  ref.customer_ref = "a";
  ref.ref_match = true;
  ref.last_seen = kNow - 10 * kDay;
  m = with(named, ref, [](IdentityWeights& w) { w.customer_ref_u = 0.05; });
  CHECK(m.changed < m.base);
  // The host named another: the surer its refs (m), the stronger against.
  Call gateway;
  gateway.telco.attestation = callmem::Attestation::C;
  gateway.ref_given = true;
  m = with(gateway, on_number("a", "mobile", 10), [](IdentityWeights& w) { w.customer_ref_m = 0.5; });
  CHECK(m.changed > m.base);

  gateway.ref_given = false;
  m = with(gateway, on_number("a", "mobile", 1), [](IdentityWeights& w) { w.recency_within_day = 8; });
  CHECK(m.changed > m.base);
  m = with(gateway, on_number("a", "mobile", 5), [](IdentityWeights& w) { w.recency_within_week = 1; });
  CHECK(m.changed < m.base);
  m = with(gateway, on_number("a", "mobile", 40), [](IdentityWeights& w) { w.recency_over_30_days = 0.25; });
  CHECK(m.changed < m.base);
  CandidateFacts intent = on_number("a", "mobile", 10);
  intent.open_intent = true;
  m = with(gateway, intent, [](IdentityWeights& w) { w.open_intent = 8; });
  CHECK(m.changed > m.base);
  m = with(gateway, intent, [](IdentityWeights& w) { w.open_intent = 1; });
  CHECK(m.changed < m.base);
}

TEST_CASE("weights: feedback re-estimation corrects on top of the tenant's weights") {
  Call call;
  call.telco.line_type = callmem::LineType::landline;
  const CandidateFacts f = on_number("a", "landline");
  IdentityWeights w;
  w.ani_u_landline = 0.3;
  LearnedFeedback learned;
  const auto assess = [&](const IdentityWeights* weights, bool with_learned) {
    CallEvidence e{&call.ids, &call.telco, false, kNow};
    e.weights = weights;
    if (with_learned) e.learned = &learned;
    return make_probabilistic_scorer()->assess(e, {f}).at(0).probability;
  };
  const double tenant = assess(&w, false);
  // Answers given at the tenant's probability, right as often as predicted: no change.
  learned["ani:landline"] = {50, 50, 0.5 * 100};
  learned["ani:landline"].predicted = tenant * 100;
  learned["ani:landline"].confirmed = static_cast<std::int64_t>(std::round(tenant * 100));
  learned["ani:landline"].rejected = 100 - learned["ani:landline"].confirmed;
  CHECK(assess(&w, true) == doctest::Approx(tenant).epsilon(0.02));
  // Right more often than predicted: above the tenant's weights.
  learned["ani:landline"] = {100, 0, tenant * 100};
  CHECK(assess(&w, true) > tenant);
  learned["ani:landline"] = {0, 100, tenant * 100};
  CHECK(assess(&w, true) < tenant);
}

// -------------------------------------------------------------- the codec --

namespace {

template <class F>
std::vector<FieldIssue> issues_of(F&& f, Status status = Status::invalid) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.status() == status);
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

}  // namespace

TEST_CASE("weights: settings JSON, a patch of what it names") {
  const auto p = json::parse_settings(R"({"identity": {"weights": {
      "ani": {"m": 0.9, "u": {"mobile": 0.001, "landline": 0.6, "voip": 0.4, "unknown": 0.02, "business": 0.95}},
      "external_id": {"m": 0.99, "u": 0.001}, "customer_ref": {"m": 0.95, "u": 0.0002},
      "recency": {"within_day": 3, "within_week": 1, "over_30_days": 0.5}, "open_intent": 1.5}}})");
  const IdentityWeightsPatch& w = p.identity_weights;
  CHECK(w.ani_m == 0.9);
  CHECK(w.ani_u_mobile == 0.001);
  CHECK(w.ani_u_landline == 0.6);
  CHECK(w.ani_u_voip == 0.4);
  CHECK(w.ani_u_unknown == 0.02);
  CHECK(w.ani_u_business == 0.95);
  CHECK(w.external_id_m == 0.99);
  CHECK(w.external_id_u == 0.001);
  CHECK(w.customer_ref_m == 0.95);
  CHECK(w.customer_ref_u == 0.0002);
  CHECK(w.recency_within_day == 3);
  CHECK(w.recency_within_week == 1);
  CHECK(w.recency_over_30_days == 0.5);
  CHECK(w.open_intent == 1.5);
  CHECK(!p.identity_profile);

  const auto some = json::parse_settings(R"({"identity": {"weights": {"ani": {"u": {"landline": 0.5}}}}})");
  CHECK(some.identity_weights.ani_u_landline == 0.5);
  CHECK(!some.identity_weights.ani_m);
  CHECK(!some.identity_weights.ani_u_mobile);
  CHECK(!some.identity_weights.open_intent);
  // null is absent, as everywhere in the settings.
  const auto nulls = json::parse_settings(R"({"identity": {"weights": {"ani": null, "open_intent": null}}})");
  CHECK(!nulls.identity_weights.open_intent);
}

TEST_CASE("weights: bad values and unknown keys are named by their path") {
  const auto bad = [](const std::string& weights, const Path& path) {
    const std::string text = R"({"identity": {"weights": )" + weights + "}}";
    CAPTURE(text);
    Path full{"identity", "weights"};
    full.insert(full.end(), path.begin(), path.end());
    CHECK(has_path(issues_of([&] { json::parse_settings(text); }), full));
  };
  bad("5", {});
  bad(R"([0.85])", {});
  bad(R"({"ani": 0.85})", {"ani"});
  bad(R"({"ani": {"m": 1}})", {"ani", "m"});
  bad(R"({"ani": {"m": 0}})", {"ani", "m"});
  bad(R"({"ani": {"m": -0.5}})", {"ani", "m"});
  bad(R"({"ani": {"m": "0.85"}})", {"ani", "m"});
  bad(R"({"ani": {"m": true}})", {"ani", "m"});
  bad(R"({"ani": {"u": 0.5}})", {"ani", "u"});
  bad(R"({"ani": {"u": {"mobile": 1.5}}})", {"ani", "u", "mobile"});
  bad(R"({"ani": {"u": {"pager": 0.1}}})", {"ani", "u", "pager"});
  bad(R"({"ani": {"n": 0.1}})", {"ani", "n"});
  bad(R"({"external_id": {"u": 0}})", {"external_id", "u"});
  bad(R"({"external_id": {"m": 0.9, "crm_id": 0.1}})", {"external_id", "crm_id"});
  bad(R"({"recency": {"within_day": 0.5}})", {"recency", "within_day"});
  bad(R"({"recency": {"within_week": 17}})", {"recency", "within_week"});
  bad(R"({"recency": {"over_30_days": 1.5}})", {"recency", "over_30_days"});
  bad(R"({"recency": {"over_30_days": 0.05}})", {"recency", "over_30_days"});
  bad(R"({"recency": {"within_month": 1}})", {"recency", "within_month"});
  bad(R"({"open_intent": 0.5})", {"open_intent"});
  bad(R"({"open_intent": {"lr": 2}})", {"open_intent"});
  bad(R"({"intent": 2})", {"intent"});
  bad(R"({"ani": {"m": 0.9, "u": {"mobile": 2}}, "Recency": {}})", {"Recency"});
  // Too small for a double: refused whole, as 1e400 is, never read as 0.
  CHECK(issues_of(
            [] { json::parse_settings(R"({"identity": {"weights": {"customer_ref": {"u": 1e-400}}}})"); })[0]
            .message.rfind("malformed JSON at offset 48: Number too small", 0) == 0);
  // Every issue is named, not only the first.
  const auto issues = issues_of([] {
    json::parse_settings(R"({"identity": {"weights": {"ani": {"m": 2}, "open_intent": 0, "x": 1}}})");
  });
  CHECK(has_path(issues, {"identity", "weights", "ani", "m"}));
  CHECK(has_path(issues, {"identity", "weights", "open_intent"}));
  CHECK(has_path(issues, {"identity", "weights", "x"}));
  // An unknown key under identity is refused too (a misspelt "weights" would
  // otherwise change nothing, silently).
  CHECK(has_path(issues_of([] { json::parse_settings(R"({"identity": {"weigths": {}}})"); }),
                 {"identity", "weigths"}));
  // The open configuration's default settings take weights too.
  CHECK(has_path(issues_of([] {
                   json::parse_open_config(
                       R"({"default_settings": {"identity": {"weights": {"ani": {"m": 7}}}}})");
                 }),
                 {"default_settings", "identity", "weights", "ani", "m"}));
  const EngineOptions o = json::parse_open_config(
      R"({"default_settings": {"identity": {"weights": {"ani": {"u": {"voip": 0.2}}}}}})");
  CHECK(o.default_settings.identity_weights.ani_u_voip == 0.2);
  CHECK(o.default_settings.identity_weights.ani_u_landline == 0.7);
  CHECK(has_path(issues_of([] {
                   json::parse_open_config(
                       R"({"default_settings": {"identity": {"weights": {"ani": {"u": {"mobile": 0.9}}}}}})");
                 }),
                 {"default_settings", "identity", "weights", "ani", "u", "mobile"}));
}

TEST_CASE("weights: the stored form is canonical JSON of what differs from the defaults") {
  CHECK(json::write_identity_weights(IdentityWeights{}) == "{}");
  IdentityWeights w;
  w.ani_u_landline = 0.3;
  w.open_intent = 3;
  w.ani_m = 0.9;
  w.recency_over_30_days = 0.5;
  CHECK(json::write_identity_weights(w) ==
        R"({"ani":{"m":0.9,"u":{"landline":0.3}},"recency":{"over_30_days":0.5},"open_intent":3})");
  const IdentityWeights back = json::read_identity_weights(json::write_identity_weights(w));
  CHECK(back.ani_m == 0.9);
  CHECK(back.ani_u_landline == 0.3);
  CHECK(back.ani_u_mobile == 0.002);
  CHECK(back.recency_over_30_days == 0.5);
  CHECK(back.open_intent == 3);
  CHECK(json::write_identity_weights(back) == json::write_identity_weights(w));
  // Every value, written and read back to the same double.
  IdentityWeights all;
  all.ani_m = 0.123456789012345;
  all.ani_u_mobile = 1e-9;
  all.ani_u_landline = 0.7000000000000001;
  all.ani_u_voip = 0.51;
  all.ani_u_unknown = 0.011;
  all.ani_u_business = 0.999999;
  all.external_id_m = 0.9991;
  all.external_id_u = 0.00051;
  all.customer_ref_m = 0.991;
  all.customer_ref_u = 0.00011;
  all.recency_within_day = 16;
  all.recency_within_week = 1;
  all.recency_over_30_days = 0.0625;
  all.open_intent = 2.5;
  const std::string text = json::write_identity_weights(all);
  const IdentityWeights again = json::read_identity_weights(text);
  CHECK(json::write_identity_weights(again) == text);
  CHECK(again.ani_m == all.ani_m);
  CHECK(again.ani_u_mobile == all.ani_u_mobile);
  CHECK(again.ani_u_landline == all.ani_u_landline);
  CHECK(again.recency_over_30_days == all.recency_over_30_days);
  // Read in turn, each its own.
  const std::string one = R"({"ani":{"m":0.9}})", two = R"({"ani":{"m":0.8}})";
  CHECK(json::read_identity_weights(one).ani_m == 0.9);
  CHECK(json::read_identity_weights(two).ani_m == 0.8);
  CHECK(json::read_identity_weights(one).ani_m == 0.9);
  CHECK(json::read_identity_weights("{}").ani_m == 0.85);
  CHECK(json::read_identity_weights(one).ani_m == 0.9);
  // The defaults need nothing; what does not read back is a store error.
  CHECK(json::read_identity_weights("{}").ani_m == 0.85);
  CHECK(json::read_identity_weights("").ani_m == 0.85);
  for (const char* stored :
       {"[", "[]", R"({"ani": {"m": 2}})", R"({"x": 1})", R"({"ani": {"u": {"mobile": 0.9}}})"}) {
    CAPTURE(stored);
    issues_of([&] { json::read_identity_weights(stored); }, Status::store);
  }
}

// ------------------------------------------------------------- the façade --

namespace {

struct Memory {
  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);
  std::unique_ptr<Engine> mem = open();
  int calls = 0;

  std::unique_ptr<Engine> open() {
    EngineOptions o;
    o.path = dir.file("calls.db");
    o.clock = clock;
    return std::make_unique<Engine>(o);
  }
  StartResponse start(const std::string& tenant, const std::string& ani, const std::string& line) {
    const std::string id = fmt::format("call{}", ++calls);
    return json::read_start_response(mem->start_call_json(
        tenant,
        fmt::format(
            R"({{"call_id": "{}", "identity_hints": {{"ani": "{}"}}, "telco": {{"line_type": "{}"}}}})", id,
            ani, line)));
  }
  // The confidence of a second call from a landline, in a tenant.
  double landline_again(const std::string& tenant) {
    const std::string ani = fmt::format("+1415555{:04}", calls);
    start(tenant, ani, "landline");
    const StartResponse r = start(tenant, ani, "landline");
    REQUIRE(!r.identity.sources.empty());
    return r.identity.confidence;
  }
  std::string configure(const std::string& tenant, const std::string& json) {
    return mem->configure_tenant_json(tenant, json);
  }
};

}  // namespace

TEST_CASE("weights: configure answers the full settings; a partial patch changes only what it names") {
  Memory m;
  const std::string all = m.configure("acme", "{}");
  CHECK(all.find(
            R"("weights":{"ani":{"m":0.85,"u":{"mobile":0.002,"landline":0.7,"voip":0.5,"unknown":0.01,)"
            R"("business":0.9}},"external_id":{"m":0.999,"u":0.0005},"customer_ref":{"m":0.99,"u":0.0001},)"
            R"("recency":{"within_day":2,"within_week":1.5,"over_30_days":0.8},"open_intent":2})") !=
        std::string::npos);
  const std::string one =
      m.configure("acme", R"({"identity": {"weights": {"ani": {"u": {"landline": 0.3}}}}})");
  CHECK(one.find(R"("u":{"mobile":0.002,"landline":0.3,"voip":0.5)") != std::string::npos);
  const std::string two =
      m.configure("acme", R"({"identity": {"weights": {"open_intent": 3}}, "ttl_days": 20})");
  CHECK(two.find(R"("landline":0.3)") != std::string::npos);  // kept
  CHECK(two.find(R"("open_intent":3)") != std::string::npos);
  CHECK(two.find(R"("profile":"probabilistic")") != std::string::npos);
  const TenantSettings s = m.mem->tenant_settings("acme");
  CHECK(s.ttl_days == 20);
  CHECK(s.identity_weights.ani_u_landline == 0.3);
  CHECK(s.identity_weights.open_intent == 3);
  CHECK(s.identity_weights.ani_m == 0.85);
  // The profile changes without touching the weights, and back.
  m.configure("acme", R"({"identity": {"profile": "hosted"}})");
  CHECK(m.mem->tenant_settings("acme").identity_weights.ani_u_landline == 0.3);
  // Through the typed API too.
  TenantSettingsPatch p;
  p.identity_weights.external_id_u = 0.001;
  const TenantSettings t = m.mem->configure_tenant("acme", p);
  CHECK(t.identity_weights.external_id_u == 0.001);
  CHECK(t.identity_weights.ani_u_landline == 0.3);
  // Another tenant keeps the defaults.
  CHECK(m.mem->tenant_settings("other").identity_weights.ani_u_landline == 0.7);
}

TEST_CASE("weights: errors name the field and write nothing") {
  Memory m;
  m.configure("acme", R"({"identity": {"weights": {"ani": {"u": {"landline": 0.3}}}}})");
  const std::string before = m.configure("acme", "{}");
  const auto bad = [&](const std::string& json, const Path& path) {
    CAPTURE(json);
    CHECK(has_path(issues_of([&] { m.configure("acme", json); }), path));
    CHECK(m.configure("acme", "{}") == before);
  };
  bad(R"({"ttl_days": 10, "identity": {"weights": {"ani": {"m": 1.2}}}})",
      {"identity", "weights", "ani", "m"});
  bad(R"({"identity": {"weights": {"ani": {"u": {"landline": 0.3, "cell": 0.1}}}}})",
      {"identity", "weights", "ani", "u", "cell"});
  // m above u where the direction needs it, against the stored values too.
  bad(R"({"identity": {"weights": {"ani": {"u": {"mobile": 0.85}}}}})",
      {"identity", "weights", "ani", "u", "mobile"});
  bad(R"({"identity": {"weights": {"ani": {"m": 0.005}}}})", {"identity", "weights", "ani", "u", "unknown"});
  bad(R"({"identity": {"weights": {"external_id": {"m": 0.3, "u": 0.4}}}})",
      {"identity", "weights", "external_id", "u"});
  bad(R"({"identity": {"weights": {"customer_ref": {"u": 0.995}}}})",
      {"identity", "weights", "customer_ref", "u"});
  // A landline's, VoIP's or business number's u may be above m: such a number alone points away.
  CHECK(m.configure("acme", R"({"identity": {"weights": {"ani": {"u": {"landline": 0.9, "voip": 0.9}}}}})")
            .find(R"("landline":0.9)") != std::string::npos);
  // The typed API checks the same.
  TenantSettingsPatch p;
  p.identity_weights.ani_u_mobile = 0;
  CHECK(has_path(issues_of([&] { m.mem->configure_tenant("acme", p); }),
                 {"identity", "weights", "ani", "u", "mobile"}));
  p = {};
  p.identity_weights.recency_within_day = 100;
  CHECK(has_path(issues_of([&] { m.mem->configure_tenant("acme", p); }),
                 {"identity", "weights", "recency", "within_day"}));
}

TEST_CASE("weights: a tenant's weights score its calls, persist across reopening, and leave others alone") {
  Memory m;
  const double plain = m.landline_again("plain");
  m.configure("homes", R"({"identity": {"weights": {"ani": {"u": {"landline": 0.1}}}}})");
  const double homes = m.landline_again("homes");
  CHECK(homes > plain);
  m.configure("offices", R"({"identity": {"weights": {"ani": {"u": {"landline": 0.85}}}}})");
  const double offices = m.landline_again("offices");
  CHECK(offices < plain);
  // The defaults are unchanged where nothing was configured, and where the
  // weights were set back to the documented values.
  m.configure("back", R"({"identity": {"weights": {"ani": {"u": {"landline": 0.1}}}}})");
  m.configure("back", R"({"identity": {"weights": {"ani": {"u": {"landline": 0.7}}}}})");
  CHECK(m.landline_again("back") == doctest::Approx(plain));
  CHECK(m.landline_again("plain") == doctest::Approx(plain));

  // Reopened: the same settings, the same scores.
  m.mem.reset();
  m.mem = m.open();
  CHECK(m.mem->tenant_settings("homes").identity_weights.ani_u_landline == 0.1);
  CHECK(m.mem->tenant_settings("plain").identity_weights.ani_u_landline == 0.7);
  CHECK(m.landline_again("homes") == doctest::Approx(homes));
  CHECK(m.landline_again("offices") == doctest::Approx(offices));
}

TEST_CASE("weights: the hosted profile is unaffected by them") {
  Memory m;
  m.configure("hosted", R"({"identity": {"profile": "hosted"}})");
  m.configure("hosted_weighted", R"({"identity": {"profile": "hosted", "weights": {"ani": {"m": 0.6,
      "u": {"mobile": 0.5, "landline": 0.01}}, "recency": {"within_day": 16}, "open_intent": 16}}})");
  for (const char* line : {"mobile", "landline", "voip"}) {
    CAPTURE(line);
    const std::string ani = fmt::format("+1212555{:04}", m.calls);
    m.start("hosted", ani, line);
    m.start("hosted_weighted", ani, line);
    const StartResponse a = m.start("hosted", ani, line);
    const StartResponse b = m.start("hosted_weighted", ani, line);
    CHECK(a.identity.confidence == b.identity.confidence);
    CHECK(a.identity.recommendation == b.identity.recommendation);
    CHECK(a.identity.sources == b.identity.sources);
  }
}
