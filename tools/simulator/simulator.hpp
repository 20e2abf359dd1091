// The identity-accuracy simulator: a seeded generator of a contact center's
// calls over weeks, drivers that replay them through systems under test
// (callmem through its public JSON API, and an exact-ANI "first created wins"
// baseline), and the metrics that score every start against the truth.
// See bench/README.md, section "callmem_accuracy".
#ifndef CALLMEM_TOOLS_SIMULATOR_HPP
#define CALLMEM_TOOLS_SIMULATOR_HPP

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "clock.hpp"

namespace callmem {
class Engine;
}

namespace callmem::sim {

// ---------------------------------------------------------------------------
// Configuration

// What kind of contact center: how much carrier data its hosts send, and how
// much its callers share lines. Configurations name presets of it.
struct Mix {
  double line_type_given = 0.70;  // share of calls with telco.line_type (the carrier's truth)
  double stir_given = 0.40;       // share of +1 calls with STIR/SHAKEN data
  double household_share = 0.30;  // share of people in a household that shares a landline
  double family_mobile = 0;       // share of households whose members also call from one member's mobile
};

struct Config {
  std::string name = "default";  // the configuration (configuration() below)
  Mix mix;
  std::uint64_t seed = 42;
  int people = 5000;  // people alive at the start; churn replaces leavers
  int weeks = 8;      // weeks scored
  // Weeks simulated before the scored ones: the systems start with a memory
  // (a contact center in steady state), and numbers of early leavers are
  // recycled within the scored weeks. Their starts are driven, not scored.
  int warmup_weeks = 4;
  int ttl_days = 30;     // the tenants' TTL, and the window of "recognisable"
  std::string dir;       // where the SQLite file goes; empty: a new temp dir, removed after
  bool keep_db = false;  // keep the temp dir
  bool verbose = false;  // progress on stderr
  bool hosted = true;    // also run callmem's hosted profile (half the run's time)
};

// The named configurations (bench/README.md, "Configurations"): "default";
// "carrier-poor" (line type on 30 % of calls, STIR/SHAKEN on 10 %: hosts
// without a carrier lookup); "household-heavy" (60 % of people on a family
// landline, and in a quarter of the households the others call from one
// member's mobile too). Throws std::invalid_argument on another name.
Config configuration(const std::string& name);
inline constexpr const char* kConfigurations[] = {"default", "carrier-poor", "household-heavy"};

// ---------------------------------------------------------------------------
// The generated world

enum class LineKind { mobile, household_landline, office_pbx };

struct Number {
  std::string e164;  // "+14155551234"
  LineKind kind = LineKind::mobile;
  std::string line_type;  // the carrier's truth: mobile | landline | voip
  bool international = false;
  std::vector<int> owners;  // people it was assigned to, in order (recycling appends)
};

struct Person {
  int id = 0;
  Millis joined = 0;
  Millis left = 0;             // 0: still here at the end
  std::vector<int> numbers;    // personal numbers (mobiles), first is the main one
  int household = -1;          // index of the household landline number, or -1
  int office = -1;             // index of the office PBX number, or -1
  int family_mobile = -1;      // another household member's mobile this person also calls from, or -1
  std::string crm_id;          // empty: not in the CRM
  std::string account_number;  // empty: none
  std::string email;           // empty: none
  std::string name;
};

enum class CallKind { own, withheld, spoofed };

struct Call {
  int index = 0;
  std::string call_id;
  int person = 0;  // the truth: who is calling
  Millis start = 0;
  Millis end = 0;
  CallKind kind = CallKind::own;
  int number = -1;  // the number presented (own, or the spoofed victim's); -1 withheld
  std::string ani;  // as presented, in one of the formats
  // start's external_ids: identity keys the caller gave and per-interaction ids
  std::map<std::string, std::string> external_ids;
  std::string line_type, attestation, verstat;  // telco, "" when not given
  // end
  std::string intent, intent_status;
  std::map<std::string, std::string> variables;         // string values
  std::map<std::string, std::string> end_external_ids;  // identity keys the host learned
  // truth, system-independent: an identifier presented now was used by this
  // person on an earlier call within ttl_days (see "recognisable" in README)
  bool identifier_seen = false;
  // truth: the only such identifier is a number that another person also
  // called from within ttl_days before this call (a household or office
  // line): no identity key given at start was used by this person within
  // ttl_days. The issue's rule "with several customers on one number and
  // nothing else to tell them apart, the answer is confirm" applies.
  bool shared_number_only = false;
  bool recycled_number = false;  // the presented number had an earlier owner
  bool borrowed = false;         // the caller's own call from another person's mobile (a family mobile)
  bool scored = true;            // in the scored weeks (not the warm-up)
};

struct World {
  Config config;
  Millis t0 = 0;           // the start of the warm-up
  Millis scored_from = 0;  // t0 + warmup_weeks: starts from here on are scored
  std::vector<Person> people;
  std::vector<Number> numbers;
  std::vector<Call> calls;  // by start time
};

World generate(const Config& config);

// The JSON bodies a host sends for a call.
std::string start_json(const Call& c);
std::string end_json(const Call& c);

// The digits-only key of the exact-ANI baseline: URI scheme, SIP host and
// parameters dropped, "011"/"00" prefixes dropped, the last 10 digits of a
// +1 number; "" when no digits (withheld words). Placeholder numbers are
// digits like any other: the baseline does not know them.
std::string baseline_key(const std::string& ani);

// ---------------------------------------------------------------------------
// What a system answered, scored

enum class Rec { reuse, confirm, ignore };
const char* to_string(Rec r);
Rec rec_of(const std::string& recommendation);

// Why a start may be hard, for the breakdown.
enum class Cause { own_mobile, shared_line, recycled, withheld, spoofed };
inline constexpr int kCauses = 5;
const char* to_string(Cause c);

struct StartRecord {
  int call = 0;
  int person = 0;   // the truth
  std::string ref;  // answered
  int owner = -1;   // owner of the ref before this start; -1: the ref is new (owned by person now)
  double confidence = 0;
  Rec rec = Rec::ignore;
  bool recognisable = false;
  bool shared_number_only =
      false;  // recognisable only by a number others called from (Call::shared_number_only)
  Cause cause = Cause::own_mobile;
  // What the host learned on `confirm` (it asked the caller): 1 right person, 0 not, -1 not asked.
  int confirmed = -1;
  // A merge the host's feedback made: 1 of two refs of the same person, 0 of
  // two people's (a wrong merge), -1 none.
  int merged = -1;
  // The answer counted a number the hosts had confirmed as the customer's on
  // distinct days (evidence confirmed_number with a weight).
  bool learned = false;
};

inline constexpr int kBins = 10;

struct Bin {
  std::int64_t count = 0;
  double sum_confidence = 0;
  std::int64_t correct = 0;
  double mean_confidence() const { return count ? sum_confidence / double(count) : 0; }
  double accuracy() const { return count ? double(correct) / double(count) : 0; }
};

struct Metrics {
  std::int64_t calls = 0;
  std::int64_t reuse = 0, confirm = 0, ignore = 0;
  std::int64_t new_refs = 0;        // starts answering a brand-new ref
  std::int64_t existing = 0;        // starts answering an existing customer's ref
  std::int64_t wrong_reuse = 0;     // reuse with a ref owned by another person
  std::int64_t wrong_existing = 0;  // any existing ref owned by another person
  std::int64_t recognisable = 0;
  std::int64_t recognised = 0;  // recognisable and reuse with the caller's own ref
  // The same without the recognisable starts whose only identifier is a
  // number others called from too (StartRecord::shared_number_only): the
  // issue requires those to be answered confirm, so they cannot be recognised.
  std::int64_t recognisable_apart = 0;
  std::int64_t recognised_apart = 0;
  std::int64_t merges = 0;        // merges made by feedback (StartRecord::merged)
  std::int64_t wrong_merges = 0;  // of them, two people's refs
  // reuse answers that counted a number the hosts confirmed (StartRecord::learned),
  // of them another person's, and of those on a shared line (a household's,
  // an office's, a family mobile: its other members)
  std::int64_t learned_reuse = 0, learned_wrong_reuse = 0, learned_wrong_shared = 0;
  std::int64_t people_split = 0;  // people owning more than one ref
  std::int64_t people_seen = 0;   // people owning at least one ref
  std::array<std::int64_t, kCauses> calls_by_cause{};
  std::array<std::int64_t, kCauses> wrong_reuse_by_cause{};
  std::array<std::int64_t, kCauses> recognisable_by_cause{};
  std::array<std::int64_t, kCauses> recognised_by_cause{};
  std::array<Bin, kBins> bins{};
  double ece = 0;

