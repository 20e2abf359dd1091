// The identity-accuracy simulator. See simulator.hpp and bench/README.md.
#include "simulator.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "callmem/error.hpp"
#include "engine.hpp"
#include "json/codec.hpp"
#include "time.hpp"

namespace callmem::sim {

namespace {

// ---------------------------------------------------------------------------
// The distributions. Each is a named constant; the README lists them.

// The simulation (its warm-up) starts on a Monday; the memory is empty then.
constexpr const char* kStartTime = "2026-03-02T00:00:00.000Z";
// Calls arrive in business hours: from 08:00 for 12 hours, every day.
constexpr Millis kOpenHour = 8, kOpenHours = 12;
// The dialled number (DNIS) of the contact center.
constexpr const char* kDnis = "+18005550100";

// Population.
// Share of people with a personal mobile; the others call only from a household or office line.
constexpr double kMobileShare = 0.92;
// Of those, share with a second personal number (work phone, second SIM).
constexpr double kSecondNumberShare = 0.15;
// Share of personal mobiles that are international (+44 or +33) rather than +1.
constexpr double kInternationalShare = 0.04;
// Share of people living in a household that shares a landline
// (Mix::household_share, 30 %), and its size.
constexpr int kHouseholdMin = 2, kHouseholdMax = 4;
// Share of people who also call from their office, whose calls show the PBX
// main number, shared by the office's 10-50 callers.
constexpr double kOfficeShare = 0.15;
constexpr int kOfficeMin = 10, kOfficeMax = 50;
// Share of PBX main numbers the carrier reports as voip (the rest: landline).
constexpr double kPbxVoipShare = 0.5;
// Share of people known to the CRM (crm_id), with an account number, with an e-mail.
constexpr double kCrmShare = 0.75, kAccountShare = 0.60, kEmailShare = 0.30;

// Churn. Each week a person leaves with this probability; a newcomer joins
// 0-14 days later. A leaver's personal numbers are reassigned by the carrier
// after 45-90 days (US: an aging period of at least 45 days, 90 at most);
// a newcomer takes an aged number when one is free with this probability.
constexpr double kChurnPerWeek = 0.01;
constexpr int kNewcomerDelayDays = 14;
constexpr int kRecycleMinDays = 45, kRecycleMaxDays = 90;
constexpr double kRecycledToNewcomer = 0.8;

// Calls. Base calls per person arrive as a Poisson process whose weekly rate
// is exponential across people (most call rarely, a few often), mean below.
constexpr double kMeanCallsPerWeek = 0.73;
// Which line a person calls from, relative weights of the lines they have.
constexpr double kWeightMainMobile = 1.0, kWeightSecondNumber = 0.35, kWeightHousehold = 0.5,
                 kWeightOffice = 0.8;
// In a household with a family mobile (Mix::family_mobile), the first
// member's main mobile, which the others call from with this weight.
constexpr double kWeightFamilyMobile = 0.1;
// Share of calls with the caller ID withheld ("anonymous", a placeholder number...).
constexpr double kWithheldShare = 0.05;
// Share of calls presenting another person's number (spoofing). Each carries
// STIR/SHAKEN trouble: attestation C, a failed verstat, or both.
constexpr double kSpoofShare = 0.01;
// Share of (non-spoofed) calls where the caller gives an account number, CRM id or e-mail.
constexpr double kExternalIdAtStart = 0.30;
// Share of calls where the host saves at end an identity key it learned in the call.
constexpr double kExternalIdAtEnd = 0.10;
// Shares of calls with telco.line_type from the host (the carrier's truth),
// and of +1 calls with STIR/SHAKEN data (attestation and verstat): the
// configuration's (Mix; 70 % and 40 % by default).
// Of legitimate +1 calls with STIR/SHAKEN data, share arriving through a
// gateway: attestation C, No-TN-Validation (so C alone is not proof of a spoof).
constexpr double kGatewayC = 0.05;
// Share of calls also carrying an agent_id (40 agents) and a skill_id (6
// skills) in external_ids: per-interaction keys shared by many callers.
constexpr double kAgentIdShare = 0.20, kSkillIdShare = 0.10;
constexpr int kAgents = 40, kSkills = 6;

// Issues. A new issue is left open at end with this probability (abandoned
// with the next), and then brings a repeat call 0.3-4 days later with this
// probability; a repeat resolves it with this probability, at the latest on
// the fourth attempt.
constexpr double kOpenIssue = 0.30, kAbandonedIssue = 0.03;
constexpr double kRepeatFollowThrough = 0.85;
constexpr double kRepeatMinDays = 0.3, kRepeatMaxDays = 4.0;
constexpr double kResolveOnRepeat = 0.6;
constexpr int kMaxAttempts = 4;
// Call duration: 1-15 minutes.
constexpr Millis kMinDuration = 60 * kSecond, kMaxDuration = 15 * 60 * kSecond;

constexpr std::array<const char*, 8> kIntents = {
    "billing_question", "refund_request", "technical_support", "address_change",
    "cancel_service",   "order_status",   "appointment",       "payment_arrangement"};
constexpr std::array<const char*, 10> kAreaCodes = {"415", "212", "312", "646", "702",
                                                    "617", "206", "303", "512", "404"};
// Withheld caller IDs as hosts receive them (SIP words and platform placeholders).
constexpr std::array<const char*, 9> kWithheldAnis = {
    "anonymous", "Anonymous",  "Restricted", "sip:anonymous@anonymous.invalid", "Unavailable", "Private",
    "unknown",   "+266696687", "+7378742833"};
constexpr std::array<const char*, 5> kInteractionKeys = {
    "five9_call_id", "twilio_call_sid", "cxone_contact_id", "session_id", "dialogflow_session"};
constexpr std::array<const char*, 12> kFirstNames = {"Ana", "Ben",  "Chloe", "Dev",  "Eva",  "Femi",
                                                     "Gus", "Hana", "Ivan",  "Jade", "Kofi", "Lena"};
constexpr std::array<const char*, 10> kLastNames = {"Smith", "Garcia", "Nguyen", "Okafor", "Muller",
                                                    "Rossi", "Kim",    "Dubois", "Patel",  "Cohen"};

using Rng = std::mt19937_64;

double uniform(Rng& rng, double a = 0, double b = 1) {
  return std::uniform_real_distribution<double>(a, b)(rng);
}
int uniform_int(Rng& rng, int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); }
bool chance(Rng& rng, double p) { return uniform(rng) < p; }
template <class A>
auto pick(Rng& rng, const A& a) {
  return a[static_cast<std::size_t>(uniform_int(rng, 0, static_cast<int>(a.size()) - 1))];
}
std::string digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + uniform_int(rng, 0, 9));
  return s;
}
std::string hex(Rng& rng, int n) {
  static const char* h = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s += h[uniform_int(rng, 0, 15)];
  return s;
}

