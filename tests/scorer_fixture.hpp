// A call and candidates for the scorer's tests: a fixed "now", a call from a
// number, and a candidate linked to that number; and an engine to call.
#ifndef CALLMEM_TESTS_SCORER_FIXTURE_HPP
#define CALLMEM_TESTS_SCORER_FIXTURE_HPP

#include <fmt/format.h>

#include <string>

#include "engine_on_file.hpp"
#include "identity/identifiers.hpp"
#include "identity/scorer.hpp"
#include "json/codec.hpp"
#include "time.hpp"

namespace callmem::scorer_fixture {

inline const Millis kNow = *parse_iso("2026-02-07T10:30:00.000Z");

struct Call {
  CallIdentifiers ids;
  Telco telco;
  bool ref_given = false;

  explicit Call(const char* ani = "+14155551234") {
    if (ani) {
      IdentityHints h;
      h.ani = ani;
      ids = identifiers_of(h, "US", nullptr);
    }
  }
  CallEvidence evidence() const { return CallEvidence{&ids, &telco, ref_given, kNow}; }
};

// A candidate whose link to the call's number was last seen `days_ago`.
inline CandidateFacts on_number(const std::string& ref, const std::string& line = "mobile",
                                Millis days_ago = 1) {
  CandidateFacts f;
  f.customer_ref = ref;
  f.ani_match = true;
  f.ani_line_type = line;
  f.ani_last_seen = kNow - days_ago * kDay;
  f.ani_customers = 1;
  f.last_seen = kNow - days_ago * kDay;
  return f;
}

// An engine on a file whose clock starts at kNow, and starts of calls
// numbered call1, call2, ... with the given identity hints (JSON members).
struct Calls : test::EngineOnFile {
  int calls = 0;

  StartResponse start(const std::string& hints, const std::string& extra = "") {
    const std::string id = fmt::format("call{}", ++calls);
    return json::read_start_response(mem.start_call_json(
        "acme", fmt::format(R"({{"call_id": "{}", "identity_hints": {{{}}}{}}})", id, hints, extra)));
  }
};

}  // namespace callmem::scorer_fixture

#endif
