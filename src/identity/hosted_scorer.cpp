// The hosted scorer: the hosted product's documented additive weights, each
// candidate scored on its own (docs/identity.md).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "identity/scorer.hpp"
#include "identity/trust.hpp"
#include "time.hpp"

namespace callmem {
namespace {

constexpr double kAniMobile = 0.5;
constexpr double kAniLandline = 0.3;
constexpr double kAniVoip = 0.2;
constexpr double kAniUnknown = 0.0;
constexpr double kExternalId = 0.4;
constexpr double kCustomerRef = 0.6;
constexpr double kRecency = 0.05;  // seen within kRecentDays
constexpr int kRecentDays = 7;
constexpr double kIntentContinuity = 0.05;

double ani_weight(const std::string& line_type) {
  if (line_type == "mobile") return kAniMobile;
  if (line_type == "landline") return kAniLandline;
  if (line_type == "voip") return kAniVoip;
  return kAniUnknown;
}

class HostedScorer final : public Scorer {
 public:
  std::vector<Assessment> assess(const CallEvidence& call,
                                 const std::vector<CandidateFacts>& candidates) const override {
    std::vector<Assessment> out;
    out.reserve(candidates.size());
    for (const CandidateFacts& c : candidates) out.push_back(one(call, c));
    return out;
  }

 private:
  // Each candidate on its own: the weights add up, they do not compete.
  static Assessment one(const CallEvidence& call, const CandidateFacts& c) {
    Assessment a;
    double sum = 0;
    bool matched = false;
    if (c.ani_match) {
      matched = true;
      // The host's carrier data beats what an earlier call said of the number.
      std::string line = call.telco && call.telco->line_type ? std::string(to_string(*call.telco->line_type))
                                                             : c.ani_line_type;
      if (line.empty()) line = "unknown";
      const double w = ani_weight(line);
      sum += w;
      a.sources.push_back("ani:" + line);
      a.evidence.push_back(
          {"ani", w, fmt::format("{}, last seen {}", line, format_ago(call.at - c.ani_last_seen))});
    }
    if (!c.matched_keys.empty()) {
      matched = true;
      sum += kExternalId;
      a.sources.push_back("external_id");
      std::string keys;
      for (const auto& k : c.matched_keys) keys += (keys.empty() ? "" : ", ") + k;
      a.evidence.push_back({"external_id", kExternalId, "matches " + keys});
    }
    if (c.ref_match) {
      matched = true;
      sum += kCustomerRef;
      a.sources.push_back("customer_ref");
      a.evidence.push_back({"customer_ref", kCustomerRef, "the host named this customer_ref"});
    }
    if (matched && c.last_seen > 0) {
      const Millis since = elapsed(call.at, c.last_seen);
      const Millis days = days_begun(since);
      if (days <= kRecentDays) {
        sum += kRecency;
        a.sources.push_back(fmt::format("recency:{}day", days));
        a.evidence.push_back({"recency", kRecency, "last call " + format_ago(since)});
      }
    }
    if (matched && c.open_intent) {
      sum += kIntentContinuity;
      a.sources.push_back("intent_continuity");
      a.evidence.push_back({"intent_continuity", kIntentContinuity, "has an open intent"});
    }
    a.confidence = std::clamp(std::round(sum * 10000) / 10000, 0.0, 1.0);
    a.probability = a.confidence;
    return a;
  }
};

}  // namespace

std::unique_ptr<Scorer> make_hosted_scorer() { return std::make_unique<HostedScorer>(); }

}  // namespace callmem
