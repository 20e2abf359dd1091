// The probabilistic scorer: each signal's direction and bounds, and what the
// façade makes of shared numbers, spoofing and disagreement.
#include "identity/scorer.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <numeric>

#include "engine.hpp"
#include "json/codec.hpp"
#include "scorer_fixture.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;
using namespace callmem::scorer_fixture;

namespace {

double score(const Call& call, const CandidateFacts& f) {
  return make_probabilistic_scorer()->assess(call.evidence(), {f}).at(0).confidence;
}

std::vector<double> scores(const Call& call, std::vector<CandidateFacts> fs) {
  std::vector<double> out;
  for (const Assessment& a : make_probabilistic_scorer()->assess(call.evidence(), fs))
    out.push_back(a.confidence);
  return out;
}

}  // namespace

TEST_CASE("scorer: a matching number is evidence, by how personal its line is") {
  const Call call;
  const double mobile = score(call, on_number("a", "mobile"));
  const double landline = score(call, on_number("a", "landline"));
  const double toll_free = score(call, on_number("a", "toll_free"));
  CHECK(mobile > landline);
  CHECK(landline > toll_free);
  CHECK(mobile >= 0.95);
  CHECK(toll_free < 0.5);
  // The host's carrier data beats what is stored with the link.
  Call told;
  told.telco.line_type = callmem::LineType::landline;
  CHECK(score(told, on_number("a", "mobile")) == doctest::Approx(landline));
}

TEST_CASE("scorer: a number shared by several customers gives each a share") {
  const Call call;
  double previous = 1;
  for (int k = 1; k <= 6; ++k) {
    std::vector<CandidateFacts> fs;
    for (int i = 0; i < k; ++i) {
      fs.push_back(on_number(fmt::format("c{}", i), "landline"));
      fs.back().ani_customers = k;
    }
    const std::vector<double> p = scores(call, fs);
    const double sum = std::accumulate(p.begin(), p.end(), 0.0);
    CAPTURE(k);
    CHECK(sum <= 1.0 + 1e-9);
    CHECK(p[0] < previous);
    if (k >= 2) CHECK(p[0] < 0.5);  // never a confident guess between them
    previous = p[0];
  }
}

TEST_CASE("scorer: a failed validation or C attestation never reuses on the number alone") {
  Call failed;
  failed.telco.verstat = callmem::Verstat::tn_validation_failed;
  Call gateway;
  gateway.telco.attestation = callmem::Attestation::C;
  Call verified;
  verified.telco.attestation = callmem::Attestation::A;
  const Call plain;
  const CandidateFacts f = on_number("a", "mobile");
  const auto assess = [](const Call& c, const CandidateFacts& x) {
    return make_probabilistic_scorer()->assess(c.evidence(), {x}).at(0);
  };
  CHECK(assess(failed, f).probability < 0.5);  // a failed validation is no evidence at all
  CHECK_FALSE(assess(failed, f).hold.empty());
  CHECK(assess(gateway, f).probability < assess(plain, f).probability);
  CHECK_FALSE(assess(gateway, f).hold.empty());
  CHECK(assess(plain, f).hold.empty());
  CHECK(score(verified, f) >= score(plain, f));
  // An account number on file still identifies the caller.
  CandidateFacts with_id = f;
  with_id.matched_keys = {"account_number"};
  CHECK(score(failed, with_id) >= 0.5);
  CHECK(assess(failed, with_id).hold.empty());
}

TEST_CASE("scorer: landline, VoIP and shared numbers alone are held for confirmation") {
  const Call call;
  const auto assess = [&](const CandidateFacts& x) {
    return make_probabilistic_scorer()->assess(call.evidence(), {x}).at(0);
  };
  CHECK_FALSE(assess(on_number("a", "landline")).hold.empty());
  CHECK_FALSE(assess(on_number("a", "voip")).hold.empty());
  CHECK(assess(on_number("a", "mobile")).hold.empty());
  CandidateFacts shared = on_number("a", "mobile");
  shared.ani_customers = 2;
  CHECK_FALSE(assess(shared).hold.empty());
  CandidateFacts with_id = on_number("a", "landline");
  with_id.matched_keys = {"crm_id"};
  CHECK(assess(with_id).hold.empty());
}

TEST_CASE("scorer: a number unseen for long may have been recycled") {
  const Call call;
  const double yesterday = score(call, on_number("a", "mobile", 1));
  const double long_ago = score(call, on_number("a", "mobile", 200));
  CHECK(long_ago < yesterday);
}

TEST_CASE("scorer: external ids agree strongly and disagree strongly") {
  Call call(nullptr);
  CandidateFacts agree;
  agree.customer_ref = "a";
  agree.matched_keys = {"crm_id"};
  agree.last_seen = kNow - 10 * kDay;
  CHECK(score(call, agree) >= 0.99);

  Call with_number;
  CandidateFacts mobile = on_number("a");
  const double plain = score(with_number, mobile);
  mobile.mismatched_keys = {"crm_id"};
  const double mismatched = score(with_number, mobile);
  CHECK(mismatched < plain);
  CHECK(mismatched < 0.5);  // maybe a new person on a known number
}

