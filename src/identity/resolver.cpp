// Who a call is (identity/resolver.hpp): candidates, their scores, the decision and its links.
#include "identity/resolver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "calls/call_ids.hpp"
#include "customers.hpp"
#include "feedback/learned.hpp"
#include "identity/number_learning.hpp"
#include "identity/phone.hpp"
#include "identity/trust.hpp"
#include "store/store.hpp"
#include "tenant.hpp"
#include "uuid.hpp"

namespace callmem::identity {
namespace {

const Scorer& scorer_for(const Context& c, const TenantSettings& s) {
  return s.identity_profile == "hosted" ? c.hosted : c.probabilistic;
}

}  // namespace

ConfidenceLevel level_of(double confidence, const TenantSettings& s) {
  if (confidence >= s.level_very_high) return ConfidenceLevel::very_high;
  if (confidence >= s.level_high) return ConfidenceLevel::high;
  if (confidence >= s.level_medium) return ConfidenceLevel::medium;
  return ConfidenceLevel::low;
}

Recommendation recommendation_of(double confidence, const TenantSettings& s) {
  if (confidence >= s.reuse) return Recommendation::reuse;
  if (confidence >= s.confirm) return Recommendation::confirm;
  return Recommendation::ignore;
}

std::vector<Scored> candidates(const Context& c, const CallIdentifiers& ids, const IdentityHints& hints,
                               const Telco& telco, const TenantSettings& s, Millis at,
                               std::optional<Millis> horizon) {
  const Millis live_after = horizon.value_or(at);
  std::map<std::string, CandidateFacts> by_ref;
  if (!ids.ids.empty()) {
    for (const LinkRow& link : c.tx.links_find(ids.ids, live_after)) {
      CandidateFacts& f = by_ref[link.customer_ref];
      f.customer_ref = link.customer_ref;
      if (link.id.type == "ani") {
        f.ani_match = true;
        f.ani_line_type = link.line_type;
        f.ani_line_reports = link.line_reports;
        f.ani_confirmed_days = link.confirmed_days;
        f.ani_confirmed_on = link.confirmed_on;
        f.ani_last_seen = link.last_seen;
      } else {
        f.matched_keys.push_back(link.id.key);
      }
    }
  }
  if (hints.customer_ref) {
    if (auto named = customers::live_ref(c, *hints.customer_ref, live_after)) {
      CandidateFacts& f = by_ref[*named];
      f.customer_ref = *named;
      f.ref_match = true;
    }
  }
  std::map<std::string, std::string> call_keys;  // the call's identity external ids
  for (const Identifier& id : ids.ids)
    if (id.type == "external_id") call_keys[id.key] = id.value;
  const bool has_number = ids.ani.kind == ParsedPhone::Kind::number;

  std::vector<CandidateFacts> facts;
  std::vector<std::vector<IntentRow>> open_intents;  // each fact's candidate's
  facts.reserve(by_ref.size());
  for (auto& [ref, f] : by_ref) {
    auto customer = c.tx.customer_get(ref, live_after);
    // Links outlived their customer: never resurrect it. A backfilled call
    // (`at` in the past) cannot be a customer created after it.
    if (!customer || customer->created_at > at) continue;
    f.last_seen = customer->last_seen;
    std::vector<IntentRow> open = c.tx.intents_of(ref, live_after, true);
    f.open_intent = !open.empty();
    // Disagreement is evidence too: what is on file for what the call gave
    // and this candidate did not match.
    const bool ani_unmatched = has_number && !f.ani_match;
    if (ani_unmatched || f.matched_keys.size() < call_keys.size()) {
      for (const LinkRow& l : c.tx.links_of(ref, live_after)) {
        if (l.id.type == "ani") {
          f.other_ani = f.other_ani || ani_unmatched;
        } else if (call_keys.count(l.id.key) &&
                   std::find(f.matched_keys.begin(), f.matched_keys.end(), l.id.key) ==
                       f.matched_keys.end() &&
                   std::find(f.mismatched_keys.begin(), f.mismatched_keys.end(), l.id.key) ==
                       f.mismatched_keys.end()) {
          f.mismatched_keys.push_back(l.id.key);
        }
      }
    }
    facts.push_back(std::move(f));
    open_intents.push_back(std::move(open));
  }
  // What is known of the number from all its customers' links: how many
  // share it, its line type where some call's carrier data told it, and
  // what every call's carrier data said, this one's too: the type reported
  // most wins, and a single contradicting report does not flip it.
  int on_number = 0;
  std::string number_line;
  LineReports reports;
  for (const CandidateFacts& f : facts) {
    if (!f.ani_match) continue;
    ++on_number;
    for (const auto& [type, n] : read_reports(f.ani_line_reports)) reports[type] += n;
    if (number_line.empty() && !f.ani_line_type.empty() && f.ani_line_type != "unknown" &&
        f.ani_line_type != "fixed_line_or_mobile")
      number_line = f.ani_line_type;
  }
  const std::string given(reports_type(line_text(telco)) ? line_text(telco) : "");
  if (!given.empty()) ++reports[given];
  const std::string decided = on_number > 0 ? decide_line(reports, number_line, given) : "";
  // Whether the hosts showed another person on the number, and the hold
  // has not ended (on a personal number: identity/number_learning.hpp).
  bool shown = false;
  for (const CandidateFacts& f : facts)
    shown = shown || (f.ani_match && shown_shared(f.ani_confirmed_days, f.ani_confirmed_on));
  for (CandidateFacts& f : facts) {
    if (!f.ani_match) continue;
    f.ani_customers = on_number;
    f.ani_shown_shared = shown;
    if (!number_line.empty()) f.ani_line_type = number_line;
    f.number_line = decided;
  }

  CallEvidence call{&ids, &telco, hints.customer_ref.has_value(), at};
  call.weights = &s.identity_weights;
  // Feedback re-estimates a number's evidence: looked up when a number matched.
  std::shared_ptr<const LearnedFeedback> counts;
  if (s.identity_profile == "probabilistic" && on_number > 0) {
    counts = c.learned.get(c.tx, c.now());
    call.learned = counts.get();
  }
  std::vector<Assessment> assessed = scorer_for(c, s).assess(call, facts);
  std::vector<Scored> out;
  out.reserve(facts.size());
  for (std::size_t i = 0; i < facts.size(); ++i)
    out.push_back({std::move(facts[i]), std::move(assessed[i]), std::move(open_intents[i])});
  // Best first; among equals the most recently seen, then the oldest ref.
  std::sort(out.begin(), out.end(), [](const Scored& a, const Scored& b) {
    if (a.assessment.probability != b.assessment.probability)
      return a.assessment.probability > b.assessment.probability;
    if (a.facts.last_seen != b.facts.last_seen) return a.facts.last_seen > b.facts.last_seen;
    return a.facts.customer_ref < b.facts.customer_ref;
  });
  return out;
}

Resolution resolve(const Context& c, const IdentityHints& hints, const CallIdentifiers& ids,
                   const Telco& telco, const TenantSettings& s, Millis at) {
  Resolution r;
  const Millis expires = at + tenants::ttl_of(s);
  std::vector<Scored> scored = candidates(c, ids, hints, telco, s, at);
  CandidateFacts matched;  // what of the call's identifiers the chosen customer already had
  std::string hold;        // why the best candidate's evidence alone must not be reused
  double known_mass = 0;
  for (const Scored& one : scored) known_mass += one.assessment.probability;
  // Probabilities include "someone not yet known": when that is likelier
  // than the best candidate, the caller is a new customer.
  const double p_new = std::max(0.0, 1 - known_mass);
  const bool newcomer = scored.empty() || (s.identity_profile == "probabilistic" &&
                                           p_new > scored.front().assessment.probability);
  if (newcomer) {
    r.customer_ref = uuid_v4();
    r.created = true;
    c.tx.customer_insert(CustomerRow{r.customer_ref, at, at, expires});
    r.identity.confidence = 0;
    for (const Scored& one : scored)
      r.identity.candidates.push_back({one.facts.customer_ref, one.assessment.confidence});
    if (!scored.empty())
      r.identity.evidence.push_back(
          {"new_customer", 0,
           fmt::format("someone not yet known ({:.2f}) is likelier than the best candidate ({:.2f})", p_new,
                       scored.front().assessment.probability)});
  } else {
    const Scored& best = scored.front();
    matched = best.facts;
    hold = best.assessment.hold;
    r.customer_ref = best.facts.customer_ref;
    r.identity.confidence = best.assessment.confidence;
    r.identity.sources = best.assessment.sources;
    r.identity.evidence = best.assessment.evidence;
    r.open_intents = best.open_intents;
    for (std::size_t i = 1; i < scored.size(); ++i)
      r.identity.candidates.push_back({scored[i].facts.customer_ref, scored[i].assessment.confidence});
  }
  r.identity.level = level_of(r.identity.confidence, s);
  r.identity.recommendation = recommendation_of(r.identity.confidence, s);
  if (r.identity.recommendation == Recommendation::reuse && !hold.empty()) {
    r.identity.recommendation = Recommendation::confirm;
    r.identity.evidence.push_back({"hold", 0, hold});
  }
  // Several customers on one number and nothing to tell them apart: it is
  // probably one of them, so the host is asked to confirm which.
  if (s.identity_profile == "probabilistic" && !r.created &&
      r.identity.recommendation == Recommendation::ignore && scored.size() > 1 && known_mass >= s.reuse)
    r.identity.recommendation = Recommendation::confirm;
  if (ids.ani_given && ids.ani.kind != ParsedPhone::Kind::number)
    r.identity.evidence.push_back({"ani", 0, ids.ani.reason + ": not used as an identifier"});

  const bool link_all = r.created || r.identity.recommendation == Recommendation::reuse;
  // The number's type as decided from every call's reports, and whether it
  // is (or becomes) someone else's too: then what the hosts confirmed on it
  // is forgotten (identity/number_learning.hpp).
  std::string number_line;
  bool others_on_number = false, confirmed_on_number = false;
  for (const Scored& one : scored) {
    if (!one.facts.ani_match) continue;
    if (number_line.empty()) number_line = one.facts.number_line;
    others_on_number = others_on_number || one.facts.customer_ref != r.customer_ref;
    confirmed_on_number =
        confirmed_on_number || one.facts.ani_confirmed_days > 0 || one.facts.ani_confirmed_on == 0;
  }
  for (const Identifier& id : calls::linkable(ids, telco)) {
    const bool on_file = id.type == "ani"
                             ? matched.ani_match
                             : std::find(matched.matched_keys.begin(), matched.matched_keys.end(), id.key) !=
                                   matched.matched_keys.end();
    if (!link_all && !on_file) continue;
    LinkRow row{id, r.customer_ref, "", at, at, expires, "", 0, 0};
    if (id.type == "ani") {
      const std::string given(reports_type(line_text(telco)) ? line_text(telco) : "");
      LineReports mine = on_file ? read_reports(matched.ani_line_reports) : LineReports{};
      if (!given.empty()) ++mine[given];
      row.line_reports = write_reports(mine);
      row.line_type = !number_line.empty()
                          ? number_line
                          : calls::link_line(std::string(line_text(telco)), on_file, id.value);
      // Two customers on a personal number may be one person made twice (a
      // confirmation merges them): only the hosts' word marks it shared.
      if (others_on_number && !is_personal_type(row.line_type)) {
        if (confirmed_on_number) forget_confirmations(c, id, at);
        row.confirmed_on = confirmation_day(at);  // shared: nothing to count from
      }
    }
    c.tx.link_upsert(row);
  }
  if (!r.created) c.tx.customer_touch(r.customer_ref, at, expires);
  return r;
}

}  // namespace callmem::identity
