// The probabilistic scorer (Fellegi-Sunter). For each candidate customer c,
// every signal of the call adds a weight in bits:
//   agreement     log2(m / u)
//   disagreement  log2((1 - m) / (1 - u))
// where m = P(signal | the caller is c) and u = P(signal | the caller is
// someone else). The likelihood ratio of c is LR_c = 2^(sum of its weights),
// and the candidates share the probability with "someone not yet known"
// (prior weight 1, as much as one known customer):
//   P(c) = LR_c / (1 + sum over all candidates of LR_j)
// so that a number shared by several customers gives each a share, and a
// strong agreement on one candidate takes the mass from the others.
// docs/identity.md lists the parameters and why.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "identity/phone.hpp"
#include "identity/scorer.hpp"
#include "identity/trust.hpp"
#include "time.hpp"

namespace callmem {
namespace {

// The parameters m and u of each signal, and the likelihood ratios of
// recency and an open intent, are the tenant's (IdentityWeights, whose
// defaults docs/identity.md explains): P(the caller calls from a number
// linked to them | it is them) is below 1, as people also call from work, a
// second phone, a relative's; P(a call from this number | the caller is
// someone else) goes by line type: a personal mobile is rarely used by
// another person, a household landline often, a business or gateway number
// (toll free, premium, shared cost, corporate) by anyone, and a number of
// unknown type is most often a mobile in North America.
//
// The most u becomes (a number that is no evidence at all).
constexpr double kAniUMax = 0.95;
// What several customers on one number can make of u at most: a household or
// an office has only so many people not known yet.
constexpr double kAniUShared = 0.8;
// Trust in the presented number (STIR/SHAKEN), as a factor on u: a gateway's
// C attestation makes spoofing likely; a failed validation makes the number
// no evidence at all (u = kAniUMax).
constexpr double kTrustVerified = 0.5;  // attestation A, or TN-Validation-Passed
constexpr double kTrustGateway = 20;    // attestation C
// Recycling: carriers reassign a disconnected number after kNumberAgingDays
// (identity/trust.hpp) or more; past this many days unseen, u grows by this
// much per further 30 days.
constexpr Millis kRecycleAfterDays = 30;
constexpr double kRecyclePer30Days = 1.0;

// Feedback re-estimates the number's evidence per line type: how often the
// tenant's answers on it were right, against how likely the scorer said they
// were. The defaults are the prior, worth this many answers, and the
// correction is never more than kFeedbackMaxBits either way. The counts are
// of the answers the host was asked about (feedback/feedback.cpp keeps a
// reused answer's apart: it is reported when wrong, seldom when right).
constexpr double kFeedbackPrior = 20;
constexpr double kFeedbackMaxBits = 3;

// A number of unknown type (North America's fixed-or-mobile, until carrier
// data types it) that the hosts confirmed as the candidate's on this many
// distinct days, never rejected or corrected since, with no one else linked
// to it (identity/number_learning.hpp), is evidence that it is the
// candidate's own line: m = P(such a history | the caller is the candidate),
// u = P(such a history | the caller is someone else, a household member on
// a line one of them confirmed). Each tenant's outcomes on such numbers
// re-estimate it (signal ani:confirmed, as ani:<type> above). Where it makes
// the number as personal as a mobile (its weight at least log2 of the
// tenant's u.unknown / u.mobile), the number alone is no longer held; it
// never counts for more than that.
constexpr std::int64_t kConfirmedDays = 2;
constexpr double kConfirmedM = 0.95;
constexpr double kConfirmedU = 0.1;

// The weight in bits that a tenant's outcomes add to the evidence they were on.
double learned_bits(const FeedbackCounts& n) {
  const double answers = static_cast<double>(n.confirmed + n.rejected);
  if (answers <= 0) return 0;
  const double predicted = std::clamp(n.predicted / answers, 0.01, 0.99);
  const double observed =
      (static_cast<double>(n.confirmed) + kFeedbackPrior * predicted) / (answers + kFeedbackPrior);
  const double w = std::log2(observed / (1 - observed)) - std::log2(predicted / (1 - predicted));
  return std::clamp(w, -kFeedbackMaxBits, kFeedbackMaxBits);
}

double bits(double m, double u) { return std::log2(m / u); }
double against(double m, double u) { return std::log2((1 - m) / (1 - u)); }

double u_of_line(const IdentityWeights& w, const std::string& line) {
  if (line == "mobile") return w.ani_u_mobile;
  if (line == "landline") return w.ani_u_landline;
  if (line == "voip") return w.ani_u_voip;
  if (is_business_type(line)) return w.ani_u_business;
  return w.ani_u_unknown;
}

const IdentityWeights kDefaultWeights{};

class ProbabilisticScorer final : public Scorer {
 public:
  std::vector<Assessment> assess(const CallEvidence& call,
                                 const std::vector<CandidateFacts>& candidates) const override {
    std::vector<Assessment> out(candidates.size());
    std::vector<double> weight(candidates.size());
    std::vector<char> ani_only(candidates.size());  // not vector<bool>: its elements are bound by reference
    std::vector<char> learned(candidates.size());   // the hosts' confirmations made the number personal
    std::vector<char> shown(candidates.size());     // the hosts showed another person on a personal number
    std::string number_line;                        // the number's own type, looked up once, when needed
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      weight[i] = signals(call, candidates[i], out[i], number_line, ani_only[i], learned[i], shown[i]);
    }
    // P(c) = LR_c / (1 + sum LR_j). Weights stay within a few hundred bits,
    // far from a double's range.
    double total = 1;
    for (double w : weight) total += std::exp2(w);
    const bool distrust = call.telco && spoofable(*call.telco);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const double lr = std::exp2(weight[i]);
      const double p = lr / total;
      out[i].probability = p;
      // What the others and "someone not yet known" take away.
      const double others = total - lr;
      if (candidates.size() > 1)
        out[i].evidence.push_back({"alternatives", -std::log2(others),
                                   fmt::format("{} other candidate{} and someone not yet known",
                                               candidates.size() - 1, candidates.size() == 2 ? "" : "s")});
      // A number alone never identifies anyone when it may be spoofed, or
      // shared by people not known yet (a household, an office, a gateway).
      if (ani_only[i] && distrust)
        out[i].hold = "failed validation or C attestation: confirm identity before using the context";
      else if (ani_only[i] && !is_personal_type(out[i].line) && !learned[i])
        out[i].hold = out[i].line + " numbers are often shared: confirm identity before using the context";
      else if (ani_only[i] && candidates[i].ani_customers > 1)
        out[i].hold = "the number is shared by several customers: confirm identity before using the context";
      else if (ani_only[i] && shown[i])
        out[i].hold =
            "another person called from this number (an answer on it was rejected or corrected): confirm "
            "identity before using the context";
      out[i].confidence = std::round(p * 10000) / 10000;
    }
    return out;
  }

