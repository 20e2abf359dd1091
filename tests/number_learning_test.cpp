// What the identity code learns of a number from its calls
// (identity/number_learning.hpp): a number the hosts confirmed as one
// customer's on distinct days is reused, until a rejection, a correction or
// another customer on it; a number's type comes from all its calls' carrier
// data, not the last call's.
#include "identity/number_learning.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>

#include "engine.hpp"
#include "json/codec.hpp"
#include "scorer_fixture.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;
using namespace callmem::scorer_fixture;

namespace {

struct Memory : Calls {
  // Feedback on the last call.
  FeedbackResponse feedback(const std::string& outcome) {
    return json::read_feedback_response(mem.identity_feedback_json(
        "acme", fmt::format(R"({{"call_id": "call{}", "outcome": "{}"}})", calls, outcome)));
  }
};

const Evidence* find(const StartResponse& r, const std::string& signal) {
  for (const Evidence& e : r.identity.evidence)
    if (e.signal == signal) return &e;
  return nullptr;
}

constexpr Millis kHour = 3600 * kSecond;

// A North American number, no carrier data: libphonenumber says "fixed line or mobile".
const std::string kUntyped = R"("ani": "+14155551234")";

}  // namespace

TEST_CASE("learning: an untyped number confirmed on two days is reused on the third call") {
  Memory m;
  const auto first = m.start(kUntyped);
  CHECK(first.identity.recommendation == callmem::Recommendation::ignore);  // a new customer
  m.feedback("confirmed");                                                  // the host checked who called
  m.clock->advance(kDay);
  const auto second = m.start(kUntyped);
  CHECK(second.customer_ref == first.customer_ref);
  CHECK(second.identity.recommendation ==
        callmem::Recommendation::confirm);  // held: the number may be a household's landline
  const Evidence* once = find(second, "confirmed_number");
  REQUIRE(once != nullptr);
  CHECK(once->weight == 0);
  CHECK(once->detail.find("on 1 day") != std::string::npos);
  m.feedback("confirmed");
  m.clock->advance(kDay);
  const auto third = m.start(kUntyped);
  CHECK(third.customer_ref == first.customer_ref);
  CHECK(third.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(third.identity.confidence > second.identity.confidence);
  const Evidence* learned = find(third, "confirmed_number");
  REQUIRE(learned != nullptr);
  CHECK(learned->weight > 2);
  CHECK(learned->detail.find("2 distinct days") != std::string::npos);
  CHECK(find(third, "hold") == nullptr);
}

TEST_CASE(
    "learning: the day a number was first seen with the customer counts once a later call is confirmed") {
  Memory m;
  const auto first = m.start(kUntyped);  // not confirmed: the host did not ask
  m.clock->advance(kDay);
  const auto second = m.start(kUntyped);
  REQUIRE(second.identity.recommendation == callmem::Recommendation::confirm);
  CHECK(find(second, "confirmed_number") == nullptr);  // nothing confirmed yet
  m.feedback("confirmed");  // the caller of the second call is the customer the first made
  m.clock->advance(kDay);
  const auto third = m.start(kUntyped);
  CHECK(third.customer_ref == first.customer_ref);
  CHECK(third.identity.recommendation == callmem::Recommendation::reuse);
}

TEST_CASE("learning: confirmations on one day count once") {
  Memory m;
  m.start(kUntyped);
  m.feedback("confirmed");
  m.clock->advance(kHour);
  const auto again = m.start(kUntyped);
  REQUIRE(again.identity.recommendation == callmem::Recommendation::confirm);
  m.feedback("confirmed");
  m.clock->advance(kHour);
  const auto third = m.start(kUntyped);
  CHECK(third.identity.recommendation == callmem::Recommendation::confirm);
  REQUIRE(find(third, "confirmed_number") != nullptr);
  CHECK(find(third, "confirmed_number")->weight == 0);
}

TEST_CASE("learning: a rejection undoes what the confirmations taught, at once") {
  Memory m;
  const auto first = m.start(kUntyped);
  m.feedback("confirmed");
  m.clock->advance(kDay);
  m.start(kUntyped);
  m.feedback("confirmed");
  m.clock->advance(kDay);
  const auto learned = m.start(kUntyped);
  REQUIRE(learned.identity.recommendation == callmem::Recommendation::reuse);
  // Someone else: the host says so.
  const FeedbackResponse r = m.feedback("rejected");
  CHECK(r.customer_created);
  m.clock->advance(kHour);
  const auto next = m.start(kUntyped);
  CHECK(next.identity.recommendation != callmem::Recommendation::reuse);
  const Evidence* e = find(next, "confirmed_number");
  CHECK((e == nullptr || e->weight == 0));
  // The first customer confirmed again on the number later starts over.
  m.mem.identity_feedback_json(
      "acme", fmt::format(R"({{"call_id": "call{}", "outcome": "corrected", "customer_ref": "{}"}})", m.calls,
                          first.customer_ref));
  m.clock->advance(kDay);
  const auto after = m.start(kUntyped);
  CHECK(after.customer_ref == first.customer_ref);
  CHECK(after.identity.recommendation == callmem::Recommendation::confirm);
}

TEST_CASE("learning: a household line confirmed by one member does not reuse for the others") {
  Memory m;
  const std::string line = R"("ani": "+14155550000")";  // untyped: no carrier data
  // Ann, confirmed on the line on two days: the line is hers as far as anyone knows.
  const auto ann = m.start(line + R"(, "external_ids": {"crm_id": "ANN"})");
  m.feedback("confirmed");
  m.clock->advance(kDay);
  REQUIRE(m.start(line).identity.recommendation == callmem::Recommendation::confirm);
  m.feedback("confirmed");
  m.clock->advance(kDay);
  REQUIRE(m.start(line).identity.recommendation == callmem::Recommendation::reuse);
  // Bob calls from it with his own id: a new customer on the number.
  const auto bob = m.start(line + R"(, "external_ids": {"crm_id": "BOB"})");
  CHECK(bob.customer_ref != ann.customer_ref);
  CHECK(bob.identity.recommendation != callmem::Recommendation::reuse);
  // From now on a call from the line alone is asked about, whoever it is,
  // and Ann's confirmations on it, even new ones, no longer count.
  for (int day = 1; day <= 3; ++day) {
    m.clock->advance(kDay);
    const auto who = m.start(line);
    CAPTURE(day);
    CHECK(who.identity.recommendation == callmem::Recommendation::confirm);
    CHECK(find(who, "confirmed_number") == nullptr);
    if (who.customer_ref == ann.customer_ref) m.feedback("confirmed");
  }
}

TEST_CASE("learning: members known on a shared line are never reused on the line alone") {
  Memory m;
  const std::string line = R"("ani": "+14155550000")";
  const auto ann = m.start(line + R"(, "external_ids": {"crm_id": "ANN"})");
  const auto bob = m.start(line + R"(, "external_ids": {"crm_id": "BOB"})");
  REQUIRE(ann.customer_ref != bob.customer_ref);
  for (int day = 1; day <= 4; ++day) {
    m.clock->advance(kDay);
    m.start(line + R"(, "external_ids": {"crm_id": "ANN"})");
    m.feedback("confirmed");
    const auto alone = m.start(line);
    CAPTURE(day);
    CHECK(alone.identity.recommendation == callmem::Recommendation::confirm);
  }
}

TEST_CASE("learning: a typed landline is still held however often it was confirmed") {
  Memory m;
  const std::string typed = R"(, "telco": {"line_type": "landline"})";
  m.start(kUntyped, typed);
  m.feedback("confirmed");
  for (int day = 1; day <= 3; ++day) {
    m.clock->advance(kDay);
    const auto again = m.start(kUntyped, typed);
    CHECK(again.identity.recommendation == callmem::Recommendation::confirm);
    m.feedback("confirmed");
  }
}

TEST_CASE("learning: a tenant whose confirmed numbers turn out wrong stops reusing on them") {
  const Call call;  // untyped
  CandidateFacts f = on_number("a", "fixed_line_or_mobile");
  f.ani_confirmed_days = 3;
  const auto assess = [&](const LearnedFeedback* learned) {
    CallEvidence e = call.evidence();
    e.learned = learned;
    return make_probabilistic_scorer()->assess(e, {f}).at(0);
  };
  const Assessment plain = assess(nullptr);
  CHECK(plain.hold.empty());
  LearnedFeedback learned;
  learned["ani:confirmed"] = {0, 6, 6 * 0.999};
  const Assessment wrong = assess(&learned);
  CHECK(wrong.probability < plain.probability);
  CHECK_FALSE(wrong.hold.empty());
  bool explained = false;
  for (const Evidence& ev : wrong.evidence)
    explained |= ev.signal == "confirmed_number" && ev.detail.find("rejected 6") != std::string::npos;
  CHECK(explained);
  // Another customer on the number, or a spoofable call: no such evidence.
  f.ani_customers = 2;
  CHECK_FALSE(assess(nullptr).hold.empty());
  f.ani_customers = 1;
  Call gateway;
  gateway.telco.attestation = callmem::Attestation::C;
  CHECK_FALSE(make_probabilistic_scorer()->assess(gateway.evidence(), {f}).at(0).hold.empty());
}

TEST_CASE("learning: a wrong reuse on one confirmed number does not hold the tenant's other ones") {
  Memory m;
  const std::string ann = R"("ani": "+14155550001")", bob = R"("ani": "+14155550002")";
  // Both numbers confirmed on two days.
  for (const std::string& line : {ann, bob}) {
    m.start(line);
    m.feedback("confirmed");
  }
  m.clock->advance(kDay);
  for (const std::string& line : {ann, bob}) {
    REQUIRE(m.start(line).identity.recommendation == callmem::Recommendation::confirm);
    m.feedback("confirmed");
  }
  m.clock->advance(kDay);
  REQUIRE(m.start(ann).identity.recommendation == callmem::Recommendation::reuse);
  // Someone else on Ann's line: greeted as Ann, they say so.
  m.feedback("rejected");
  m.clock->advance(kHour);
  // Ann's line is held again; Bob's is not: a reused answer is reported when
  // it is wrong and seldom when right, so it is no sample of how often such
  // answers are right.
  CHECK(m.start(ann).identity.recommendation == callmem::Recommendation::confirm);
  const auto b = m.start(bob);
  CHECK(b.identity.recommendation == callmem::Recommendation::reuse);
  const Evidence* e = find(b, "confirmed_number");
  REQUIRE(e != nullptr);
  CHECK(e->weight > 2);
}

TEST_CASE(
    "learning: a tenant whose held confirmed numbers the hosts keep confirming learns to reuse on them") {
  Memory m;
  // A tenant whose mobiles are worth more than a confirmed number by default
  // (log2(0.01 / 0.0005) = 4.3 bits against 3.2): its confirmed numbers are held.
  m.mem.configure_tenant_json("acme", R"({"identity": {"weights": {"ani": {"u": {"mobile": 0.0005}}}}})");
  m.start(kUntyped);
  m.feedback("confirmed");
  m.clock->advance(kDay);
  m.start(kUntyped);
  m.feedback("confirmed");
  int held = 0;
  bool reused = false;
  for (int day = 0; day < 60 && !reused; ++day) {
    m.clock->advance(kDay);
    const auto next = m.start(kUntyped);
    reused = next.identity.recommendation == callmem::Recommendation::reuse;
    if (reused) break;
    REQUIRE(next.identity.recommendation == callmem::Recommendation::confirm);
    REQUIRE(find(next, "confirmed_number") != nullptr);
    REQUIRE(find(next, "confirmed_number")->weight > 0);
    m.feedback("confirmed");  // the host asked: right
    ++held;
  }
  CHECK(reused);
  CHECK(held > 5);  // it takes the hosts' answers, against the prior worth 20
  // What was counted: the answers that weighed the confirmed number, under
  // its re-estimate, not the number's type's (which has the one on 1 day).
  SqliteStore store(m.dir.file("calls.db"), 1000);
  std::map<std::string, std::int64_t> confirmed;
  for (const FeedbackStat& f : store.begin("acme", callmem::Access::read)->feedback_stats())
    confirmed[f.signal] = f.confirmed;
  CHECK(confirmed == std::map<std::string, std::int64_t>{{"ani:confirmed", held}, {"ani:unknown", 1}});
}

// A mobile: the carrier says so on every call.
const std::string kMobile = R"("ani": "+14155557777")";
const std::string kTypedMobile = R"(, "telco": {"line_type": "mobile"})";

TEST_CASE(
    "shared mobile: after a correction naming another customer, the number alone is confirmed, not reused") {
  Memory m;
  const auto ann = m.start(kMobile + R"(, "external_ids": {"crm_id": "ANN"})", kTypedMobile);
  const auto bob = m.start(R"("ani": "+14155550001", "external_ids": {"crm_id": "BOB"})", kTypedMobile);
  m.clock->advance(kDay);
  // Bob borrows Ann's phone: greeted as Ann, he says who he is.
  const auto borrowed = m.start(kMobile, kTypedMobile);
  REQUIRE(borrowed.customer_ref == ann.customer_ref);
  REQUIRE(borrowed.identity.recommendation == callmem::Recommendation::reuse);
  m.mem.identity_feedback_json(
      "acme", fmt::format(R"({{"call_id": "call{}", "outcome": "corrected", "customer_ref": "{}"}})", m.calls,
                          bob.customer_ref));
  // Two people call from the number: whoever calls next is asked.
  m.clock->advance(kDay);
  const auto next = m.start(kMobile, kTypedMobile);
  CHECK(next.customer_ref == bob.customer_ref);
  CHECK(next.identity.recommendation == callmem::Recommendation::confirm);
  const Evidence* hold = find(next, "hold");
  REQUIRE(hold != nullptr);
  CHECK(hold->detail.find("another person") != std::string::npos);
  // It was Ann: corrected back; her confirmations on the number do not make it hers alone again.
  m.mem.identity_feedback_json(
      "acme", fmt::format(R"({{"call_id": "call{}", "outcome": "corrected", "customer_ref": "{}"}})", m.calls,
                          ann.customer_ref));
  for (int day = 1; day <= 3; ++day) {
    m.clock->advance(kDay);
    const auto again = m.start(kMobile, kTypedMobile);
    CAPTURE(day);
    CHECK(again.customer_ref == ann.customer_ref);
    CHECK(again.identity.recommendation == callmem::Recommendation::confirm);
    m.feedback("confirmed");
  }
  // With an id the caller is known as before.
  const auto with_id = m.start(kMobile + R"(, "external_ids": {"crm_id": "ANN"})", kTypedMobile);
  CHECK(with_id.customer_ref == ann.customer_ref);
  CHECK(with_id.identity.recommendation == callmem::Recommendation::reuse);
  // The TTL (30 days) after the last correction, the number is Ann's again.
  for (int step = 0; step < 3; ++step) {
    m.clock->advance(10 * kDay);
    m.start(kMobile, kTypedMobile);
    m.feedback("confirmed");
  }
  const auto later = m.start(kMobile, kTypedMobile);
  CHECK(later.customer_ref == ann.customer_ref);
  CHECK(later.identity.recommendation == callmem::Recommendation::reuse);
}

TEST_CASE(
    "shared mobile: the hold outlives the TTL while the number is remembered, until the hosts confirm its "
    "customer a TTL after the last correction") {
  Memory m;
  const auto ann = m.start(kMobile + R"(, "external_ids": {"crm_id": "ANN"})", kTypedMobile);
  const auto bob = m.start(R"("ani": "+14155550001", "external_ids": {"crm_id": "BOB"})", kTypedMobile);
  const auto correct_to = [&](const std::string& ref) {
    m.mem.identity_feedback_json(
        "acme", fmt::format(R"({{"call_id": "call{}", "outcome": "corrected", "customer_ref": "{}"}})",
                            m.calls, ref));
  };
  m.clock->advance(kDay);
  REQUIRE(m.start(kMobile, kTypedMobile).identity.recommendation == callmem::Recommendation::reuse);
  correct_to(bob.customer_ref);  // Bob borrowed Ann's phone
  m.clock->advance(kDay);
  REQUIRE(m.start(kMobile, kTypedMobile).customer_ref == bob.customer_ref);
  correct_to(ann.customer_ref);  // and Ann called next: the last correction
  // Ann calls within the TTL (keeping the number remembered): held, confirmed.
  m.clock->advance(20 * kDay);
  m.start(R"("ani": "+14155550001")", kTypedMobile);  // Bob, from his own
  REQUIRE(m.start(kMobile, kTypedMobile).identity.recommendation == callmem::Recommendation::confirm);
  m.feedback("confirmed");
  // More than the TTL after the last correction, with no answer on it since:
  // the number is still one two people call from. Bob is asked, not greeted as Ann.
  m.clock->advance(15 * kDay);
  const auto quiet = m.start(kMobile, kTypedMobile);
  CHECK(quiet.customer_ref == ann.customer_ref);
  CHECK(quiet.identity.recommendation == callmem::Recommendation::confirm);
  REQUIRE(find(quiet, "hold") != nullptr);
  CHECK(find(quiet, "hold")->detail.find("another person") != std::string::npos);
  correct_to(bob.customer_ref);  // it was Bob: the hold starts again
  m.clock->advance(20 * kDay);
  REQUIRE(m.start(kMobile, kTypedMobile).identity.recommendation == callmem::Recommendation::confirm);
  m.feedback("confirmed");  // within the TTL: the hold stays
  m.clock->advance(11 * kDay);
  const auto later = m.start(kMobile, kTypedMobile);
  CHECK(later.customer_ref == bob.customer_ref);
  CHECK(later.identity.recommendation == callmem::Recommendation::confirm);
  // The hosts confirm him a TTL after the last correction: the number is his alone again.
  m.feedback("confirmed");
  m.clock->advance(kDay);
  const auto again = m.start(kMobile, kTypedMobile);
  CHECK(again.customer_ref == bob.customer_ref);
  CHECK(again.identity.recommendation == callmem::Recommendation::reuse);
}

TEST_CASE("shared mobile: a correction starts the hold again on a customer whose link was held before") {
  Memory m;
  const auto ann = m.start(kMobile + R"(, "external_ids": {"crm_id": "ANN"})", kTypedMobile);
  m.clock->advance(kDay);
  // Bob calls from Ann's phone with his own id: two customers on the number.
  const auto bob = m.start(kMobile + R"(, "external_ids": {"crm_id": "BOB"})", kTypedMobile);
  REQUIRE(bob.customer_ref != ann.customer_ref);
  m.clock->advance(kDay);
  const auto both = m.start(kMobile, kTypedMobile);
  REQUIRE(both.identity.recommendation == callmem::Recommendation::confirm);
  m.feedback("confirmed");  // one of the two, while the other is on it: shown shared
  m.clock->advance(25 * kDay);
  m.start(kMobile + R"(, "external_ids": {"crm_id": "BOB"})", kTypedMobile);  // keeps Bob's link alive
  m.start(kMobile + R"(, "external_ids": {"crm_id": "ANN"})", kTypedMobile);  // and Ann's
  const auto held = m.start(kMobile, kTypedMobile);
  REQUIRE(held.identity.recommendation == callmem::Recommendation::confirm);
  // The answer was the other one: the number is left to the caller's customer, whose link was held
  // since day 2; the hold runs from today's correction.
  const std::string caller = held.customer_ref == ann.customer_ref ? bob.customer_ref : ann.customer_ref;
  m.mem.identity_feedback_json(
      "acme", fmt::format(R"({{"call_id": "call{}", "outcome": "corrected", "customer_ref": "{}"}})", m.calls,
                          caller));
  m.clock->advance(14 * kDay);  // 39 days after the first time, 14 after the last
  const auto next = m.start(kMobile, kTypedMobile);
  REQUIRE(next.customer_ref == caller);
  REQUIRE(next.identity.recommendation == callmem::Recommendation::confirm);
  m.feedback("confirmed");  // within the TTL of the last correction: still held
  m.clock->advance(kDay);
  const auto after = m.start(kMobile, kTypedMobile);
  CHECK(after.customer_ref == caller);
  CHECK(after.identity.recommendation == callmem::Recommendation::confirm);
}

TEST_CASE("shared mobile: after a rejection, the caller's new customer is confirmed, not reused") {
  Memory m;
  const auto ann = m.start(kMobile, kTypedMobile);
  m.clock->advance(kDay);
  REQUIRE(m.start(kMobile, kTypedMobile).identity.recommendation == callmem::Recommendation::reuse);
  const FeedbackResponse r = m.feedback("rejected");  // someone callmem does not know
  REQUIRE(r.customer_created);
  m.clock->advance(kHour);
  const auto next = m.start(kMobile, kTypedMobile);
  CHECK(next.customer_ref == r.customer_ref);
  CHECK(next.identity.recommendation == callmem::Recommendation::confirm);
  CHECK(next.customer_ref != ann.customer_ref);
}

TEST_CASE("shared mobile: a customer made twice on a mobile, merged by a confirmation, is reused at once") {
  Memory m;
  // A first call without the number (an account number) makes one customer,
  // a call from the mobile alone another, a call from the mobile with the
  // account number links the mobile to the first: two customers on it.
  const auto first = m.start(R"("ani": "anonymous", "external_ids": {"account_number": "ACC-1"})");
  m.start(kMobile, kTypedMobile);
  m.start(kMobile + R"(, "external_ids": {"account_number": "ACC-1"})", kTypedMobile);
  m.clock->advance(kDay);
  const auto held = m.start(kMobile, kTypedMobile);
  REQUIRE(held.identity.recommendation == callmem::Recommendation::confirm);
  const FeedbackResponse r = m.feedback("confirmed");
  REQUIRE(r.merge);
  // Callmem's own records, not the hosts' word, put two customers on it: not shown shared.
  m.clock->advance(kDay);
  const auto next = m.start(kMobile, kTypedMobile);
  CHECK(next.customer_ref == r.customer_ref);
  CHECK(next.identity.recommendation == callmem::Recommendation::reuse);
  CHECK((r.customer_ref == first.customer_ref || r.merge->alias == first.customer_ref));
}

TEST_CASE(
    "shared mobile: made twice on a number not typed yet, merged once a call types it, reused at once") {
  Memory m;
  m.start(R"("ani": "anonymous", "external_ids": {"account_number": "ACC-1"})");
  m.start(kMobile);  // untyped: two customers on it forget what it taught
  m.start(kMobile + R"(, "external_ids": {"account_number": "ACC-1"})");
  m.clock->advance(kDay);
  REQUIRE(m.start(kMobile, kTypedMobile).identity.recommendation == callmem::Recommendation::confirm);
  const FeedbackResponse r = m.feedback("confirmed");
  REQUIRE(r.merge);
  m.clock->advance(kDay);
  const auto next = m.start(kMobile, kTypedMobile);
  CHECK(next.customer_ref == r.customer_ref);
  CHECK(next.identity.recommendation == callmem::Recommendation::reuse);
}

TEST_CASE("line type: decided by every call's carrier data; one contradicting report does not flip it") {
  using identity::decide_line;
  using identity::read_reports;
  using identity::write_reports;
  CHECK(write_reports(read_reports("mobile=3,landline=1")) == "landline=1,mobile=3");
  CHECK(read_reports("").empty());
  CHECK(read_reports("junk,=2,voip=x,mobile=2").at("mobile") == 2);
  CHECK(decide_line({{"mobile", 3}, {"landline", 1}}, "mobile", "landline") == "mobile");
  CHECK(decide_line({{"mobile", 1}, {"landline", 1}}, "mobile", "landline") == "mobile");  // a tie keeps it
  CHECK(decide_line({{"mobile", 1}, {"landline", 2}}, "mobile", "landline") == "landline");
  CHECK(decide_line({{"landline", 1}}, "mobile", "landline") == "mobile");  // what was known counts once
  CHECK(decide_line({{"voip", 1}}, "", "voip") == "voip");
  CHECK(decide_line({}, "", "") == "");

  Memory m;
  const std::string mobile = R"(, "telco": {"line_type": "mobile"})";
  const std::string landline = R"(, "telco": {"line_type": "landline"})";
  const auto first = m.start(kUntyped, mobile);
  m.start(kUntyped, mobile);
  const auto odd = m.start(kUntyped, landline);  // one report against two
  CHECK(odd.customer_ref == first.customer_ref);
  CHECK(odd.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(odd.identity.sources.at(0) == "ani:mobile");
  const auto later = m.start(kUntyped);  // no carrier data: still a mobile
  CHECK(later.identity.recommendation == callmem::Recommendation::reuse);
  m.start(kUntyped, landline);                   // two against two: still a mobile
  const auto now = m.start(kUntyped, landline);  // three against two: a landline
  CHECK(now.identity.sources.at(0) == "ani:landline");
  CHECK(now.identity.recommendation == callmem::Recommendation::confirm);
  const std::string view =
      m.mem.get_customer_json("acme", R"({"customer_ref": ")" + first.customer_ref + R"("})");
  CHECK(view.find(R"("line_type":"landline")") != std::string::npos);
}