TEST_CASE("scorer: customer_ref, open intents and recency push the right way") {
  // A gateway's number: weaker evidence, so that each push shows.
  Call call;
  call.telco.attestation = callmem::Attestation::C;
  CandidateFacts f = on_number("a", "mobile", 10);
  const double base = score(call, f);
  CandidateFacts intent = f;
  intent.open_intent = true;
  CHECK(score(call, intent) > base);
  CHECK(score(call, on_number("a", "mobile", 1)) > base);
  CHECK(score(call, on_number("a", "mobile", 60)) < base);

  Call named = call;
  named.ref_given = true;
  CandidateFacts ref = f;
  ref.ref_match = true;
  CHECK(score(named, ref) > base);
  CHECK(score(named, f) < base);  // the host named someone else
}

TEST_CASE("scorer: confidences are probabilities, explained in bits") {
  const Call call;
  std::vector<CandidateFacts> fs = {on_number("a", "mobile", 1), on_number("b", "landline", 40)};
  fs[1].matched_keys = {"email"};
  const auto assessed = make_probabilistic_scorer()->assess(call.evidence(), fs);
  double sum = 0;
  for (const Assessment& a : assessed) {
    CHECK(a.confidence >= 0);
    CHECK(a.confidence <= 1);
    sum += a.confidence;
    // The evidence adds up to the posterior log-odds.
    double bits = 0;
    for (const Evidence& e : a.evidence) bits += e.weight;
    CHECK(std::exp2(bits) / (1 + std::exp2(bits)) == doctest::Approx(a.confidence).epsilon(0.001));
  }
  CHECK(sum <= 1.0 + 1e-9);
}

namespace {

using Memory = Calls;

}  // namespace

TEST_CASE("identity: a family landline asks to confirm among its customers") {
  Memory m;
  const std::string landline = R"("ani": "+14155550000")";
  const std::string line = R"(, "telco": {"line_type": "landline"})";
  const auto ann = m.start(landline + R"(, "external_ids": {"crm_id": "ANN"})", line);
  const auto bob = m.start(landline + R"(, "external_ids": {"crm_id": "BOB"})", line);
  CHECK(ann.customer_ref != bob.customer_ref);  // Bob's id differs from Ann's: a new person
  m.clock->advance(kDay);
  const auto who = m.start(landline, line);
  CHECK(who.identity.recommendation == callmem::Recommendation::confirm);
  CHECK(who.identity.confidence < 0.5);
  REQUIRE(who.identity.candidates.size() == 1);
  CHECK(who.open_intents.empty());
  CHECK(who.variables.empty());
  // Bob gives his id: recognised.
  const auto bob_again = m.start(landline + R"(, "external_ids": {"crm_id": "BOB"})", line);
  CHECK(bob_again.customer_ref == bob.customer_ref);
  CHECK(bob_again.identity.recommendation == callmem::Recommendation::reuse);
}

