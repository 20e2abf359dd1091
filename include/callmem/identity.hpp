// Who is calling: what the host knows of the caller (identity hints, the
// carrier's telco data) and what callmem makes of it (confidence, level,
// recommendation, evidence, candidates; docs/identity.md).
#ifndef CALLMEM_PUBLIC_IDENTITY_HPP
#define CALLMEM_PUBLIC_IDENTITY_HPP

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "callmem/enums.hpp"

namespace callmem {

// What the carrier told the host of the call; each is optional.
struct Telco {
  std::optional<LineType> line_type;
  std::optional<Attestation> attestation;  // STIR/SHAKEN
  std::optional<Verstat> verstat;
};

struct IdentityHints {
  std::optional<std::string> ani;
  std::optional<std::string> dnis;
  std::map<std::string, std::string> external_ids;
  std::optional<std::string> customer_ref;
  bool empty() const { return !ani && external_ids.empty() && !customer_ref; }
};

struct Evidence {
  std::string signal;
  double weight = 0;
  std::string detail;
};

struct Candidate {
  std::string customer_ref;
  double confidence = 0;
};

struct Identity {
  double confidence = 0;
  ConfidenceLevel level = ConfidenceLevel::low;
  std::vector<std::string> sources;
  Recommendation recommendation = Recommendation::ignore;
  std::vector<Evidence> evidence;
  std::vector<Candidate> candidates;
};

}  // namespace callmem

#endif