  double wrong_reuse_rate() const { return calls ? double(wrong_reuse) / double(calls) : 0; }
  double recall() const { return recognisable ? double(recognised) / double(recognisable) : 0; }
  double recall_apart() const {
    return recognisable_apart ? double(recognised_apart) / double(recognisable_apart) : 0;
  }
  double confirm_share() const { return calls ? double(confirm) / double(calls) : 0; }
};

// Bin of a confidence: 10 equal-width bins, 1.0 in the last.
int bin_of(double confidence);
// Scores records. ECE is over the starts that answered an existing customer's
// ref (owner >= 0); the outcome is "the ref's owner is the caller".
Metrics score(const std::vector<StartRecord>& records);

// ---------------------------------------------------------------------------
// Systems and the run

struct SystemResult {
  std::string name;
  std::string note;
  std::vector<StartRecord> records;
  Metrics metrics;
  double seconds = 0;
};

struct RunResult {
  World world;
  std::vector<SystemResult> systems;  // callmem default, callmem hosted, exact-ANI
  double generate_seconds = 0;
};

// A system under test, driven call by call in time order.
struct Answer {
  std::string ref;
  double confidence = 0;
  Rec rec = Rec::ignore;
  bool learned = false;  // StartRecord::learned
};

// What identity feedback did besides judging the answer.
struct Learned {
  std::string made;      // the ref of a customer made for the caller, else ""
  std::string alias;     // a merge: this ref became an alias...
  std::string alias_of;  // ...of this one; both "" when no merge
};

class System {
 public:
  virtual ~System() = default;
  virtual Answer start(const Call& c) = 0;
  virtual void end(const Call& c) = 0;
  // The host learned, by asking the caller after `confirm`, whether the ref
  // it was given is the caller's (right_person), and which ref the caller
  // owns in this system (empty: none): callmem is told, as identity feedback.
  // Returns what the system did on the way: a customer made for the caller
  // (a rejection gives the caller a customer of their own), a merge.
  virtual Learned feedback(const Call& c, const Answer& a, bool right_person,
                           const std::string& callers_ref) {
    (void)c, (void)a, (void)right_person, (void)callers_ref;
    return {};
  }
};

// Exact-ANI "first created wins": baseline_key(ani) -> the ref of the first
// customer created for it; reuse with confidence 1 when known, else a new ref
// with confidence 0 (ignore).
std::unique_ptr<System> make_exact_ani();

// callmem through its JSON API, in `tenant` of `mem` (whose clock is `clock`),
// configured with `settings_json` (e.g. {"identity": {"profile": "hosted"}}).
std::unique_ptr<System> make_callmem(Engine& mem, std::shared_ptr<ManualClock> clock, std::string tenant,
                                     const std::string& settings_json);

// Replays the world's starts and ends through the system in time order, the
// host acting on every answer; one record per scored start (warm-up calls
// are driven but not recorded).
std::vector<StartRecord> drive(System& system, const World& world);

// Generates the world and runs the three systems over it.
RunResult run(const Config& config);

// Outputs.
std::string table(const RunResult& r);  // plain text, side by side
std::string svg_reliability(const RunResult& r);
std::string markdown_report(const RunResult& r);

}  // namespace callmem::sim

#endif