TEST_CASE("identity: a spoofed number with failed validation is not greeted by name") {
  Memory m;
  const std::string number = R"("ani": "+14155551234")";
  const auto owner = m.start(number, R"(, "telco": {"line_type": "mobile"})");
  m.mem.end_call_json("acme", R"({"call_id": "call1", "variables": {"name": "Ann"}})");
  const auto spoof =
      m.start(number, R"(, "telco": {"line_type": "mobile", "verstat": "TN-Validation-Failed"})");
  CHECK(spoof.customer_ref != owner.customer_ref);  // a stranger, until proven otherwise
  CHECK(spoof.identity.recommendation != callmem::Recommendation::reuse);
  CHECK(spoof.variables.empty());
  REQUIRE_FALSE(spoof.identity.candidates.empty());
  CHECK(spoof.identity.candidates[0].customer_ref == owner.customer_ref);
  // The spoofed number was not linked to the stranger: the owner calls again.
  const auto again = m.start(number, R"(, "telco": {"line_type": "mobile", "attestation": "A"})");
  CHECK(again.customer_ref == owner.customer_ref);
  CHECK(again.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(again.identity.candidates.empty());
  // With attestation C alone the owner is likely, but confirmed first.
  const auto gateway = m.start(number, R"(, "telco": {"line_type": "mobile", "attestation": "C"})");
  CHECK(gateway.customer_ref == owner.customer_ref);
  CHECK(gateway.identity.recommendation == callmem::Recommendation::confirm);
  bool explained = false;
  for (const Evidence& e : gateway.identity.evidence) explained |= e.signal == "hold";
  CHECK(explained);
}

TEST_CASE("identity: the number type comes from the numbering plan when the host says nothing") {
  Memory m;
  const auto first = m.start(R"("ani": "+44 7911 123456")");
  const auto again = m.start(R"("ani": "07911 123456", "dnis": "+44 20 7946 0000")");
  CHECK(again.customer_ref == first.customer_ref);
  CHECK(again.identity.sources.at(0) == "ani:mobile");
  const auto v = m.mem.get_customer_json("acme", R"({"customer_ref": ")" + first.customer_ref + R"("})");
  CHECK(v.find(R"("line_type":"mobile")") != std::string::npos);
}

TEST_CASE("identity: ids saved at the end of an unconfirmed call wait for the caller's confirmation") {
  Memory m;
  const std::string landline = R"("ani": "+14155550000")";
  const std::string line = R"(, "telco": {"line_type": "landline"})";
  const auto ann = m.start(landline + R"(, "external_ids": {"crm_id": "ANN"})", line);
  const auto held = m.start(landline, line);  // call2
  REQUIRE(held.customer_ref == ann.customer_ref);
  REQUIRE(held.identity.recommendation == callmem::Recommendation::confirm);
  m.mem.end_call_json("acme", R"({"call_id": "call2", "external_ids": {"account_number": "A-77"}})");
  // Not linked: whoever gives A-77 is not taken for Ann.
  const std::string get_ann = R"({"customer_ref": ")" + ann.customer_ref + R"("})";
  CHECK(m.mem.get_customer_json("acme", get_ann).find("A-77") == std::string::npos);
  // The caller of call2 confirms being Ann: now A-77 is Ann's.
  m.mem.identity_feedback_json("acme", R"({"call_id": "call2", "outcome": "confirmed"})");
  CHECK(m.mem.get_customer_json("acme", get_ann).find("A-77") != std::string::npos);
  const auto after = m.start(R"("external_ids": {"account_number": "A-77"})");
  CHECK(after.customer_ref == ann.customer_ref);
  CHECK(after.identity.recommendation == callmem::Recommendation::reuse);
}

TEST_CASE("scorer: a tenant's feedback re-estimates a number's evidence, within bounds") {
  Call call;
  call.telco.line_type = callmem::LineType::landline;
  const CandidateFacts f = on_number("a", "landline");
  const double base = score(call, f);
  LearnedFeedback learned;
  // Answers the scorer gave at 0.5 each, then confirmed or rejected.
  const auto with = [&](std::int64_t confirmed, std::int64_t rejected) {
    learned["ani:landline"] = {confirmed, rejected, 0.5 * static_cast<double>(confirmed + rejected)};
    CallEvidence e = call.evidence();
    e.learned = &learned;
    return make_probabilistic_scorer()->assess(e, {f}).at(0);
  };
  CHECK(with(60, 0).probability > base);
  CHECK(with(0, 60).probability < base);
  CHECK(with(30, 30).confidence == doctest::Approx(base));  // right as often as predicted: no change
  // The defaults are the prior: at most 3 bits either way, however many outcomes.
  const double most = with(1000000, 0).probability;
  const double lr_base = base / (1 - base);
  CHECK(most / (1 - most) == doctest::Approx(lr_base * 8).epsilon(0.01));
  bool explained = false;
  for (const Evidence& e : with(60, 0).evidence) explained |= e.signal == "feedback";
  CHECK(explained);
  // Other line types are untouched.
  learned.clear();
  learned["ani:mobile"] = {0, 100, 50};
  CallEvidence e = call.evidence();
  e.learned = &learned;
  CHECK(make_probabilistic_scorer()->assess(e, {f}).at(0).confidence == doctest::Approx(base));
}

TEST_CASE("identity: confirmed feedback on a tenant's landlines strengthens its later landline answers") {
  Memory m;
  const std::string line = R"(, "telco": {"line_type": "landline"})";
  // Many single-person homes: each landline's later call is confirmed.
  std::vector<double> before, after;
  for (int i = 0; i < 30; ++i) {
    const std::string number = fmt::format(R"("ani": "+1415555{:04}")", 1000 + i);
    m.start(number, line);
    const auto again = m.start(number, line);
    REQUIRE(again.identity.recommendation == callmem::Recommendation::confirm);
    before.push_back(again.identity.confidence);
    m.mem.identity_feedback_json("acme",
                                 fmt::format(R"({{"call_id": "call{}", "outcome": "confirmed"}})", m.calls));
  }
  const auto later = m.start(R"("ani": "+14155551000")", line);
  CHECK(later.identity.confidence > before.front());
  CHECK(later.identity.recommendation == callmem::Recommendation::confirm);  // a landline alone is still held
  bool explained = false;
  for (const Evidence& e : later.identity.evidence) explained |= e.signal == "feedback";
  CHECK(explained);
  // Another tenant learned nothing.
  m.mem.start_call_json(
      "other",
      R"({"call_id": "o1", "identity_hints": {"ani": "+14155551000"}, "telco": {"line_type": "landline"}})");
  const auto elsewhere2 = json::read_start_response(m.mem.start_call_json(
      "other",
      R"({"call_id": "o2", "identity_hints": {"ani": "+14155551000"}, "telco": {"line_type": "landline"}})"));
  CHECK(elsewhere2.identity.confidence == doctest::Approx(before.front()).epsilon(0.05));
}