// ---------------------------------------------------------------------------
// Generation

class Generator {
 public:
  explicit Generator(const Config& config) : rng_(config.seed) {
    w_.config = config;
    w_.t0 = *parse_iso(kStartTime);
    w_.scored_from = w_.t0 + Millis(config.warmup_weeks) * 7 * kDay;
    end_ = w_.scored_from + Millis(config.weeks) * 7 * kDay;
  }

  World run() {
    population();
    churn();
    calls();
    return std::move(w_);
  }

 private:
  Rng rng_;
  World w_;
  Millis end_ = 0;
  std::unordered_set<std::string> used_numbers_;
  std::vector<int> offices_;  // number indexes of office PBX lines
  std::vector<int> office_size_;
  int next_call_ = 0;

  int new_number(LineKind kind, bool international) {
    std::string e164;
    do {
      if (!international) {
        e164 = std::string("+1") + pick(rng_, kAreaCodes) + std::to_string(uniform_int(rng_, 2, 9)) +
               digits(rng_, 2) + digits(rng_, 4);
      } else if (chance(rng_, 0.6)) {
        e164 = "+447" + digits(rng_, 9);
      } else {
        e164 = "+336" + digits(rng_, 8);
      }
    } while (!used_numbers_.insert(e164).second);
    Number n;
    n.e164 = e164;
    n.kind = kind;
    n.international = international;
    n.line_type = kind == LineKind::mobile               ? "mobile"
                  : kind == LineKind::household_landline ? "landline"
                  : chance(rng_, kPbxVoipShare)          ? "voip"
                                                         : "landline";
    w_.numbers.push_back(std::move(n));
    return static_cast<int>(w_.numbers.size()) - 1;
  }

  Person new_person(Millis joined) {
    Person p;
    p.id = static_cast<int>(w_.people.size());
    p.joined = joined;
    p.name = fmt::format("{} {}", pick(rng_, kFirstNames), pick(rng_, kLastNames));
    if (chance(rng_, kCrmShare)) p.crm_id = fmt::format("CRM{:07d}", p.id + 1000000);
    if (chance(rng_, kAccountShare))
      p.account_number = fmt::format("{}{:06d}", uniform_int(rng_, 10, 99), p.id);
    if (chance(rng_, kEmailShare)) {
      std::string n = p.name;
      std::replace(n.begin(), n.end(), ' ', '.');
      p.email = fmt::format("{}{}@example.com", n, p.id);
    }
    return p;
  }

  void give_mobiles(Person& p) {
    if (chance(rng_, kMobileShare)) {
      p.numbers.push_back(new_number(LineKind::mobile, chance(rng_, kInternationalShare)));
      if (chance(rng_, kSecondNumberShare)) p.numbers.push_back(new_number(LineKind::mobile, false));
    }
  }

  void join_office(Person& p) {
    if (!chance(rng_, kOfficeShare)) return;
    // Fill the current office to its size, then open another.
    if (offices_.empty() || office_size_.back() <= 0) {
      offices_.push_back(new_number(LineKind::office_pbx, false));
      office_size_.push_back(uniform_int(rng_, kOfficeMin, kOfficeMax));
    }
    p.office = offices_.back();
    --office_size_.back();
    w_.numbers[static_cast<std::size_t>(p.office)].owners.push_back(p.id);
  }

  void add(Person p) {
    for (int n : p.numbers) w_.numbers[static_cast<std::size_t>(n)].owners.push_back(p.id);
    w_.people.push_back(std::move(p));
  }

  void population() {
    const int n = w_.config.people;
    const Mix& mix = w_.config.mix;
    int household_left = 0, household = -1, family_mobile = -1;
    for (int i = 0; i < n; ++i) {
      Person p = new_person(w_.t0);
      give_mobiles(p);
      if (household_left > 0) {
        p.household = household;
        if (family_mobile >= 0 && (p.numbers.empty() || p.numbers.front() != family_mobile))
          p.family_mobile = family_mobile;
        --household_left;
      } else if (chance(rng_, mix.household_share / ((kHouseholdMin + kHouseholdMax) / 2.0))) {
        household = new_number(LineKind::household_landline, false);
        household_left = uniform_int(rng_, kHouseholdMin, kHouseholdMax) - 1;
        p.household = household;
        family_mobile = !p.numbers.empty() && mix.family_mobile > 0 && chance(rng_, mix.family_mobile)
                            ? p.numbers.front()
                            : -1;
      }
      if (p.household >= 0) w_.numbers[static_cast<std::size_t>(p.household)].owners.push_back(p.id);
      join_office(p);
      if (p.numbers.empty() && p.household < 0 && p.office < 0)  // everyone can call from somewhere
        p.numbers.push_back(new_number(LineKind::mobile, false));
      add(std::move(p));
    }
  }

  void churn() {
    // Numbers released by leavers: (free from, number).
    std::vector<std::pair<Millis, int>> pool;
    std::vector<Millis> joins;
    for (int week = 0; week < w_.config.warmup_weeks + w_.config.weeks; ++week) {
      const Millis w0 = w_.t0 + Millis(week) * 7 * kDay;
      // Newcomers whose time has come this week join first (they may take aged numbers).
      std::sort(joins.begin(), joins.end());
      std::vector<Millis> later;
      for (Millis at : joins) {
        if (at >= w0 + 7 * kDay) {
          later.push_back(at);
          continue;
        }
        Person p = new_person(at);
        // An aged number free by now?
        auto it = std::find_if(pool.begin(), pool.end(), [&](const auto& e) { return e.first <= at; });
        if (it != pool.end() && chance(rng_, kRecycledToNewcomer)) {
          p.numbers.push_back(it->second);
          pool.erase(it);
        } else {
          give_mobiles(p);
          if (p.numbers.empty()) p.numbers.push_back(new_number(LineKind::mobile, false));
        }
        join_office(p);
        add(std::move(p));
      }
      joins = std::move(later);
      // Leavers of this week (only people present at its start).
      const std::size_t present = w_.people.size();
      for (std::size_t i = 0; i < present; ++i) {
        Person& p = w_.people[i];
        if (p.left || p.joined > w0 || !chance(rng_, kChurnPerWeek)) continue;
        p.left = w0 + static_cast<Millis>(uniform(rng_) * 7 * kDay);
        for (int num : p.numbers)
          pool.emplace_back(p.left + Millis(uniform_int(rng_, kRecycleMinDays, kRecycleMaxDays)) * kDay, num);
        const Millis at = p.left + static_cast<Millis>(uniform(rng_) * kNewcomerDelayDays * kDay);
        if (at < end_) joins.push_back(at);
      }
      std::sort(pool.begin(), pool.end());
    }
  }