 private:
  // The evidence of a number the hosts confirmed as the candidate's on
  // `days` distinct days: its weight; `learned` when it is enough to reuse.
  static double confirmed_number(const CallEvidence& call, const IdentityWeights& wt, std::int64_t days,
                                 Assessment& a, char& learned) {
    if (days < kConfirmedDays) {
      a.evidence.push_back(
          {"confirmed_number", 0,
           fmt::format("the hosts confirmed this number as this customer's on {} day; from {} "
                       "distinct days it counts",
                       days, kConfirmedDays)});
      return 0;
    }
    double w = bits(kConfirmedM, kConfirmedU);
    std::string outcomes;
    if (call.learned) {
      auto it = call.learned->find("ani:confirmed");
      if (it != call.learned->end()) {
        const double lw = learned_bits(it->second);
        w += lw;
        if (std::abs(lw) > 1e-9)
          outcomes = fmt::format(
              "; this tenant's hosts confirmed {} and rejected {} answers on such numbers "
              "({:+.1f} bits)",
              it->second.confirmed, it->second.rejected, lw);
      }
    }
    // Never more than a mobile's evidence: a household member who gives
    // another id than the one on file is a newcomer, as on a mobile.
    const double as_mobile = bits(wt.ani_u_unknown, wt.ani_u_mobile);
    learned = w >= as_mobile;
    w = std::min(w, as_mobile);
    a.evidence.push_back(
        {"confirmed_number", w,
         fmt::format("the hosts confirmed this number as this customer's on {} distinct days, never rejected "
                     "since, no one else on it{}: {}",
                     days, outcomes, learned ? "as personal as a mobile" : "not enough to reuse on")});
    return w;
  }