  struct Pending {
    Millis at;
    int person;
    std::string intent;  // empty: a new issue
    int attempt;
    bool operator>(const Pending& o) const { return std::tie(at, person) > std::tie(o.at, o.person); }
  };

  // A business-hours time on the day of t (or t itself if already within).
  Millis business_time(Millis t) {
    const Millis day = (t - w_.t0) / kDay;
    return w_.t0 + day * kDay + kOpenHour * 3600 * kSecond +
           static_cast<Millis>(uniform(rng_) * double(kOpenHours * 3600 * kSecond));
  }

  std::string format_ani(const Number& n) {
    const std::string& e = n.e164;
    if (n.international) {
      const std::string cc = e.substr(1, 2), rest = e.substr(3);
      switch (uniform_int(rng_, 0, 4)) {
        case 0:
        case 1:
          return e;
        case 2:
          return "00" + cc + " " + rest.substr(0, 4) + " " + rest.substr(4);
        case 3:
          return "011 " + cc + " " + rest.substr(0, 4) + " " + rest.substr(4);
        default:
          return "sip:" + e + "@carrier.example;user=phone";
      }
    }
    const std::string a = e.substr(2, 3), b = e.substr(5, 3), c = e.substr(8, 4);
    const double r = uniform(rng_);
    if (r < 0.50) return e;                                  // +14155551234
    if (r < 0.55) return e.substr(1);                        // 14155551234
    if (r < 0.65) return e.substr(2);                        // 4155551234
    if (r < 0.75) return "(" + a + ") " + b + "-" + c;       // (415) 555-1234
    if (r < 0.85) return "tel:+1-" + a + "-" + b + "-" + c;  // tel:+1-415-555-1234
    return "sip:" + e + "@carrier.example;user=phone";       // sip:+1...@carrier.example;user=phone
  }

  // The lines p can call from at time t, weighted.
  int choose_line(const Person& p) {
    std::vector<std::pair<double, int>> lines;
    for (std::size_t i = 0; i < p.numbers.size(); ++i)
      lines.emplace_back(i == 0 ? kWeightMainMobile : kWeightSecondNumber, p.numbers[i]);
    if (p.household >= 0) lines.emplace_back(kWeightHousehold, p.household);
    if (p.family_mobile >= 0) lines.emplace_back(kWeightFamilyMobile, p.family_mobile);
    if (p.office >= 0) lines.emplace_back(kWeightOffice, p.office);
    double total = 0;
    for (auto& l : lines) total += l.first;
    double r = uniform(rng_, 0, total);
    for (auto& l : lines) {
      if (r < l.first) return l.second;
      r -= l.first;
    }
    return lines.back().second;
  }

  bool active(const Person& p, Millis t) const { return t >= p.joined && (!p.left || t < p.left); }

  void calls() {
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue;
    for (const Person& p : w_.people) {
      const double rate = std::exponential_distribution<double>(1.0 / kMeanCallsPerWeek)(rng_);  // calls/week
      if (rate <= 0) continue;
      std::exponential_distribution<double> gap(rate / double(7 * kDay));
      Millis t = p.joined;
      const Millis stop = p.left ? p.left : end_;
      while (true) {
        t += static_cast<Millis>(gap(rng_));
        if (t >= stop) break;
        const Millis bt = business_time(t);
        if (bt >= p.joined && bt < stop) queue.push(Pending{bt, p.id, "", 1});
      }
    }
    // Truth for "recognisable": when this person last presented a number / gave an identity key.
    std::vector<std::unordered_map<int, Millis>> last_number(w_.people.size());
    std::vector<std::unordered_map<std::string, Millis>> last_key(w_.people.size());
    // And who called from each number, when last.
    std::unordered_map<int, std::unordered_map<int, Millis>> number_users;
    const Millis ttl = Millis(w_.config.ttl_days) * kDay;
    while (!queue.empty()) {
      Pending q = queue.top();
      queue.pop();
      const Person& p = w_.people[static_cast<std::size_t>(q.person)];
      Call c;
      c.index = static_cast<int>(w_.calls.size());
      c.person = p.id;
      c.start = q.at;
      c.scored = c.start >= w_.scored_from;
      c.end = q.at + kMinDuration + static_cast<Millis>(uniform(rng_) * double(kMaxDuration - kMinDuration));
      c.call_id = fmt::format("sim-{:06d}-{}", next_call_++, hex(rng_, 8));
      // The line.
      const double r = uniform(rng_);
      if (r < kWithheldShare) {
        c.kind = CallKind::withheld;
        c.ani = pick(rng_, kWithheldAnis);
      } else if (r < kWithheldShare + kSpoofShare) {
        // Another person, present now, whose main personal number is shown.
        for (int tries = 0; tries < 50; ++tries) {
          const Person& v =
              w_.people[static_cast<std::size_t>(uniform_int(rng_, 0, int(w_.people.size()) - 1))];
          if (v.id == p.id || !active(v, q.at) || v.numbers.empty()) continue;
          c.kind = CallKind::spoofed;
          c.number = v.numbers[0];
          break;
        }
      }
      if (c.kind == CallKind::own) c.number = choose_line(p);
      if (c.number >= 0) {
        const Number& n = w_.numbers[static_cast<std::size_t>(c.number)];
        c.ani = format_ani(n);
        if (chance(rng_, w_.config.mix.line_type_given)) c.line_type = n.line_type;
        if (c.kind == CallKind::spoofed) {
          const int s = uniform_int(rng_, 0, 2);  // C, failed, both
          if (s != 1) c.attestation = "C";
          if (s != 0) c.verstat = "TN-Validation-Failed";
        } else if (!n.international && chance(rng_, w_.config.mix.stir_given)) {
          if (chance(rng_, kGatewayC)) {
            c.attestation = "C";
            c.verstat = "No-TN-Validation";
          } else {
            c.attestation = n.kind == LineKind::office_pbx ? "B" : "A";
            c.verstat = "TN-Validation-Passed";
          }
        }
        if (c.kind == CallKind::own) {
          const auto& owners = n.owners;
          c.borrowed = c.number == p.family_mobile;
          c.recycled_number =
              !c.borrowed && n.kind == LineKind::mobile && !owners.empty() && owners.front() != p.id;
        }
      }
      // External ids: an identity key the caller gives (not a spoofer), and per-interaction ids.
      std::vector<std::pair<std::string, std::string>> keys;
      if (!p.crm_id.empty()) keys.emplace_back("crm_id", p.crm_id);
      if (!p.account_number.empty()) keys.emplace_back("account_number", p.account_number);
      if (!p.email.empty()) keys.emplace_back("email", p.email);
      if (c.kind != CallKind::spoofed && !keys.empty() && chance(rng_, kExternalIdAtStart)) {
        auto k = pick(rng_, keys);
        if (k.first == "email") {  // as typed: mixed case, stray spaces
          std::string v = k.second;
          for (char& ch : v)
            if (chance(rng_, 0.3)) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          k.second = (chance(rng_, 0.3) ? " " : "") + v;
        }
        c.external_ids.insert(k);
      }
      const std::string ik = pick(rng_, kInteractionKeys);
      c.external_ids[ik] =
          ik == "twilio_call_sid" ? "CA" + hex(rng_, 32) : hex(rng_, 8) + "-" + digits(rng_, 6);
      if (chance(rng_, kAgentIdShare))
        c.external_ids["agent_id"] = fmt::format("agent_{}", uniform_int(rng_, 1, kAgents));
      if (chance(rng_, kSkillIdShare))
        c.external_ids["skill_id"] = fmt::format("skill_{}", uniform_int(rng_, 1, kSkills));
      if (c.kind != CallKind::spoofed && !keys.empty() && chance(rng_, kExternalIdAtEnd)) {
        const auto& k =
            keys[static_cast<std::size_t>(uniform_int(rng_, 0, std::min<int>(1, int(keys.size()) - 1)))];
        c.end_external_ids.insert(k);
      }
      // The issue.
      Pending next{0, p.id, "", 0};
      if (q.intent.empty()) {
        c.intent = pick(rng_, kIntents);
        const double s = uniform(rng_);
        c.intent_status = s < kOpenIssue                     ? "open"
                          : s < kOpenIssue + kAbandonedIssue ? "abandoned"
                                                             : "resolved";
      } else {
        c.intent = q.intent;
        c.intent_status = q.attempt >= kMaxAttempts || chance(rng_, kResolveOnRepeat) ? "resolved" : "open";
      }
      if (c.intent_status != "resolved" && chance(rng_, kRepeatFollowThrough)) {
        const Millis at = business_time(
            c.start + static_cast<Millis>(uniform(rng_, kRepeatMinDays, kRepeatMaxDays) * double(kDay)));
        if (at > c.end && at < end_ && active(p, at)) queue.push(Pending{at, p.id, c.intent, q.attempt + 1});
      }
      c.variables["name"] = p.name;
      c.variables["last_topic"] = c.intent;
      if (chance(rng_, 0.3)) c.variables["order_id"] = digits(rng_, 7);
      if (c.intent_status != "resolved")
        c.variables["callback_window"] = chance(rng_, 0.5) ? "morning" : "afternoon";
      // Truth: an identifier presented now, used by this person within the TTL.
      auto& ln = last_number[static_cast<std::size_t>(p.id)];
      auto& lk = last_key[static_cast<std::size_t>(p.id)];
      bool number_seen = false, key_seen = false, others_on_number = false;
      if (c.kind == CallKind::own) {
        auto it = ln.find(c.number);
        number_seen = it != ln.end() && c.start - it->second <= ttl;
        ln[c.number] = c.start;
        auto& users = number_users[c.number];
        for (const auto& [other, at] : users)
          if (other != p.id && c.start - at <= ttl) others_on_number = true;
        users[p.id] = c.start;
      }
      for (const auto& [k, v] : c.external_ids) {
        std::string key = k;
        if (key != "crm_id" && key != "account_number" && key != "email") continue;
        std::string norm = v;
        norm.erase(0, norm.find_first_not_of(' '));
        std::transform(norm.begin(), norm.end(), norm.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        key += ":" + norm;
        auto it = lk.find(key);
        if (it != lk.end() && c.start - it->second <= ttl) key_seen = true;
        lk[key] = c.start;
      }
      c.identifier_seen = number_seen || key_seen;
      c.shared_number_only = number_seen && !key_seen && others_on_number;
      for (const auto& [k, v] : c.end_external_ids) {
        std::string norm = v;
        std::transform(norm.begin(), norm.end(), norm.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        lk[k + ":" + norm] = c.start;
      }
      w_.calls.push_back(std::move(c));
    }
  }
};

std::string esc(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o += '\\';
    o += ch;
  }
  return o;
}

std::string object(const std::map<std::string, std::string>& m) {
  std::string o = "{";
  for (const auto& [k, v] : m) {
    if (o.size() > 1) o += ", ";
    o += "\"" + esc(k) + "\": \"" + esc(v) + "\"";
  }
  return o + "}";
}

}  // namespace

World generate(const Config& config) { return Generator(config).run(); }

Config configuration(const std::string& name) {
  Config c;
  c.name = name;
  if (name == "default") return c;
  if (name == "carrier-poor") {
    // Hosts without a carrier lookup: line type and STIR/SHAKEN on few calls.
    c.mix.line_type_given = 0.30;
    c.mix.stir_given = 0.10;
    return c;
  }
  if (name == "household-heavy") {
    // Families: more shared landlines, and some share a mobile too.
    c.mix.household_share = 0.60;
    c.mix.family_mobile = 0.25;
    return c;
  }
  throw std::invalid_argument("unknown configuration '" + name +
                              "': default, carrier-poor or household-heavy");
}

std::string start_json(const Call& c) {
  std::string hints = "\"ani\": \"" + esc(c.ani) + "\", \"dnis\": \"" + kDnis + "\"";
  if (!c.external_ids.empty()) hints += ", \"external_ids\": " + object(c.external_ids);
  std::map<std::string, std::string> telco;
  if (!c.line_type.empty()) telco["line_type"] = c.line_type;
  if (!c.attestation.empty()) telco["attestation"] = c.attestation;
  if (!c.verstat.empty()) telco["verstat"] = c.verstat;
  std::string body = "{\"call_id\": \"" + esc(c.call_id) + "\", \"identity_hints\": {" + hints + "}";
  if (!telco.empty()) body += ", \"telco\": " + object(telco);
  body += ", \"channel\": \"voice\", \"direction\": \"inbound\", \"at\": \"" + format_iso(c.start) + "\"}";
  return body;
}