  // The candidate's summed weight in bits; fills sources and evidence.
  static double signals(const CallEvidence& call, const CandidateFacts& c, Assessment& a,
                        std::string& number_line, char& ani_only, char& learned, char& shared_personal) {
    double sum = 0;
    bool positive_other_than_ani = false;
    bool identified = false;  // some identifier agrees and counts for the candidate
    const IdentityWeights& wt = call.weights ? *call.weights : kDefaultWeights;
    const CallIdentifiers& ids = *call.identifiers;
    const Telco& telco = *call.telco;
    const bool has_number = ids.ani.kind == ParsedPhone::Kind::number;
    if (has_number && c.ani_match) {
      const bool reported = telco.line_type && *telco.line_type != LineType::unknown;
      std::string line = !c.number_line.empty() ? c.number_line
                         : reported             ? std::string(to_string(*telco.line_type))
                                                : c.ani_line_type;
      if (line.empty()) {
        if (number_line.empty()) number_line = number_type(ids.ani.e164);
        line = number_line;
      }
      double u = u_of_line(wt, line);
      const int k = std::max(1, c.ani_customers);
      // Each customer on the number is one more who may call from it; on a
      // personal number, so is another person the hosts showed on it.
      const bool shown = c.ani_shown_shared && is_personal_type(line);
      const int people = shown ? std::max(k, 2) : k;
      u = std::max(u, std::min(1 - std::pow(1 - u, people), kAniUShared));
      std::string trust;
      if (telco.verstat == Verstat::tn_validation_failed) {
        u = kAniUMax;
        trust = ", validation failed";
      } else if (telco.attestation == Attestation::C) {
        u *= kTrustGateway;
        trust = ", attestation C";
      } else if (telco.attestation == Attestation::A || telco.verstat == Verstat::tn_validation_passed) {
        u *= kTrustVerified;
        trust = telco.attestation == Attestation::A ? ", attestation A" : ", validation passed";
      }
      const Millis unseen_days = elapsed(call.at, c.ani_last_seen) / kDay;
      if (unseen_days > kRecycleAfterDays)
        u *= 1 + kRecyclePer30Days * static_cast<double>(unseen_days - kRecycleAfterDays) / 30;
      u = std::min(u, kAniUMax);
      const double w = bits(wt.ani_m, u);
      sum += w;
      a.line = line;
      const std::string token = line == "mobile" || line == "landline" || line == "voip" ? line : "unknown";
      a.sources.push_back("ani:" + token);
      if (call.learned) {
        auto it = call.learned->find("ani:" + token);
        if (it != call.learned->end()) {
          const FeedbackCounts& n = it->second;
          const double lw = learned_bits(n);
          if (std::abs(lw) > 1e-9) {
            sum += lw;
            a.evidence.push_back({"feedback", lw,
                                  fmt::format("this tenant's hosts confirmed {} and rejected {} answers on "
                                              "ani:{}, against {:.1f} expected right",
                                              n.confirmed, n.rejected, token, n.predicted)});
          }
        }
      }
      a.evidence.push_back(
          {"ani", w,
           fmt::format(
               "{}, last seen {}{}{}{}", line, format_ago(call.at - c.ani_last_seen),
               k > 1 ? fmt::format(", shared by {} customers", k) : std::string(),
               shown ? ", another person called from it (an answer on it was rejected or corrected)" : "",
               trust)});
      if (token == "unknown" && !is_personal_type(line) && !is_business_type(line) && k == 1 &&
          c.ani_confirmed_days > 0 && !spoofable(telco) && unseen_days <= kRecycleAfterDays)
        sum += confirmed_number(call, wt, c.ani_confirmed_days, a, learned);
      // Recency and an open intent say "this customer calls"; they count
      // only where the number points to one person.
      identified = w > 0 && (is_personal_type(line) || learned) && people == 1;
      shared_personal = shown;
    } else if (has_number && c.other_ani) {
      const double w = against(wt.ani_m, wt.ani_u_unknown);
      sum += w;
      a.evidence.push_back({"ani", w, "calls from another number than those on file"});
    }
    for (const std::string& key : c.matched_keys) {
      const double w = bits(wt.external_id_m, wt.external_id_u);
      sum += w;
      positive_other_than_ani = true;
      a.evidence.push_back({"external_id", w, key + " matches"});
    }
    if (!c.matched_keys.empty()) {
      a.sources.push_back("external_id");
      identified = true;
    }
    for (const std::string& key : c.mismatched_keys) {
      const double w = against(wt.external_id_m, wt.external_id_u);
      sum += w;
      a.evidence.push_back({"external_id", w, key + " differs from the one on file"});
    }
    if (c.ref_match) {
      const double w = bits(wt.customer_ref_m, wt.customer_ref_u);
      sum += w;
      positive_other_than_ani = true;
      identified = true;
      a.sources.push_back("customer_ref");
      a.evidence.push_back({"customer_ref", w, "the host named this customer_ref"});
    } else if (call.ref_given) {
      const double w = against(wt.customer_ref_m, wt.customer_ref_u);
      sum += w;
      a.evidence.push_back({"customer_ref", w, "the host named another customer_ref"});
    }
    if (identified && c.last_seen > 0) {
      const Millis since = elapsed(call.at, c.last_seen);
      const Millis days = days_begun(since);
      const double lr = days <= 1   ? wt.recency_within_day
                        : days <= 7 ? wt.recency_within_week
                        : days > 30 ? wt.recency_over_30_days
                                    : 1.0;
      if (lr != 1.0) {
        const double w = std::log2(lr);
        sum += w;
        if (lr > 1) a.sources.push_back(fmt::format("recency:{}day", days));
        a.evidence.push_back({"recency", w, "last call " + format_ago(since)});
      }
    }
    if (identified && c.open_intent) {
      const double w = std::log2(wt.open_intent);
      sum += w;
      a.sources.push_back("intent_continuity");
      a.evidence.push_back({"intent_continuity", w, "has an open intent"});
    }
    ani_only = c.ani_match && !positive_other_than_ani;
    return sum;
  }
};

}  // namespace

std::unique_ptr<Scorer> make_probabilistic_scorer() { return std::make_unique<ProbabilisticScorer>(); }

}  // namespace callmem