std::string end_json(const Call& c) {
  std::string body = "{\"call_id\": \"" + esc(c.call_id) + "\", \"intent\": \"" + esc(c.intent) +
                     "\", \"intent_status\": \"" + c.intent_status +
                     "\", \"variables\": " + object(c.variables);
  if (!c.end_external_ids.empty()) body += ", \"external_ids\": " + object(c.end_external_ids);
  return body + ", \"at\": \"" + format_iso(c.end) + "\"}";
}

std::string baseline_key(const std::string& ani) {
  std::string v = ani;
  for (const char* scheme : {"sip:", "sips:", "tel:"})
    if (v.rfind(scheme, 0) == 0) v = v.substr(std::string(scheme).size());
  v = v.substr(0, v.find_first_of("@;"));
  std::string d;
  for (char ch : v)
    if (ch >= '0' && ch <= '9') d += ch;
  if (d.rfind("011", 0) == 0)
    d = d.substr(3);
  else if (d.rfind("00", 0) == 0)
    d = d.substr(2);
  if (d.size() == 11 && d[0] == '1') d = d.substr(1);
  return d;
}

const char* to_string(Rec r) {
  switch (r) {
    case Rec::reuse:
      return "reuse";
    case Rec::confirm:
      return "confirm";
    case Rec::ignore:
      return "ignore";
  }
  return "?";
}

Rec rec_of(const std::string& s) {
  if (s == "reuse") return Rec::reuse;
  if (s == "confirm") return Rec::confirm;
  if (s == "ignore") return Rec::ignore;
  throw std::runtime_error("unknown recommendation: " + s);
}

const char* to_string(Cause c) {
  switch (c) {
    case Cause::own_mobile:
      return "own mobile";
    case Cause::shared_line:
      return "shared line";
    case Cause::recycled:
      return "recycled number";
    case Cause::withheld:
      return "withheld";
    case Cause::spoofed:
      return "spoofed";
  }
  return "?";
}

int bin_of(double confidence) {
  const int b = static_cast<int>(std::floor(confidence * kBins));
  return std::clamp(b, 0, kBins - 1);
}

Metrics score(const std::vector<StartRecord>& records) {
  Metrics m;
  std::unordered_map<int, int> refs_of;  // person -> refs created for them
  for (const StartRecord& r : records) {
    ++m.calls;
    const auto cause = static_cast<std::size_t>(r.cause);
    ++m.calls_by_cause[cause];
    switch (r.rec) {
      case Rec::reuse:
        ++m.reuse;
        break;
      case Rec::confirm:
        ++m.confirm;
        break;
      case Rec::ignore:
        ++m.ignore;
        break;
    }
    if (r.owner < 0) {
      ++m.new_refs;
      ++refs_of[r.person];
    } else {
      ++m.existing;
      const bool right = r.owner == r.person;
      Bin& b = m.bins[static_cast<std::size_t>(bin_of(r.confidence))];
      ++b.count;
      b.sum_confidence += r.confidence;
      if (right) ++b.correct;
      if (!right) ++m.wrong_existing;
      if (!right && r.rec == Rec::reuse) {
        ++m.wrong_reuse;
        ++m.wrong_reuse_by_cause[cause];
      }
    }
    if (r.learned && r.rec == Rec::reuse) {
      ++m.learned_reuse;
      if (r.owner >= 0 && r.owner != r.person) {
        ++m.learned_wrong_reuse;
        if (r.cause == Cause::shared_line) ++m.learned_wrong_shared;
      }
    }
    if (r.merged >= 0) {
      ++m.merges;
      if (r.merged == 0) ++m.wrong_merges;
    }
    if (r.recognisable) {
      ++m.recognisable;
      ++m.recognisable_by_cause[cause];
      const bool recognised = r.rec == Rec::reuse && r.owner >= 0 && r.owner == r.person;
      if (recognised) {
        ++m.recognised;
        ++m.recognised_by_cause[cause];
      }
      if (!r.shared_number_only) {
        ++m.recognisable_apart;
        if (recognised) ++m.recognised_apart;
      }
    }
  }
  for (const auto& [person, n] : refs_of) {
    (void)person;
    ++m.people_seen;
    if (n > 1) ++m.people_split;
  }
  m.ece = 0;
  if (m.existing > 0)
    for (const Bin& b : m.bins)
      if (b.count)
        m.ece += double(b.count) / double(m.existing) * std::abs(b.accuracy() - b.mean_confidence());
  return m;
}

// ---------------------------------------------------------------------------
// Systems

namespace {

class ExactAni final : public System {
 public:
  Answer start(const Call& c) override {
    const std::string key = baseline_key(c.ani);
    if (!key.empty()) {
      auto it = first_.find(key);
      if (it != first_.end()) return Answer{it->second, 1.0, Rec::reuse};
    }
    Answer a{fmt::format("exact-{}", next_++), 0.0, Rec::ignore};
    if (!key.empty()) first_.emplace(key, a.ref);
    return a;
  }
  void end(const Call&) override {}

 private:
  std::unordered_map<std::string, std::string> first_;
  std::int64_t next_ = 0;
};

class Callmem final : public System {
  static Learned learned(const std::string& feedback_response) {
    const FeedbackResponse r = json::read_feedback_response(feedback_response);
    Learned l;
    if (r.customer_created) l.made = r.customer_ref;
    if (r.merge) {
      l.alias = r.merge->alias;
      l.alias_of = r.merge->alias_of;
    }
    return l;
  }

 public:
  Callmem(Engine& mem, std::shared_ptr<ManualClock> clock, std::string tenant, const std::string& settings)
      : mem_(mem), clock_(std::move(clock)), tenant_(std::move(tenant)) {
    if (!settings.empty()) mem_.configure_tenant_json(tenant_, settings);
  }
  Answer start(const Call& c) override {
    clock_->set(c.start);
    const StartResponse r = json::read_start_response(mem_.start_call_json(tenant_, start_json(c)));
    Answer a{r.customer_ref, r.identity.confidence,
             rec_of(std::string(to_string(r.identity.recommendation)))};
    for (const Evidence& e : r.identity.evidence) a.learned |= e.signal == "confirmed_number" && e.weight > 0;
    return a;
  }
  void end(const Call& c) override {
    clock_->set(c.end);
    mem_.end_call_json(tenant_, end_json(c));
  }
  // The host asked the caller after `confirm` and tells callmem what it learned.
  Learned feedback(const Call& c, const Answer&, bool right_person, const std::string& callers_ref) override {
    const std::string body =
        right_person ? fmt::format(R"({{"call_id": "{}", "outcome": "confirmed"}})", c.call_id)
        : callers_ref.empty()
            ? fmt::format(R"({{"call_id": "{}", "outcome": "rejected"}})", c.call_id)
            : fmt::format(R"({{"call_id": "{}", "outcome": "corrected", "customer_ref": "{}"}})", c.call_id,
                          callers_ref);
    try {
      return learned(mem_.identity_feedback_json(tenant_, body));
    } catch (const Error& e) {
      // The caller's ref the host remembers has expired (404): the host
      // still knows the answer was not the caller, and says so.
      if (e.status() == Status::not_found && !right_person && !callers_ref.empty()) {
        try {
          return learned(mem_.identity_feedback_json(
              tenant_, fmt::format(R"({{"call_id": "{}", "outcome": "rejected"}})", c.call_id)));
        } catch (const Error& again) {
          if (again.status() != Status::conflict) throw;
        }
        return {};
      }
      // The call's customer was new (a rejection has nothing to undo: 409): it moves on.
      if (e.status() != Status::not_found && e.status() != Status::conflict) throw;
    }
    return {};
  }

 private:
  Engine& mem_;
  std::shared_ptr<ManualClock> clock_;
  std::string tenant_;
};

}  // namespace

std::unique_ptr<System> make_exact_ani() { return std::make_unique<ExactAni>(); }

std::unique_ptr<System> make_callmem(Engine& mem, std::shared_ptr<ManualClock> clock, std::string tenant,
                                     const std::string& settings_json) {
  return std::make_unique<Callmem>(mem, std::move(clock), std::move(tenant), settings_json);
}

std::vector<StartRecord> drive(System& system, const World& world) {
  // Events in time order: (time, 0 start | 1 end, call).
  std::vector<std::tuple<Millis, int, int>> events;
  events.reserve(world.calls.size() * 2);
  for (const Call& c : world.calls) {
    events.emplace_back(c.start, 0, c.index);
    events.emplace_back(c.end, 1, c.index);
  }
  std::sort(events.begin(), events.end());
  std::vector<StartRecord> records;
  records.reserve(world.calls.size());
  std::unordered_map<std::string, int> owner;   // ref -> the person whose start created it
  std::unordered_map<int, std::string> ref_of;  // person -> their first ref in this system
  std::unordered_map<int, std::string> known;   // person -> the ref the host last knew as theirs
  for (const auto& [t, kind, index] : events) {
    (void)t;
    const Call& c = world.calls[static_cast<std::size_t>(index)];
    if (kind == 1) {
      // The host ends the call; the library knows the ref from the start.
      system.end(c);
      continue;
    }
    StartRecord r;
    r.call = c.index;
    r.person = c.person;
    r.recognisable = c.identifier_seen && ref_of.count(c.person) > 0;
    r.shared_number_only = r.recognisable && c.shared_number_only;
    r.cause = c.kind == CallKind::withheld  ? Cause::withheld
              : c.kind == CallKind::spoofed ? Cause::spoofed
              : c.recycled_number           ? Cause::recycled
              : c.borrowed || world.numbers[static_cast<std::size_t>(c.number)].kind != LineKind::mobile
                  ? Cause::shared_line
                  : Cause::own_mobile;
    const Answer a = system.start(c);
    r.ref = a.ref;
    r.confidence = a.confidence;
    r.rec = a.rec;
    r.learned = a.learned;
    auto it = owner.find(a.ref);
    if (it == owner.end()) {
      owner.emplace(a.ref, c.person);
      ref_of.emplace(c.person, a.ref);
      r.owner = -1;
    } else {
      r.owner = it->second;
    }
    if (r.owner < 0 || r.owner == c.person) known[c.person] = a.ref;
    // The host acts on the answer: on reuse it uses the ref, greeting the
    // caller by the customer's name, and a caller who is someone else says
    // so; on confirm it asks the caller and learns the truth; on ignore
    // nothing. Either way it tells the system what it learned.
    const bool wrong_greeting = a.rec == Rec::reuse && r.owner >= 0 && r.owner != c.person;
    if (a.rec == Rec::confirm || wrong_greeting) {
      const bool right = (r.owner < 0 ? c.person : r.owner) == c.person;
      if (a.rec == Rec::confirm) r.confirmed = right ? 1 : 0;
      auto mine = known.find(c.person);
      const Learned l = system.feedback(c, a, right, mine == known.end() ? std::string() : mine->second);
      if (!l.made.empty()) {
        owner.emplace(l.made, c.person);  // made for this caller
        ref_of.emplace(c.person, l.made);
        known[c.person] = l.made;
      }
      if (!l.alias.empty()) {
        const auto from = owner.find(l.alias), into = owner.find(l.alias_of);
        r.merged = from != owner.end() && into != owner.end() && from->second == into->second ? 1 : 0;
      }
    }
    if (c.scored) records.push_back(std::move(r));
  }
  return records;
}

// ---------------------------------------------------------------------------
// The run

namespace {

class TempDir {
 public:
  explicit TempDir(const Config& config) : keep_(config.keep_db || !config.dir.empty()) {
    if (!config.dir.empty()) {
      path_ = config.dir;
      std::filesystem::create_directories(path_);
      return;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "callmem-accuracy-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!keep_) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  bool keep_;
  std::filesystem::path path_;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

RunResult run(const Config& config) {
  RunResult result;
  auto t = std::chrono::steady_clock::now();
  result.world = generate(config);
  result.generate_seconds = seconds_since(t);
  const World& w = result.world;
  if (config.verbose)
    std::cerr << fmt::format("generated {} people, {} numbers, {} calls in {:.1f} s\n", w.people.size(),
                             w.numbers.size(), w.calls.size(), result.generate_seconds);

  TempDir dir(config);
  auto clock = std::make_shared<ManualClock>(w.t0);
  EngineOptions options;
  options.path = dir.file("accuracy.db");
  options.clock = clock;
  Engine mem(options);
  const std::string ttl = fmt::format("\"ttl_days\": {}", config.ttl_days);

  struct Spec {
    std::string name, note;
    std::function<std::unique_ptr<System>()> make;
  };
  std::vector<Spec> specs = {
      {"callmem default", "callmem, tenant settings as shipped",
       [&] { return make_callmem(mem, clock, "sim-default", "{" + ttl + "}"); }},
      {"callmem hosted",
       "callmem, {\"identity\": {\"profile\": \"hosted\"}} (the hosted product's documented weights)",
       [&] {
         return make_callmem(mem, clock, "sim-hosted",
                             "{" + ttl + ", \"identity\": {\"profile\": \"hosted\"}}");
       }},
      {"exact-ANI", "first created wins on the digits of the ANI (no callmem)",
       [] { return make_exact_ani(); }},
  };
  if (!config.hosted) specs.erase(specs.begin() + 1);
  for (const Spec& s : specs) {
    t = std::chrono::steady_clock::now();
    clock->set(w.t0);
    auto system = s.make();
    SystemResult sr;
    sr.name = s.name;
    sr.note = s.note;
    sr.records = drive(*system, w);
    sr.metrics = score(sr.records);
    sr.seconds = seconds_since(t);
    if (config.verbose) std::cerr << fmt::format("{}: {:.1f} s\n", s.name, sr.seconds);
    result.systems.push_back(std::move(sr));
  }
  return result;
}

// ---------------------------------------------------------------------------
// Outputs

namespace {

std::string pct(std::int64_t n, std::int64_t d, int decimals = 2) {
  return d ? fmt::format("{:.{}f}%", 100.0 * double(n) / double(d), decimals) : std::string("-");
}

struct Row {
  std::string label;
  std::function<std::string(const Metrics&)> value;
};

std::vector<Row> rows() {
  return {
      {"calls (starts)", [](const Metrics& m) { return std::to_string(m.calls); }},
      {"wrong-person reuse",
       [](const Metrics& m) {
         return fmt::format("{} ({})", pct(m.wrong_reuse, m.calls, 3), m.wrong_reuse);
       }},
      {"recall of recognisable",
       [](const Metrics& m) {
         return fmt::format("{} ({}/{})", pct(m.recognised, m.recognisable, 1), m.recognised, m.recognisable);
       }},
      {"  excl. shared number only",
       [](const Metrics& m) {
         return fmt::format("{} ({}/{})", pct(m.recognised_apart, m.recognisable_apart, 1),
                            m.recognised_apart, m.recognisable_apart);
       }},
      {"ECE (10 bins)", [](const Metrics& m) { return fmt::format("{:.4f}", m.ece); }},
      {"reuse / confirm / ignore",
       [](const Metrics& m) {
         return fmt::format("{} / {} / {}", pct(m.reuse, m.calls, 1), pct(m.confirm, m.calls, 1),
                            pct(m.ignore, m.calls, 1));
       }},
      {"existing-ref answers",
       [](const Metrics& m) { return fmt::format("{} ({})", m.existing, pct(m.existing, m.calls, 1)); }},
      {"  of which another person's",
       [](const Metrics& m) {
         return fmt::format("{} ({})", m.wrong_existing, pct(m.wrong_existing, m.existing, 2));
       }},
      {"people given >1 new ref (split)",
       [](const Metrics& m) { return fmt::format("{} of {}", m.people_split, m.people_seen); }},
      {"reuse on confirmed numbers (wrong; shared line)",
       [](const Metrics& m) {
         return fmt::format("{} ({}; {})", m.learned_reuse, m.learned_wrong_reuse, m.learned_wrong_shared);
       }},
      {"merges by feedback (two people's)",
       [](const Metrics& m) { return fmt::format("{} ({})", m.merges, m.wrong_merges); }},
  };
}

}  // namespace

std::string table(const RunResult& r) {
  const auto rs = rows();
  std::size_t w0 = 0;
  for (const Row& row : rs) w0 = std::max(w0, row.label.size());
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const SystemResult& s : r.systems) {
    std::vector<std::string> col = {s.name};
    for (const Row& row : rs) col.push_back(row.value(s.metrics));
    col.push_back(fmt::format("{:.1f} s", s.seconds));
    std::size_t wd = 0;
    for (const auto& x : col) wd = std::max(wd, x.size());
    widths.push_back(wd);
    cells.push_back(std::move(col));
  }
  std::string out;
  auto line = [&](const std::string& label, std::size_t i) {
    out += fmt::format("{:<{}}", label, w0);
    for (std::size_t s = 0; s < cells.size(); ++s) out += fmt::format("  {:>{}}", cells[s][i], widths[s]);
    out += "\n";
  };
  line("", 0);
  for (std::size_t i = 0; i < rs.size(); ++i) line(rs[i].label, i + 1);
  line("time", rs.size() + 1);
  out += "\nwrong-person reuse by kind of call (count / calls of that kind):\n";
  for (int c = 0; c < kCauses; ++c) {
    out += fmt::format("{:<{}}", fmt::format("  {}", to_string(Cause(c))), w0);
    for (std::size_t s = 0; s < r.systems.size(); ++s) {
      const Metrics& m = r.systems[s].metrics;
      out += fmt::format(
          "  {:>{}}",
          fmt::format("{} / {}", m.wrong_reuse_by_cause[std::size_t(c)], m.calls_by_cause[std::size_t(c)]),
          widths[s]);
    }
    out += "\n";
  }
  out += "recall by kind of call (recognised / recognisable):\n";
  for (int c = 0; c < kCauses; ++c) {
    out += fmt::format("{:<{}}", fmt::format("  {}", to_string(Cause(c))), w0);
    for (std::size_t s = 0; s < r.systems.size(); ++s) {
      const Metrics& m = r.systems[s].metrics;
      out += fmt::format("  {:>{}}",
                         fmt::format("{} / {}", m.recognised_by_cause[std::size_t(c)],
                                     m.recognisable_by_cause[std::size_t(c)]),
                         widths[s]);
    }
    out += "\n";
  }
  return out;
}

std::string svg_reliability(const RunResult& r) {
  constexpr double W = 680, H = 640, L = 80, T = 50, S = 520;  // plot square S x S at (L, T)
  const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
  const char* dashes[] = {"", "8 4", "2 3", "6 2"};
  auto X = [&](double v) { return L + v * S; };
  auto Y = [&](double v) { return T + (1 - v) * S; };
  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H, W, H);
  o += fmt::format(
      "<text x=\"{}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">Reliability diagram: "
      "confidence of existing-customer answers vs. right person</text>\n",
      L + S / 2);
  for (int i = 0; i <= 10; ++i) {
    const double v = i / 10.0;
    o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#eee\"/>\n", X(v), T, T + S);
    o += fmt::format("<line x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\" stroke=\"#eee\"/>\n", Y(v), L, L + S);
    o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.1f}</text>\n", X(v), T + S + 18, v);
    o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.1f}</text>\n", L - 6, Y(v) + 4, v);
  }
  o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", L,
                   T, S, S);
  o += fmt::format(
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n", X(0),
      Y(0), X(1), Y(1));
  o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">predicted confidence (bin mean)</text>\n",
                   L + S / 2, T + S + 40);
  o += fmt::format(
      "<text x=\"20\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {0})\">observed "
      "accuracy (share: the ref is the caller's)</text>\n",
      T + S / 2);
  std::int64_t max_count = 1;
  for (const auto& s : r.systems)
    for (const Bin& b : s.metrics.bins) max_count = std::max(max_count, b.count);
  for (std::size_t i = 0; i < r.systems.size(); ++i) {
    const auto& s = r.systems[i];
    const char* col = colors[i % 4];
    std::string pts;
    for (const Bin& b : s.metrics.bins)
      if (b.count) pts += fmt::format("{:.1f},{:.1f} ", X(b.mean_confidence()), Y(b.accuracy()));
    o += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", pts, col,
                     *dashes[i % 4] ? fmt::format(" stroke-dasharray=\"{}\"", dashes[i % 4]) : "");
    for (const Bin& b : s.metrics.bins)
      if (b.count)
        o += fmt::format(
            "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" fill=\"{}\" fill-opacity=\"0.45\" "
            "stroke=\"{}\"><title>{}: n={}, confidence {:.3f}, accuracy {:.3f}</title></circle>\n",
            X(b.mean_confidence()), Y(b.accuracy()), 3 + 14 * std::sqrt(double(b.count) / double(max_count)),
            col, col, s.name, b.count, b.mean_confidence(), b.accuracy());
    const double ly = T + 20 + 20 * double(i);
    o += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                     L + 12, ly - 4, L + 40, ly - 4, col,
                     *dashes[i % 4] ? fmt::format(" stroke-dasharray=\"{}\"", dashes[i % 4]) : "");
    o += fmt::format("<text x=\"{}\" y=\"{}\">{} (ECE {:.3f}, n={})</text>\n", L + 46, ly, s.name,
                     s.metrics.ece, s.metrics.existing);
  }
  o += fmt::format(
      "<text x=\"{}\" y=\"{}\" fill=\"#555\" font-size=\"11\">point area: calls in the bin; dashed "
      "diagonal: perfect calibration</text>\n",
      L + 12, T + S - 10);
  return o + "</svg>\n";
}

std::string markdown_report(const RunResult& r) {
  const World& w = r.world;
  std::int64_t withheld = 0, spoofed = 0, recycled = 0, shared = 0, with_ids = 0, identifier_seen = 0,
               shared_number_only = 0;
  std::int64_t n = 0;
  for (const Call& c : w.calls) {
    if (!c.scored) continue;
    ++n;
    withheld += c.kind == CallKind::withheld;
    spoofed += c.kind == CallKind::spoofed;
    recycled += c.recycled_number;
    shared += c.number >= 0 && c.kind == CallKind::own &&
              (c.borrowed || w.numbers[std::size_t(c.number)].kind != LineKind::mobile);
    bool id = false;
    for (const auto& kv : c.external_ids)
      id |= kv.first == "crm_id" || kv.first == "account_number" || kv.first == "email";
    with_ids += id;
    identifier_seen += c.identifier_seen;
    shared_number_only += c.shared_number_only;
  }
  std::string o = "# callmem_accuracy report\n\n";
  o += fmt::format(
      "Configuration {}, seed {}, {} people at the start ({} over the run, churn included), {} warm-up weeks "
      "(driven, "
      "not scored) then {} scored weeks, TTL {} days; {} numbers; {} calls, {} of them scored.\n\n",
      w.config.name, w.config.seed, w.config.people, w.people.size(), w.config.warmup_weeks, w.config.weeks,
      w.config.ttl_days, w.numbers.size(), w.calls.size(), n);
  o += fmt::format(
      "Scored calls: withheld {} ({}), spoofed {} ({}), from a shared line (household, PBX or another's "
      "mobile) {} ({}), from "
      "a "
      "recycled number {} ({}), with an identity key {} ({}); an identifier used by the caller within "
      "the TTL: {} ({}), of which only a number another person also called from within the TTL: {} "
      "({}).\n\n",
      withheld, pct(withheld, n, 1), spoofed, pct(spoofed, n, 1), shared, pct(shared, n, 1), recycled,
      pct(recycled, n, 1), with_ids, pct(with_ids, n, 1), identifier_seen, pct(identifier_seen, n, 1),
      shared_number_only, pct(shared_number_only, n, 1));
  o += "| metric |";
  for (const auto& s : r.systems) o += " " + s.name + " |";
  o += "\n|---|";
  for (std::size_t i = 0; i < r.systems.size(); ++i) o += "---:|";
  o += "\n";
  for (const Row& row : rows()) {
    o += "| " + row.label + " |";
    for (const auto& s : r.systems) o += " " + row.value(s.metrics) + " |";
    o += "\n";
  }
  for (int c = 0; c < kCauses; ++c) {
    o += fmt::format("| wrong-person reuse, {} |", to_string(Cause(c)));
    for (const auto& s : r.systems)
      o += fmt::format(" {} / {} |", s.metrics.wrong_reuse_by_cause[std::size_t(c)],
                       s.metrics.calls_by_cause[std::size_t(c)]);
    o += "\n";
  }
  for (int c = 0; c < kCauses; ++c) {
    o += fmt::format("| recall, {} |", to_string(Cause(c)));
    for (const auto& s : r.systems)
      o += fmt::format(" {} / {} |", s.metrics.recognised_by_cause[std::size_t(c)],
                       s.metrics.recognisable_by_cause[std::size_t(c)]);
    o += "\n";
  }
  o +=
      "\nTargets (issue): wrong-person reuse <= 0.1% of calls; recall >= 95%; ECE <= 0.03; strictly better "
      "than "
      "both baselines on wrong-person reuse and ECE. Recall is judged by \"excl. shared number only\": "
      "recall "
      "without the recognisable starts whose only identifier used before is a number another person also "
      "called "
      "from within the TTL (the issue asks to confirm those: several customers on one number, nothing else "
      "to "
      "tell them apart); \"recall of recognisable\" keeps them. \"merges by feedback\" counts the merges the "
      "hosts' confirmations made, and in brackets those of two people's refs.\n\n";
  for (const auto& s : r.systems) {
    o += fmt::format(
        "## {}\n\n{}.\n\n| confidence bin | answers | mean confidence | right person "
        "|\n|---|---:|---:|---:|\n",
        s.name, s.note);
    for (int b = 0; b < kBins; ++b) {
      const Bin& bin = s.metrics.bins[std::size_t(b)];
      o += fmt::format("| [{:.1f}, {:.1f}{} | {} | {} | {} |\n", b / 10.0, (b + 1) / 10.0,
                       b == kBins - 1 ? "]" : ")", bin.count,
                       bin.count ? fmt::format("{:.3f}", bin.mean_confidence()) : "-",
                       bin.count ? fmt::format("{:.3f}", bin.accuracy()) : "-");
    }
    o += "\n";
  }
  return o;
}

}  // namespace callmem::sim
