// The façade: each operation is one store transaction that reads what it
// needs, decides (identity through the Scorer), writes, and commits.
#include "engine.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "identity/identifiers.hpp"
#include "identity/phone.hpp"
#include "identity/scorer.hpp"
#include "json/codec.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"
#include "settings.hpp"
#include "time.hpp"
#include "uuid.hpp"

namespace callmem {
namespace {

constexpr std::size_t kMaxTenant = 64;

void check_tenant(const std::string& tenant) {
  const bool ok = !tenant.empty() && tenant.size() <= kMaxTenant &&
                  std::all_of(tenant.begin(), tenant.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           c == '.' || c == '_' || c == '-';
                  });
  if (!ok) throw invalid_field({"tenant"}, "tenant must be 1-64 characters of A-Za-z0-9._-");
}

// FNV-1a, 64 bits, never 0 (0 marks "no start request" in the store).
std::uint64_t fingerprint(const std::string& canonical) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : canonical) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

std::string level_of(double c, const TenantSettings& s) {
  if (c >= s.level_very_high) return "very_high";
  if (c >= s.level_high) return "high";
  if (c >= s.level_medium) return "medium";
  return "low";
}

std::string recommendation_of(double c, const TenantSettings& s) {
  if (c >= s.reuse) return "reuse";
  if (c >= s.confirm) return "confirm";
  return "ignore";
}

Millis ttl_of(const TenantSettings& s) { return s.ttl_days * kDay; }

// A customer lives as long as anything of theirs: until the last of its live
// variables with their own ttl expires (0 when it has none).
Millis kept_until(const std::vector<VariableRow>& vars) {
  Millis until = 0;
  for (const VariableRow& v : vars)
    if (v.own_ttl_seconds > 0) until = std::max(until, v.expires_at);
  return until;
}

Intent to_intent(const IntentRow& r) {
  return Intent{r.intent, r.status, r.attempt_count, r.first_seen, r.last_seen};
}

std::map<std::string, Variable> to_variables(const std::vector<VariableRow>& rows, Millis now) {
  std::map<std::string, Variable> out;
  for (const auto& r : rows) {
    const Millis left = std::max<Millis>(0, r.expires_at - now);
    out.emplace(r.name, Variable{JsonText{r.value_json}, r.source, left / kSecond, r.updated_at});
  }
  return out;
}

// The cursor of call history: "c1:<started_at>:<call_id>".
std::string encode_cursor(const CallRow& last) {
  return fmt::format("c1:{}:{}", last.started_at, last.call_id);
}

std::optional<CallCursor> decode_cursor(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const auto bad = [] { return invalid_field({"cursor"}, "cursor is not one this library returned"); };
  if (s.rfind("c1:", 0) != 0) throw bad();
  const auto colon = s.find(':', 3);
  if (colon == std::string::npos || colon == 3 || colon - 3 > 18) throw bad();
  Millis t = 0;
  for (std::size_t i = 3; i < colon; ++i) {
    if (s[i] < '0' || s[i] > '9') throw bad();
    t = t * 10 + (s[i] - '0');
  }
  return CallCursor{t, s.substr(colon + 1)};
}

// A number that may be spoofed (failed validation, or a gateway's C
// attestation) is never linked to a customer, nor refreshed, nor kept for
// feedback to link later: a spoofer cannot take over someone's number.
bool spoofable(const Telco& t) { return t.verstat == "TN-Validation-Failed" || t.attestation == "C"; }

// US carriers reassign a disconnected number after 45 days at the least: a
// number used within that time has not changed hands since.
constexpr Millis kNumberAgingDays = 45;

// The identifiers of a call that may become a customer's.
std::vector<Identifier> linkable(const CallIdentifiers& ids, const Telco& telco) {
  std::vector<Identifier> out;
  for (const Identifier& id : ids.ids)
    if (id.type != "ani" || !spoofable(telco)) out.push_back(id);
  return out;
}

// The call's identifiers as kept on its row (CallRow::identifiers_json): a
// flat object {"ani": "+1...", "ani_line_type": "mobile", "x:<key>": "<value>"}.
struct CallIds {
  std::vector<Identifier> ids;
  std::string line_type;  // the host's telco.line_type of the ANI, "" when not given
};

std::string encode_ids(const CallIds& c) {
  std::map<std::string, std::string> m;
  for (const Identifier& id : c.ids) {
    if (id.type == "ani")
      m["ani"] = id.value;
    else
      m["x:" + id.key] = id.value;
  }
  if (!c.line_type.empty() && m.count("ani")) m["ani_line_type"] = c.line_type;
  return json::write_string_map(m);
}

CallIds decode_ids(const std::string& text) {
  CallIds c;
  for (const auto& [k, v] : json::read_string_map(text)) {
    if (k == "ani")
      c.ids.insert(c.ids.begin(), Identifier{"ani", "", v});
    else if (k == "ani_line_type")
      c.line_type = v;
    else if (k.rfind("x:", 0) == 0)
      c.ids.push_back(Identifier{"external_id", k.substr(2), v});
  }
  return c;
}

void add_ids(CallIds& c, const std::vector<Identifier>& more) {
  for (const Identifier& id : more)
    if (std::find(c.ids.begin(), c.ids.end(), id) == c.ids.end()) c.ids.push_back(id);
}

// What a feedback is counted under: the first `sources` token of the start's
// answer ("ani:mobile", "external_id", ...; "none" without one), and the
// probability the answer was given with.
struct Answered {
  std::string signal = "none";
  double confidence = 0;
};
Answered answered(const CallRow& call) {
  Answered a;
  if (call.start_response.empty()) return a;
  const StartResponse r = json::read_start_response(call.start_response);
  if (!r.identity.sources.empty()) a.signal = r.identity.sources.front();
  a.confidence = r.identity.confidence;
  return a;
}

std::unique_ptr<Store> open_store(const EngineOptions& o) {
  if (o.store == "postgres") {
    if (o.dsn.empty()) throw invalid_field({"dsn"}, "dsn is required with store postgres");
    PgOptions p;
    p.dsn = o.dsn;
    p.schema = o.schema;
    p.pool_size = o.pool_size;
    p.busy_timeout_ms = o.busy_timeout_ms;
    return std::make_unique<PgStore>(std::move(p));
  }
  if (o.store != "sqlite") throw invalid_field({"store"}, "store must be sqlite or postgres");
  return std::make_unique<SqliteStore>(o.path, o.busy_timeout_ms);
}

}  // namespace

struct Engine::Impl {
  EngineOptions options;
  std::unique_ptr<Store> store;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<Scorer> probabilistic = make_probabilistic_scorer();
  std::unique_ptr<Scorer> hosted = make_hosted_scorer();

  Millis now() const { return clock->now(); }

  // Each tenant's feedback counts, read from the store at most once a
  // minute per tenant: they move slowly, and a start should not pay a query
  // for them. Feedback given through this handle refreshes them at once.
  static constexpr Millis kLearnedRefresh = 60 * kSecond;
  struct Learned {
    Millis fetched = 0;
    std::shared_ptr<const LearnedFeedback> counts;
  };
  mutable std::mutex learned_mutex;
  mutable std::map<std::string, Learned> learned;

  std::shared_ptr<const LearnedFeedback> learned_for(Transaction& tx, const std::string& tenant) const {
    const Millis t = now();
    {
      std::lock_guard<std::mutex> lock(learned_mutex);
      auto it = learned.find(tenant);
      if (it != learned.end() && t >= it->second.fetched && t - it->second.fetched < kLearnedRefresh)
        return it->second.counts;
    }
    auto counts = std::make_shared<LearnedFeedback>();
    for (const FeedbackStat& f : tx.feedback_stats(tenant))
      (*counts)[f.signal] = {f.confirmed, f.rejected, f.predicted};
    std::lock_guard<std::mutex> lock(learned_mutex);
    learned[tenant] = Learned{t, counts};
    return counts;
  }

  void relearn(const std::string& tenant) const {
    std::lock_guard<std::mutex> lock(learned_mutex);
    learned.erase(tenant);
  }

  const Scorer& scorer_for(const TenantSettings& s) const {
    return s.identity_profile == "hosted" ? *hosted : *probabilistic;
  }

  TenantRow tenant_of(Transaction& tx, const std::string& tenant) const {
    if (auto row = tx.tenant_get(tenant)) return *row;
    return TenantRow{options.default_settings, 0};
  }

  // The live customer a ref names: itself, or the customer it is an alias of
  // (one more indexed lookup, only when the ref is not a live customer).
  std::optional<std::string> live_ref(Transaction& tx, const std::string& tenant, const std::string& ref,
                                      Millis now) const {
    if (tx.customer_get(tenant, ref, now)) return ref;
    if (auto target = tx.alias_target(tenant, ref, now))
      if (tx.customer_get(tenant, *target, now)) return *target;
    return std::nullopt;
  }

  // Who a call is: every customer linked to its identifiers (or named by its
  // customer_ref), assessed by the tenant's scorer at `at`, best first. Rows
  // count when they expire after `horizon` (normally `at`; 0 for erasure,
  // which reaches expired rows not yet purged).
  struct Scored {
    CandidateFacts facts;
    Assessment assessment;
  };
  std::vector<Scored> candidates(Transaction& tx, const std::string& tenant, const CallIdentifiers& ids,
                                 const IdentityHints& hints, const Telco& telco, const TenantSettings& s,
                                 Millis at, std::optional<Millis> horizon = std::nullopt) const {
    const Millis live_after = horizon.value_or(at);
    std::map<std::string, CandidateFacts> by_ref;
    if (!ids.ids.empty()) {
      for (const LinkRow& link : tx.links_find(tenant, ids.ids, live_after)) {
        CandidateFacts& f = by_ref[link.customer_ref];
        f.customer_ref = link.customer_ref;
        if (link.id.type == "ani") {
          f.ani_match = true;
          f.ani_line_type = link.line_type;
          f.ani_last_seen = link.last_seen;
        } else {
          f.matched_keys.push_back(link.id.key);
        }
      }
    }
    if (hints.customer_ref) {
      if (auto named = live_ref(tx, tenant, *hints.customer_ref, live_after)) {
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
    facts.reserve(by_ref.size());
    for (auto& [ref, f] : by_ref) {
      auto customer = tx.customer_get(tenant, ref, live_after);
      // Links outlived their customer: never resurrect it. A backfilled call
      // (`at` in the past) cannot be a customer created after it.
      if (!customer || customer->created_at > at) continue;
      f.last_seen = customer->last_seen;
      f.open_intent = !tx.intents_of(tenant, ref, live_after, true).empty();
      // Disagreement is evidence too: what is on file for what the call gave
      // and this candidate did not match.
      const bool ani_unmatched = has_number && !f.ani_match;
      if (ani_unmatched || f.matched_keys.size() < call_keys.size()) {
        for (const LinkRow& l : tx.links_of(tenant, ref, live_after)) {
          if (l.id.type == "ani") {
            f.other_ani = f.other_ani || ani_unmatched;
          } else if (call_keys.count(l.id.key) &&
                     std::find(f.matched_keys.begin(), f.matched_keys.end(), l.id.key) == f.matched_keys.end() &&
                     std::find(f.mismatched_keys.begin(), f.mismatched_keys.end(), l.id.key) ==
                         f.mismatched_keys.end()) {
            f.mismatched_keys.push_back(l.id.key);
          }
        }
      }
      facts.push_back(std::move(f));
    }
    // What is known of the number from all its customers' links: how many
    // share it, and its line type where some call's carrier data told it.
    int on_number = 0;
    std::string number_line;
    for (const CandidateFacts& f : facts) {
      if (!f.ani_match) continue;
      ++on_number;
      if (number_line.empty() && !f.ani_line_type.empty() && f.ani_line_type != "unknown" &&
          f.ani_line_type != "fixed_line_or_mobile")
        number_line = f.ani_line_type;
    }
    for (CandidateFacts& f : facts) {
      if (!f.ani_match) continue;
      f.ani_customers = on_number;
      if (!number_line.empty()) f.ani_line_type = number_line;
    }

    CallEvidence call{&ids, &telco, hints.customer_ref.has_value(), at};
    call.weights = &s.identity_weights;
    // Feedback re-estimates a number's evidence: looked up when a number matched.
    std::shared_ptr<const LearnedFeedback> counts;
    if (s.identity_profile == "probabilistic" && on_number > 0) {
      counts = learned_for(tx, tenant);
      call.learned = counts.get();
    }
    std::vector<Assessment> assessed = scorer_for(s).assess(call, facts);
    std::vector<Scored> out;
    out.reserve(facts.size());
    for (std::size_t i = 0; i < facts.size(); ++i) out.push_back({std::move(facts[i]), std::move(assessed[i])});
    // Best first; among equals the most recently seen, then the oldest ref.
    std::sort(out.begin(), out.end(), [](const Scored& a, const Scored& b) {
      if (a.assessment.probability != b.assessment.probability)
        return a.assessment.probability > b.assessment.probability;
      if (a.facts.last_seen != b.facts.last_seen) return a.facts.last_seen > b.facts.last_seen;
      return a.facts.customer_ref < b.facts.customer_ref;
    });
    return out;
  }

  struct Resolution {
    std::string customer_ref;
    bool created = false;
    Identity identity;
  };

  // Decides who the call is, creating a customer when nothing matched, and
  // links the call's identifiers: all of them to a new or reused customer;
  // to a customer only to be confirmed or ignored, only the links that
  // already matched are refreshed.
  Resolution resolve(Transaction& tx, const std::string& tenant, const IdentityHints& hints,
                     const CallIdentifiers& ids, const Telco& telco, const TenantSettings& s,
                     Millis at) const {
    Resolution r;
    const Millis expires = at + ttl_of(s);
    std::vector<Scored> scored = candidates(tx, tenant, ids, hints, telco, s, at);
    CandidateFacts matched;  // what of the call's identifiers the chosen customer already had
    std::string hold;        // why the best candidate's evidence alone must not be reused
    double known_mass = 0;
    for (const Scored& c : scored) known_mass += c.assessment.probability;
    // Probabilities include "someone not yet known": when that is likelier
    // than the best candidate, the caller is a new customer.
    const double p_new = std::max(0.0, 1 - known_mass);
    const bool newcomer = scored.empty() || (s.identity_profile == "probabilistic" &&
                                             p_new > scored.front().assessment.probability);
    if (newcomer) {
      r.customer_ref = uuid_v4();
      r.created = true;
      tx.customer_insert(tenant, CustomerRow{r.customer_ref, at, at, expires});
      r.identity.confidence = 0;
      for (const Scored& c : scored) r.identity.candidates.push_back({c.facts.customer_ref, c.assessment.confidence});
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
      for (std::size_t i = 1; i < scored.size(); ++i)
        r.identity.candidates.push_back({scored[i].facts.customer_ref, scored[i].assessment.confidence});
    }
    r.identity.level = level_of(r.identity.confidence, s);
    r.identity.recommendation = recommendation_of(r.identity.confidence, s);
    if (r.identity.recommendation == "reuse" && !hold.empty()) {
      r.identity.recommendation = "confirm";
      r.identity.evidence.push_back({"hold", 0, hold});
    }
    // Several customers on one number and nothing to tell them apart: it is
    // probably one of them, so the host is asked to confirm which.
    if (s.identity_profile == "probabilistic" && !r.created && r.identity.recommendation == "ignore" &&
        scored.size() > 1 && known_mass >= s.reuse)
      r.identity.recommendation = "confirm";
    if (ids.ani_given && ids.ani.kind != ParsedPhone::Kind::number)
      r.identity.evidence.push_back({"ani", 0, ids.ani.reason + ": not used as an identifier"});

    const bool link_all = r.created || r.identity.recommendation == "reuse";
    for (const Identifier& id : linkable(ids, telco)) {
      const bool on_file = id.type == "ani" ? matched.ani_match
                                            : std::find(matched.matched_keys.begin(), matched.matched_keys.end(),
                                                        id.key) != matched.matched_keys.end();
      if (!link_all && !on_file) continue;
      std::string line;
      if (id.type == "ani") {
        // The host's carrier data; else, for a number new to the customer,
        // its type from the numbering plan (kept, so that it is looked up once).
        line = !telco.line_type.empty() ? telco.line_type : on_file ? std::string() : number_type(id.value);
      }
      tx.link_upsert(tenant, LinkRow{id, r.customer_ref, line, at, at, expires});
    }
    if (!r.created) tx.customer_touch(tenant, r.customer_ref, at, expires);
    return r;
  }

  // Takes `price` credits when billing is on; writes usage either way.
  void meter(Transaction& tx, const std::string& tenant, TenantRow& row, const std::string& op,
             Millis at) const {
    std::int64_t price = 0;
    if (row.settings.billing_enabled) {
      price = op == "start_new" ? row.settings.prices.start_new
              : op == "start_returning" ? row.settings.prices.start_returning
                                        : row.settings.prices.end;
      if (price > 0) {
        if (row.balance < price)
          throw Error(Status::insufficient_credits,
                      fmt::format("insufficient credits: {} needs {}, the balance is {}", op, price,
                                  row.balance));
        row.balance -= price;
        tx.tenant_put(tenant, row);
      }
    }
    tx.usage_add(tenant, format_day(at), op, price);
  }

  // The customer an operation on customer data is about, or NotFound: the
  // one get shows at `now`. With reach_expired (erasure), failing that, one
  // that expired but is not purged yet.
  std::string select(Transaction& tx, const std::string& tenant, const CustomerSelector& who, Millis now,
                     bool reach_expired = false) const {
    Prefetch what{tenant, "", {}, {}};
    if (who.customer_ref) what.refs.push_back(*who.customer_ref);
    if (who.identity_hints)
      what.ids = identifiers_of(*who.identity_hints, options.default_settings.default_region, nullptr).ids;
    tx.prefetch(what);
    if (who.customer_ref) {
      if (auto named = live_ref(tx, tenant, *who.customer_ref, reach_expired ? 0 : now)) return *named;
      throw Error(Status::not_found, fmt::format("customer_ref {} not found", *who.customer_ref));
    }
    if (who.identity_hints) {
      const TenantSettings s = tenant_of(tx, tenant).settings;
      const CallIdentifiers ids = identifiers_of(*who.identity_hints, s.default_region, nullptr);
      auto scored = candidates(tx, tenant, ids, *who.identity_hints, Telco{}, s, now);
      if (scored.empty() && reach_expired)
        scored = candidates(tx, tenant, ids, *who.identity_hints, Telco{}, s, now, Millis{0});
      if (!scored.empty()) return scored.front().facts.customer_ref;
      throw Error(Status::not_found, "no customer matches these identity_hints");
    }
    throw invalid_field({"customer_ref"}, "customer_ref or identity_hints is required");
  }

  CustomerView view(Transaction& tx, const std::string& tenant, const std::string& ref, Millis now,
                    std::int64_t history_limit, const std::optional<CallCursor>& after) const {
    CustomerView v;
    auto customer = tx.customer_get(tenant, ref, now);
    v.customer_ref = ref;
    if (customer) {
      v.created_at = customer->created_at;
      v.last_seen = customer->last_seen;
    }
    for (const LinkRow& l : tx.links_of(tenant, ref, now))
      v.identities.push_back({l.id.type, l.id.key, l.id.value, l.line_type, l.first_seen, l.last_seen});
    for (const IntentRow& i : tx.intents_of(tenant, ref, now, false)) v.intents.push_back(to_intent(i));
    v.variables = to_variables(tx.variables_of(tenant, ref, now), now);
    const std::int64_t fetch =
        history_limit == std::numeric_limits<std::int64_t>::max() ? history_limit : history_limit + 1;
    std::vector<CallRow> calls = tx.calls_of(tenant, ref, now, after, fetch);
    if (static_cast<std::int64_t>(calls.size()) > history_limit) {
      calls.resize(static_cast<std::size_t>(history_limit));
      v.next_cursor = encode_cursor(calls.back());
    }
    for (const CallRow& c : calls)
      v.calls.push_back({c.call_id, c.started_at, c.ended_at, c.channel, c.direction,
                         json::read_string_map(c.call_data_json)});
    return v;
  }

  // ---- start ----------------------------------------------------------------
  std::string start(const std::string& tenant, const StartRequest& req, StartResponse* out) {
    check_tenant(tenant);
    const std::uint64_t fp = fingerprint(json::canonical(req));
    auto tx = store->begin(true);
    // What the start will read, in one batch where the store can: the
    // identifiers as the default region reads them (a tenant with another
    // region and a national number reads its links again).
    const std::string& guess = options.default_settings.default_region;
    std::map<std::string, std::string> call_data;
    CallIdentifiers ids = identifiers_of(req.identity_hints, guess, &call_data);
    Prefetch what{tenant, req.call_id, ids.ids, {}};
    if (req.identity_hints.customer_ref) what.refs.push_back(*req.identity_hints.customer_ref);
    tx->prefetch(what);
    // "Now" is read holding the write lock, so that writers' times follow
    // their order: a racing writer's new customer is never in our future.
    const Millis at = req.at ? req.at : now();
    if (auto call = tx->call_get(tenant, req.call_id)) {
      if (call->start_fingerprint == fp) return call->start_response;
      throw Error(Status::conflict,
                  fmt::format("call_id {} was already used with a different request", req.call_id));
    }
    TenantRow row = tenant_of(*tx, tenant);
    const TenantSettings& s = row.settings;
    if (s.default_region != guess) {
      call_data.clear();
      ids = identifiers_of(req.identity_hints, s.default_region, &call_data);
    }
    Resolution r = resolve(*tx, tenant, req.identity_hints, ids, req.telco, s, at);
    meter(*tx, tenant, row, r.created ? "start_new" : "start_returning", at);

    StartResponse resp;
    resp.call_id = req.call_id;
    resp.customer_ref = r.customer_ref;
    resp.call_start = at;
    resp.identity = std::move(r.identity);
    // A low-confidence match never discloses another customer's data.
    if (!r.created && resp.identity.recommendation != "ignore") {
      for (const IntentRow& i : tx->intents_of(tenant, r.customer_ref, at, true))
        resp.open_intents.push_back(to_intent(i));
      const std::vector<VariableRow> vars = tx->variables_of(tenant, r.customer_ref, at);
      resp.variables = to_variables(vars, at);
      // What a reused match linked lives as long as the customer does.
      const Millis until = kept_until(vars);
      if (resp.identity.recommendation == "reuse" && until > at + ttl_of(s))
        tx->customer_keep(tenant, r.customer_ref, until, ttl_of(s), at);
    }
    std::string text = json::write(resp);

    CallRow call;
    call.call_id = req.call_id;
    call.customer_ref = r.customer_ref;
    call.started_at = at;
    call.channel = req.channel;
    call.direction = req.direction;
    call.call_data_json = json::write_string_map(call_data);
    call.start_fingerprint = fp;
    call.start_response = text;
    call.created_customer = r.created;
    call.expires_at = at + ttl_of(s);
    call.identifiers_json = encode_ids(CallIds{linkable(ids, req.telco), req.telco.line_type});
    tx->call_insert(tenant, call);
    tx->commit();
    if (out) *out = std::move(resp);
    return text;
  }

  // ---- end ------------------------------------------------------------------
  std::string end(const std::string& tenant, const EndRequest& req, EndResponse* out) {
    check_tenant(tenant);
    const std::uint64_t fp = fingerprint(json::canonical(req));
    for (const auto& [name, ttl] : req.variable_ttl_seconds) {
      auto v = req.variables.find(name);
      if (v == req.variables.end() || !v->second)
        throw invalid_field({"variable_ttl_seconds", name}, "names no variable this request sets");
    }
    auto tx = store->begin(true);
    Prefetch what{tenant, req.call_id, {}, {}};
    if (req.identity_hints)
      what.ids = identifiers_of(*req.identity_hints, options.default_settings.default_region, nullptr).ids;
    if (req.customer_ref) what.refs.push_back(*req.customer_ref);
    tx->prefetch(what);
    const Millis at = req.at ? req.at : now();  // holding the write lock, as in start
    std::optional<CallRow> call = tx->call_get(tenant, req.call_id);
    if (call && call->end_fingerprint != 0) {
      if (call->end_fingerprint == fp) return call->end_response;
      throw Error(Status::conflict,
                  fmt::format("call {} already ended with a different request", req.call_id));
    }
    TenantRow row = tenant_of(*tx, tenant);
    const TenantSettings& s = row.settings;
    const Millis ttl = ttl_of(s);
    std::map<std::string, std::string> call_data;
    std::string ref;
    Millis started = at;
    CallIds call_ids;
    // Whether the call is known to be this customer's: the host named it, it
    // was reused or created, or the caller confirmed it. Only then do the
    // end's external ids become the customer's identities.
    bool certain = req.customer_ref.has_value();
    if (call) {
      // A ref merged into the call's customer names it too.
      if (req.customer_ref && *req.customer_ref != call->customer_ref &&
          tx->alias_target(tenant, *req.customer_ref, 0) != call->customer_ref)
        throw Error(Status::conflict, fmt::format("call {} belongs to customer_ref {}, not {}",
                                                  req.call_id, call->customer_ref, *req.customer_ref));
      ref = call->customer_ref;
      started = call->started_at;
      call_data = json::read_string_map(call->call_data_json);
      call_ids = decode_ids(call->identifiers_json);
      if (!tx->customer_get(tenant, ref, 0))
        tx->customer_insert(tenant, CustomerRow{ref, started, at, at + ttl});
    } else if (req.identity_hints) {
      const CallIdentifiers ids = identifiers_of(*req.identity_hints, s.default_region, &call_data);
      const Resolution r = resolve(*tx, tenant, *req.identity_hints, ids, req.telco, s, at);
      ref = r.customer_ref;
      certain = r.created || r.identity.recommendation == "reuse";
      call_ids = CallIds{linkable(ids, req.telco), req.telco.line_type};
    } else if (req.customer_ref) {
      auto named = live_ref(*tx, tenant, *req.customer_ref, at);
      if (!named) throw Error(Status::not_found, fmt::format("customer_ref {} not found", *req.customer_ref));
      ref = *named;
    } else {
      throw Error(Status::not_found,
                  fmt::format("call {} not found: no start was made for it; a standalone end needs "
                              "identity_hints or customer_ref",
                              req.call_id));
    }
    if (at < started) throw invalid_field({"at"}, "the call cannot end before it started");

    EndResponse resp;
    resp.call_id = req.call_id;
    resp.customer_ref = ref;
    resp.call_start = started;
    resp.call_end = at;
    resp.duration_seconds = (at - started) / kSecond;

    for (const IntentUpdate& u : req.intents) {
      std::optional<IntentRow> old = tx->intent_get(tenant, ref, u.intent);
      const bool live = old && old->expires_at > at;
      IntentRow next;
      next.intent = u.intent;
      next.status = u.status;
      next.last_seen = at;
      next.last_call_id = req.call_id;
      next.expires_at = at + ttl;
      if (live && old->status != "resolved") {
        // Still open: this call is one more attempt at it (or its resolution).
        next.first_seen = old->first_seen;
        next.attempt_count = old->attempt_count + (u.status == "resolved" ? 0 : 1);
      } else {
        next.first_seen = at;
        next.attempt_count = 1;
      }
      tx->intent_put(tenant, ref, next);
      ++resp.intents_updated;
    }

    // The customer's live variables when this end may change what keeps the
    // customer (a variable with its own ttl) or link it more identifiers.
    std::vector<VariableRow> vars;
    if (!req.variables.empty() || !req.external_ids.empty() || !call)
      vars = tx->variables_of(tenant, ref, at);
    const Millis kept_before = kept_until(vars);
    if (!req.variables.empty()) {
      std::set<std::string> names;
      for (const VariableRow& v : vars) names.insert(v.name);
      for (const auto& [name, value] : req.variables) {
        vars.erase(
            std::remove_if(vars.begin(), vars.end(), [&](const VariableRow& v) { return v.name == name; }),
            vars.end());
        if (!value) {
          if (tx->variable_delete(tenant, ref, name, at)) ++resp.variables_updated;
          names.erase(name);
          continue;
        }
        auto own = req.variable_ttl_seconds.find(name);
        const std::int64_t own_ttl = own == req.variable_ttl_seconds.end() ? 0 : own->second;
        vars.push_back(VariableRow{name, value->text, req.call_id, at, own_ttl,
                                   at + (own_ttl ? own_ttl * kSecond : ttl)});
        tx->variable_put(tenant, ref, vars.back());
        names.insert(name);
        ++resp.variables_updated;
      }
      if (names.size() > json::kMaxVariablesPerCustomer)
        throw invalid_field({"variables"}, fmt::format("a customer holds at most {} variables; this "
                                                       "request would leave {}",
                                                       json::kMaxVariablesPerCustomer, names.size()));
    }

    const std::vector<Identifier> end_ids = external_identifiers(req.external_ids, &call_data);
    if (!end_ids.empty() && call && !certain) {
      certain = call->created_customer || call->feedback_outcome == "confirmed" ||
                call->feedback_outcome == "corrected" ||
                json::read_start_response(call->start_response).identity.recommendation == "reuse";
    }
    // Kept on the call either way: a later "confirmed" feedback links them.
    if (certain)
      for (const Identifier& id : end_ids) tx->link_upsert(tenant, LinkRow{id, ref, "", at, at, at + ttl});
    add_ids(call_ids, end_ids);
    tx->customer_touch(tenant, ref, at, at + ttl);
    // A variable kept longer than the tenant's ttl keeps its customer, and
    // every link that leads to it (this end's too), as long; once it is gone
    // (deleted, or saved again without its own ttl) they follow the ttl.
    if (const Millis until = kept_until(vars); std::max(until, kept_before) > at + ttl)
      tx->customer_keep(tenant, ref, until, ttl, at);
    meter(*tx, tenant, row, "end", at);

    std::string text = json::write(resp);
    CallRow done = call.value_or(CallRow{});
    done.call_id = req.call_id;
    done.customer_ref = ref;
    done.ended_at = at;
    done.call_data_json = json::write_string_map(call_data);
    done.end_fingerprint = fp;
    done.end_response = text;
    done.identifiers_json = encode_ids(call_ids);
    if (call) {
      tx->call_end(tenant, done);
    } else {
      done.started_at = at;
      done.channel = "voice";
      done.direction = "inbound";
      done.expires_at = at + ttl;
      tx->call_insert(tenant, done);
    }
    tx->commit();
    if (out) *out = resp;
    return text;
  }

  // ---- feedback ---------------------------------------------------------------

  // After rows moved between customers (feedback, merge, unmerge): the
  // customer, with every live link and alias leading to it, lives as long as
  // its variables with their own ttl.
  void keep_alive(Transaction& tx, const std::string& tenant, const std::string& ref, Millis at,
                  Millis ttl) const {
    tx.customer_keep(tenant, ref, kept_until(tx.variables_of(tenant, ref, at)), ttl, at);
  }

  // The customer row exists (a call's customer may have expired before a purge).
  void ensure_customer(Transaction& tx, const std::string& tenant, const std::string& ref, Millis created,
                       Millis at, Millis expires) const {
    if (!tx.customer_get(tenant, ref, 0)) tx.customer_insert(tenant, CustomerRow{ref, created, at, expires});
  }

  // Links the identifiers to ref (refreshing the links it has); how many were new.
  std::int64_t link_to(Transaction& tx, const std::string& tenant, const std::string& ref, const CallIds& c,
                       Millis at, Millis expires) const {
    std::set<Identifier> had;
    for (const LinkRow& l : tx.links_of(tenant, ref, at)) had.insert(l.id);
    std::int64_t added = 0;
    for (const Identifier& id : c.ids) {
      const bool on_file = had.count(id) > 0;
      std::string line;
      if (id.type == "ani") line = !c.line_type.empty() ? c.line_type : on_file ? std::string() : number_type(id.value);
      tx.link_upsert(tenant, LinkRow{id, ref, line, at, at, expires});
      if (!on_file) ++added;
    }
    return added;
  }

  std::int64_t unlink_from(Transaction& tx, const std::string& tenant, const std::string& ref,
                           const CallIds& c) const {
    std::int64_t removed = 0;
    for (const Identifier& id : c.ids) removed += tx.link_delete(tenant, id, ref) ? 1 : 0;
    return removed;
  }

  void check_variable_count(Transaction& tx, const std::string& tenant, const std::string& ref, Millis at) const {
    const std::size_t n = tx.variables_of(tenant, ref, at).size();
    if (n > json::kMaxVariablesPerCustomer)
      throw Error(Status::conflict, fmt::format("customer {} would hold {} variables, more than {}", ref, n,
                                                json::kMaxVariablesPerCustomer));
  }

  // What the call's end saved (intents it last wrote, variables it is the
  // source of) moves with the call; on a name both have, the newer wins.
  void move_call_data(Transaction& tx, const std::string& tenant, const CallRow& call, const std::string& from,
                      const std::string& to, Millis at, FeedbackResponse& resp) const {
    if (call.end_fingerprint == 0) return;
    for (const IntentRow& i : tx.intents_of(tenant, from, 0, false)) {
      if (i.last_call_id != call.call_id) continue;
      const auto there = tx.intent_get(tenant, to, i.intent);
      if (!there || there->last_seen < i.last_seen) tx.intent_put(tenant, to, i);
      tx.intent_delete(tenant, from, i.intent);
      ++resp.intents_moved;
    }
    std::map<std::string, VariableRow> there;
    for (VariableRow& v : tx.variables_of(tenant, to, 0)) there.emplace(v.name, std::move(v));
    for (const VariableRow& v : tx.variables_of(tenant, from, 0)) {
      if (v.source != call.call_id) continue;
      auto t = there.find(v.name);
      if (t == there.end() || t->second.updated_at < v.updated_at) tx.variable_put(tenant, to, v);
      tx.variable_delete(tenant, from, v.name, 0);
      ++resp.variables_moved;
    }
    check_variable_count(tx, tenant, to, at);
  }

  // Merges customer y (created by `call`) into x: every row of y moves to x;
  // on a conflict the newer row wins and both originals are logged.
  MergeLog merge(Transaction& tx, const std::string& tenant, const CallRow& call, const std::string& y,
                 const std::string& x, Millis at, Millis expires, FeedbackResponse& resp) const {
    MergeLog log;
    log.merge_id = uuid_v4();
    log.alias_ref = y;
    log.target_ref = x;
    log.call_id = call.call_id;
    log.alias_customer = *tx.customer_get(tenant, y, 0);
    log.merged_at = at;
    log.expires_at = expires;
    MergeSummary m;
    m.merge_id = log.merge_id;
    m.alias = y;
    m.alias_of = x;

    std::map<Identifier, LinkRow> x_links;
    for (LinkRow& l : tx.links_of(tenant, x, 0)) x_links.emplace(l.id, std::move(l));
    for (const LinkRow& l : tx.links_of(tenant, y, 0)) {
      LinkRow moved = l;
      moved.customer_ref = x;
      auto had = x_links.find(l.id);
      if (had != x_links.end()) {
        const LinkRow& o = had->second;
        log.alias_links.push_back(l);
        log.target_links.push_back(o);
        ++m.conflicts;
        moved.first_seen = std::min(o.first_seen, l.first_seen);
        moved.last_seen = std::max(o.last_seen, l.last_seen);
        moved.expires_at = std::max(o.expires_at, l.expires_at);
        if (o.last_seen >= l.last_seen && !o.line_type.empty()) moved.line_type = o.line_type;
        tx.link_delete(tenant, l.id, x);
      } else {
        log.moved_links.push_back(l.id);
        ++resp.links_added;
      }
      tx.link_upsert(tenant, moved);
      tx.link_delete(tenant, l.id, y);
      ++resp.links_removed;
      ++m.identities;
    }

    for (const IntentRow& i : tx.intents_of(tenant, y, 0, false)) {
      if (const auto o = tx.intent_get(tenant, x, i.intent)) {
        log.alias_intents.push_back(i);
        ++m.conflicts;
        if (i.last_seen > o->last_seen) {
          log.target_intents.push_back(*o);
          tx.intent_put(tenant, x, i);
        }
      } else {
        log.moved_intents.push_back(i.intent);
        tx.intent_put(tenant, x, i);
      }
      tx.intent_delete(tenant, y, i.intent);
      ++m.intents;
    }

    std::map<std::string, VariableRow> x_vars;
    for (VariableRow& v : tx.variables_of(tenant, x, 0)) x_vars.emplace(v.name, std::move(v));
    for (const VariableRow& v : tx.variables_of(tenant, y, 0)) {
      auto o = x_vars.find(v.name);
      if (o != x_vars.end()) {
        log.alias_variables.push_back(v);
        ++m.conflicts;
        if (v.updated_at > o->second.updated_at) {
          log.target_variables.push_back(o->second);
          tx.variable_put(tenant, x, v);
        }
      } else {
        log.moved_variables.push_back(v.name);
        tx.variable_put(tenant, x, v);
      }
      tx.variable_delete(tenant, y, v.name, 0);
      ++m.variables;
    }
    check_variable_count(tx, tenant, x, at);

    // No call of x created x: the moved calls lose the flag (the log keeps it).
    for (const CallRow& c : tx.calls_of(tenant, y, 0, std::nullopt, std::numeric_limits<std::int64_t>::max())) {
      log.moved_calls.emplace_back(c.call_id, c.created_customer);
      tx.call_move(tenant, c.call_id, x, false);
      ++m.calls;
    }
    log.moved_aliases = tx.aliases_retarget(tenant, y, x);
    tx.alias_put(tenant, AliasRow{y, x, at, expires});
    tx.customer_remove(tenant, y);
    tx.customer_touch(tenant, x, log.alias_customer.last_seen, log.alias_customer.expires_at);
    resp.merge = std::move(m);
    return log;
  }

  // A confirmation that finds the caller made a customer twice: the call's
  // number is a personal line (a mobile) linked to the confirmed customer x
  // and to exactly one other, and no identity key tells the two apart (none
  // is on both with different values). That is one person known twice (a
  // first call without the number made one customer, a call from the number
  // another, and a later call with an id linked the number to the first):
  // the other is merged into x, as a correction would merge it, and the
  // answer carries the merge (undone by unmerge). Not when the other's last
  // use of the number, or x's before this call, is older than a carrier's
  // aging period (the number may have changed hands between them). The
  // tenant can turn it off (identity.merge_duplicates). `before`: the
  // number's links as they were before the confirmation refreshed them.
  std::optional<MergeLog> absorb_duplicate(Transaction& tx, const std::string& tenant, const CallRow& call,
                                           const std::string& x, const CallIds& ids,
                                           const std::vector<LinkRow>& before, Millis at, Millis expires,
                                           FeedbackResponse& resp) const {
    const auto ani = std::find_if(ids.ids.begin(), ids.ids.end(),
                                  [](const Identifier& id) { return id.type == "ani"; });
    if (ani == ids.ids.end()) return std::nullopt;
    const LinkRow* mine = nullptr;
    const LinkRow* other = nullptr;
    for (const LinkRow& l : before) {
      if (l.customer_ref == x) {
        mine = &l;
      } else if (other) {
        return std::nullopt;  // three or more customers on the number
      } else {
        other = &l;
      }
    }
    const auto aged = [&](const LinkRow* l) { return l && at - l->last_seen > kNumberAgingDays * kDay; };
    if (!other || aged(other) || aged(mine)) return std::nullopt;
    std::string line = ids.line_type != "unknown" ? ids.line_type : std::string();
    if (line.empty() && mine) line = mine->line_type;
    if (line.empty()) line = !other->line_type.empty() ? other->line_type : number_type(ani->value);
    if (!is_personal_type(line)) return std::nullopt;
    // An identity key on both with no value in common tells them apart.
    std::map<std::string, std::set<std::string>> keys;
    for (const LinkRow& l : tx.links_of(tenant, x, at))
      if (l.id.type == "external_id") keys[l.id.key].insert(l.id.value);
    std::map<std::string, bool> agree;
    for (const LinkRow& l : tx.links_of(tenant, other->customer_ref, at)) {
      if (l.id.type != "external_id" || !keys.count(l.id.key)) continue;
      agree[l.id.key] = agree[l.id.key] || keys[l.id.key].count(l.id.value) > 0;
    }
    for (const auto& [key, same] : agree)
      if (!same) return std::nullopt;
    if (!tx.customer_get(tenant, other->customer_ref, 0)) return std::nullopt;
    // A merge that would hold too many variables is left undone: the
    // confirmation itself stands (a correction's merge is refused instead).
    std::set<std::string> names;
    for (const std::string& ref : {x, other->customer_ref})
      for (const VariableRow& v : tx.variables_of(tenant, ref, 0)) names.insert(v.name);
    if (names.size() > json::kMaxVariablesPerCustomer) return std::nullopt;
    return merge(tx, tenant, call, other->customer_ref, x, at, expires, resp);
  }

  std::string feedback(const std::string& tenant, const FeedbackRequest& req, FeedbackResponse* out) {
    check_tenant(tenant);
    const Millis at = req.at ? req.at : now();
    const std::uint64_t fp = fingerprint(json::canonical(req));
    auto tx = store->begin(true);
    std::optional<CallRow> call = tx->call_get(tenant, req.call_id);
    if (!call) throw Error(Status::not_found, fmt::format("call {} not found", req.call_id));
    if (call->feedback_fingerprint != 0) {
      if (call->feedback_fingerprint == fp) return call->feedback_response;
      throw Error(Status::conflict, fmt::format("call {} already has {} feedback; a different feedback is a "
                                                "conflict",
                                                req.call_id, call->feedback_outcome));
    }
    if (at < call->started_at) throw invalid_field({"at"}, "feedback cannot come before the call started");
    const TenantSettings s = tenant_of(*tx, tenant).settings;
    const Millis expires = at + ttl_of(s);
    const std::string y = call->customer_ref;
    const CallIds ids = decode_ids(call->identifiers_json);

    FeedbackResponse resp;
    resp.call_id = req.call_id;
    resp.outcome = req.outcome;
    resp.previous_customer_ref = y;
    resp.customer_ref = y;
    resp.at = at;
    std::optional<MergeLog> log;
    std::string x = y;
    if (req.outcome == "corrected") {
      auto named = live_ref(*tx, tenant, *req.customer_ref, at);
      if (!named) throw Error(Status::not_found, fmt::format("customer_ref {} not found", *req.customer_ref));
      x = *named;
    }
    std::string counted;  // the outcome recorded for re-estimation
    if (x == y && req.outcome != "rejected") {
      // confirmed, or corrected to the call's own customer: a confirmation.
      ensure_customer(*tx, tenant, y, call->started_at, at, expires);
      std::vector<LinkRow> before;  // the call's number's links, before they are refreshed
      for (const Identifier& id : ids.ids)
        if (id.type == "ani" && s.identity_merge_duplicates) before = tx->links_find(tenant, {id}, at);
      resp.links_added = link_to(*tx, tenant, y, ids, at, expires);
      tx->customer_touch(tenant, y, at, expires);
      counted = "confirmed";
      if (!before.empty()) log = absorb_duplicate(*tx, tenant, *call, y, ids, before, at, expires, resp);
    } else if (req.outcome == "rejected") {
      if (call->created_customer)
        throw Error(Status::conflict, fmt::format("call {} created customer {}: there is no match to reject",
                                                  req.call_id, y));
      const std::string z = uuid_v4();
      tx->customer_insert(tenant, CustomerRow{z, call->started_at, at, expires});
      resp.links_removed = unlink_from(*tx, tenant, y, ids);
      resp.links_added = link_to(*tx, tenant, z, ids, at, expires);
      move_call_data(*tx, tenant, *call, y, z, at, resp);
      tx->call_move(tenant, req.call_id, z, true);
      resp.customer_ref = z;
      resp.customer_created = true;
      counted = "rejected";
    } else if (call->created_customer && tx->customer_get(tenant, y, 0)) {
      log = merge(*tx, tenant, *call, y, x, at, expires, resp);
      resp.customer_ref = x;
    } else {
      // A wrong match: the call, its identifiers and what its end saved go to x.
      counted = "rejected";
      resp.links_removed = unlink_from(*tx, tenant, y, ids);
      resp.links_added = link_to(*tx, tenant, x, ids, at, expires);
      move_call_data(*tx, tenant, *call, y, x, at, resp);
      tx->call_move(tenant, req.call_id, x, false);
      tx->customer_touch(tenant, x, at, expires);
      resp.customer_ref = x;
    }
    keep_alive(*tx, tenant, resp.customer_ref, at, ttl_of(s));
    if (y != resp.customer_ref) keep_alive(*tx, tenant, y, at, ttl_of(s));
    // An answer that named an existing customer was right or wrong; a call
    // that made its own customer was no match to judge.
    if (!counted.empty() && !call->created_customer) {
      const Answered a = answered(*call);
      tx->feedback_stat_add(tenant, a.signal, counted, a.confidence);
    }

    std::string text = json::write(resp);
    if (log) {
      log->response = text;
      tx->merge_insert(tenant, *log);
    }
    CallRow done = *call;
    done.feedback_fingerprint = fp;
    done.feedback_outcome = req.outcome;
    done.feedback_response = text;
    tx->call_feedback(tenant, done);
    tx->commit();
    relearn(tenant);
    if (out) *out = std::move(resp);
    return text;
  }

  std::string unmerge(const std::string& tenant, const UnmergeRequest& req, UnmergeResponse* out) {
    check_tenant(tenant);
    if (req.merge_id.empty() || req.merge_id.size() > json::kMaxMergeId)
      throw invalid_field({"merge_id"}, "merge_id must be 1-64 characters");
    const Millis at = now();
    auto tx = store->begin(true);
    std::optional<MergeLog> log = tx->merge_get(tenant, req.merge_id);
    if (!log) throw Error(Status::not_found, fmt::format("merge_id {} not found", req.merge_id));
    if (log->unmerged_at != 0) return log->unmerge_response;
    const std::string& x = log->target_ref;
    const std::string& y = log->alias_ref;
    if (!tx->customer_get(tenant, x, 0))
      throw Error(Status::conflict,
                  fmt::format("customer {} that {} was merged into is no longer a customer (merged again?); undo "
                              "that first",
                              x, y));
    tx->customer_insert(tenant, log->alias_customer);
    UnmergeResponse r;
    r.merge_id = log->merge_id;
    r.customer_ref = x;
    r.restored_customer_ref = y;
    r.unmerged_at = at;

    std::map<Identifier, LinkRow> x_links;
    for (LinkRow& l : tx->links_of(tenant, x, 0)) x_links.emplace(l.id, std::move(l));
    for (const Identifier& id : log->moved_links) {
      auto cur = x_links.find(id);
      if (cur == x_links.end()) continue;
      LinkRow back = cur->second;
      back.customer_ref = y;
      tx->link_delete(tenant, id, x);
      tx->link_delete(tenant, id, y);
      tx->link_upsert(tenant, back);
      ++r.identities;
    }
    for (const LinkRow& l : log->alias_links) {
      tx->link_delete(tenant, l.id, y);
      tx->link_upsert(tenant, l);
      ++r.identities;
    }
    for (const LinkRow& l : log->target_links) {
      tx->link_delete(tenant, l.id, x);
      tx->link_upsert(tenant, l);
    }

    for (const std::string& name : log->moved_intents) {
      const auto cur = tx->intent_get(tenant, x, name);
      if (!cur) continue;
      tx->intent_put(tenant, y, *cur);
      tx->intent_delete(tenant, x, name);
      ++r.intents;
    }
    for (const IntentRow& i : log->alias_intents) {
      tx->intent_put(tenant, y, i);
      ++r.intents;
    }
    for (const IntentRow& i : log->target_intents) tx->intent_put(tenant, x, i);

    std::map<std::string, VariableRow> x_vars;
    for (VariableRow& v : tx->variables_of(tenant, x, 0)) x_vars.emplace(v.name, std::move(v));
    for (const std::string& name : log->moved_variables) {
      auto cur = x_vars.find(name);
      if (cur == x_vars.end()) continue;
      tx->variable_put(tenant, y, cur->second);
      tx->variable_delete(tenant, x, name, 0);
      ++r.variables;
    }
    for (const VariableRow& v : log->alias_variables) {
      tx->variable_put(tenant, y, v);
      ++r.variables;
    }
    for (const VariableRow& v : log->target_variables) tx->variable_put(tenant, x, v);

    for (const auto& [call_id, created] : log->moved_calls) {
      const auto c = tx->call_get(tenant, call_id);
      if (!c || c->customer_ref != x) continue;
      tx->call_move(tenant, call_id, y, created);
      ++r.calls;
    }
    for (const std::string& a : log->moved_aliases)
      if (tx->alias_target(tenant, a, 0) == x) tx->alias_put(tenant, AliasRow{a, y, log->merged_at, log->expires_at});
    tx->alias_delete(tenant, y);
    const Millis ttl = ttl_of(tenant_of(*tx, tenant).settings);
    keep_alive(*tx, tenant, x, at, ttl);
    keep_alive(*tx, tenant, y, at, ttl);
    // The corrected feedback that merged is undone with it: the call takes feedback again.
    if (auto c = tx->call_get(tenant, log->call_id)) {
      c->feedback_fingerprint = 0;
      c->feedback_outcome.clear();
      c->feedback_response.clear();
      tx->call_feedback(tenant, *c);
    }
    std::string text = json::write(r);
    tx->merge_undone(tenant, r.merge_id, at, text);
    tx->commit();
    if (out) *out = std::move(r);
    return text;
  }
};


Engine::Engine(EngineOptions options)
    : Engine(open_store(options), options) {}

Engine::Engine(std::unique_ptr<Store> store, EngineOptions options) : impl_(new Impl) {
  impl_->options = std::move(options);
  impl_->store = std::move(store);
  impl_->clock = impl_->options.clock ? impl_->options.clock : system_clock();
}

Engine::~Engine() = default;

const Clock& Engine::clock() const { return *impl_->clock; }

namespace {

// Counts code points, as the contract's limits do.
std::size_t characters(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool hex_of_length(const std::string& s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

ApiKey Engine::api_key_create(const ApiKey& key) {
  check_tenant(key.tenant);
  if (characters(key.name) > 64) throw invalid_field({"name"}, "name must be at most 64 characters");
  if (key.key_id.rfind("key_", 0) != 0 || !hex_of_length(key.key_id.substr(4), 16))
    throw invalid_field({"key_id"}, "key_id must be key_ and 16 hex digits");
  if (!hex_of_length(key.key_hash, 64)) throw invalid_field({"key_hash"}, "key_hash must be a hex SHA-256");
  ApiKey row = key;
  row.created_at = impl_->now();
  row.revoked_at = 0;
  auto tx = impl_->store->begin(true);
  if (tx->api_key_by_id(row.key_id) || tx->api_key_by_hash(row.key_hash))
    throw Error(Status::conflict, "an API key with this key_id or key exists already");
  tx->api_key_insert(row);
  tx->commit();
  return row;
}

std::vector<ApiKey> Engine::api_keys(const std::string& tenant) {
  check_tenant(tenant);
  auto tx = impl_->store->begin(false);
  return tx->api_keys_of(tenant);
}

ApiKey Engine::api_key_revoke(const std::string& key_id) {
  auto tx = impl_->store->begin(true);
  std::optional<ApiKey> key = tx->api_key_by_id(key_id);
  if (!key) throw Error(Status::not_found, "no API key " + key_id);
  if (key->revoked_at == 0) {
    key->revoked_at = impl_->now();
    tx->api_key_revoke(key->tenant, key_id, key->revoked_at);
    tx->commit();
  }
  return *key;
}

std::optional<ApiCaller> Engine::authenticate(const std::string& key_hash) {
  auto tx = impl_->store->begin(false);
  const std::optional<ApiKey> key = tx->api_key_by_hash(key_hash);
  if (!key || key->revoked_at != 0) return std::nullopt;
  return ApiCaller{key->tenant, key->key_id, impl_->tenant_of(*tx, key->tenant).settings.rate_limit_per_minute};
}

void Engine::ping() {
  auto tx = impl_->store->begin(false);
  tx->tenant_get("-");  // "-" is no tenant's: any read proves the store answers
}

// A request built in C++ is validated as the wire's would be: its canonical
// form is a request, parsed with every check of the codec.
StartResponse Engine::start_call(const std::string& tenant, const StartRequest& request) {
  StartResponse resp;
  std::string text = impl_->start(tenant, json::parse_start(json::canonical(request)), &resp);
  // A replay answers the stored bytes and leaves resp empty.
  return resp.call_id.empty() ? json::read_start_response(text) : resp;
}

EndResponse Engine::end_call(const std::string& tenant, const EndRequest& request) {
  EndResponse resp;
  std::string text = impl_->end(tenant, json::parse_end(json::canonical(request)), &resp);
  return resp.call_id.empty() ? json::read_end_response(text) : resp;
}

CustomerView Engine::get_customer(const std::string& tenant, const GetRequest& request) {
  check_tenant(tenant);
  if (request.history_limit < 1 || request.history_limit > 100)
    throw invalid_field({"history_limit"}, "history_limit must be an integer from 1 to 100");
  const Millis now = impl_->now();
  const auto after = decode_cursor(request.cursor);
  auto tx = impl_->store->begin(false);
  const std::string ref = impl_->select(*tx, tenant, request.who, now);
  return impl_->view(*tx, tenant, ref, now, request.history_limit, after);
}

ForgetReceipt Engine::forget_customer(const std::string& tenant, const CustomerSelector& who) {
  check_tenant(tenant);
  const Millis now = impl_->now();
  auto tx = impl_->store->begin(true);
  // Erasure takes the customer get shows, or else one whose data expired but
  // is not purged yet (erasure reaches it too).
  const std::string ref = impl_->select(*tx, tenant, who, now, true);
  ForgetReceipt receipt{ref, tx->customer_delete(tenant, ref)};
  tx->commit();
  return receipt;
}

CustomerView Engine::export_customer(const std::string& tenant, const CustomerSelector& who) {
  check_tenant(tenant);
  const Millis now = impl_->now();
  auto tx = impl_->store->begin(false);
  const std::string ref = impl_->select(*tx, tenant, who, now);
  return impl_->view(*tx, tenant, ref, now, std::numeric_limits<std::int64_t>::max(), std::nullopt);
}

TenantSettings Engine::configure_tenant(const std::string& tenant, const TenantSettingsPatch& p) {
  // Storing the settings of a tenant never configured would freeze today's
  // default_settings for it: {} only reads.
  if (empty(p)) return tenant_settings(tenant);
  check_tenant(tenant);
  auto tx = impl_->store->begin(true);
  const std::optional<TenantRow> stored = tx->tenant_get(tenant);
  TenantRow row = stored.value_or(TenantRow{impl_->options.default_settings, 0});
  TenantSettings& s = row.settings;
  const std::int64_t old_ttl = s.ttl_days;
  apply(s, p);
  check(s);
  if (s.ttl_days != old_ttl) tx->tenant_shift_expiry(tenant, (s.ttl_days - old_ttl) * kDay);
  tx->tenant_put(tenant, row);
  tx->commit();
  return s;
}

TenantSettings Engine::tenant_settings(const std::string& tenant) {
  check_tenant(tenant);
  auto tx = impl_->store->begin(false);
  return impl_->tenant_of(*tx, tenant).settings;
}

std::int64_t Engine::grant_credits(const std::string& tenant, const CreditGrant& grant) {
  check_tenant(tenant);
  if (grant.amount < 1) throw invalid_field({"amount"}, "amount must be a positive integer");
  if (grant.idempotency_key.empty() || grant.idempotency_key.size() > 128)
    throw invalid_field({"idempotency_key"}, "idempotency_key must be 1-128 characters");
  auto tx = impl_->store->begin(true);
  TenantRow row = impl_->tenant_of(*tx, tenant);
  if (auto earlier = tx->grant_get(tenant, grant.idempotency_key)) {
    if (*earlier != grant.amount)
      throw Error(Status::conflict, fmt::format("idempotency_key {} was already used for {} credits",
                                                grant.idempotency_key, *earlier));
    return row.balance;
  }
  if (row.balance > std::numeric_limits<std::int64_t>::max() - grant.amount)
    throw invalid_field({"amount"}, "the balance would overflow");
  row.balance += grant.amount;
  tx->grant_insert(tenant, grant.idempotency_key, grant.amount, impl_->now());
  tx->tenant_put(tenant, row);
  tx->commit();
  return row.balance;
}

UsageReport Engine::usage(const std::string& tenant, const UsageRequest& request) {
  check_tenant(tenant);
  const Millis to = request.to ? request.to : impl_->now();
  if (to < request.from) throw invalid_field({"to"}, "to is before from");
  auto tx = impl_->store->begin(false);
  UsageReport r;
  r.balance = impl_->tenant_of(*tx, tenant).balance;
  r.days = tx->usage_between(tenant, format_day(request.from), format_day(to));
  return r;
}

PurgeResult Engine::purge_expired(const PurgeRequest& request) {
  if (request.limit < 1) throw invalid_field({"limit"}, "limit must be a positive integer");
  const Millis now = request.now ? request.now : impl_->now();
  auto tx = impl_->store->begin(true);
  PurgeResult r;
  r.deleted = tx->purge(now, request.limit);
  tx->commit();
  r.more = r.deleted.total() >= request.limit;
  return r;
}

std::string Engine::start_call_json(const std::string& tenant, std::string_view request) {
  return impl_->start(tenant, json::parse_start(request), nullptr);
}
std::string Engine::end_call_json(const std::string& tenant, std::string_view request) {
  return impl_->end(tenant, json::parse_end(request), nullptr);
}
std::string Engine::get_customer_json(const std::string& tenant, std::string_view request) {
  return json::write(get_customer(tenant, json::parse_get(request)));
}
std::string Engine::forget_customer_json(const std::string& tenant, std::string_view request) {
  return json::write(forget_customer(tenant, json::parse_selector(request)));
}
std::string Engine::export_customer_json(const std::string& tenant, std::string_view request) {
  return json::write(export_customer(tenant, json::parse_selector(request)));
}
std::string Engine::configure_tenant_json(const std::string& tenant, std::string_view settings) {
  return json::write(configure_tenant(tenant, json::parse_settings(settings)));
}
std::string Engine::tenant_settings_json(const std::string& tenant, std::string_view request) {
  json::parse_empty(request);
  return json::write(tenant_settings(tenant));
}
std::string Engine::grant_credits_json(const std::string& tenant, std::string_view request) {
  return json::write_balance(grant_credits(tenant, json::parse_grant(request)));
}
std::string Engine::usage_json(const std::string& tenant, std::string_view request) {
  return json::write(usage(tenant, json::parse_usage(request)));
}
std::string Engine::purge_expired_json(std::string_view request) {
  return json::write(purge_expired(json::parse_purge(request)));
}

FeedbackResponse Engine::identity_feedback(const std::string& tenant, const FeedbackRequest& request) {
  FeedbackResponse resp;
  std::string text = impl_->feedback(tenant, json::parse_feedback(json::canonical(request)), &resp);
  return resp.call_id.empty() ? json::read_feedback_response(text) : resp;
}

UnmergeResponse Engine::unmerge(const std::string& tenant, const UnmergeRequest& request) {
  UnmergeResponse resp;
  std::string text = impl_->unmerge(tenant, request, &resp);
  return resp.merge_id.empty() ? json::read_unmerge_response(text) : resp;
}

std::string Engine::identity_feedback_json(const std::string& tenant, std::string_view request) {
  return impl_->feedback(tenant, json::parse_feedback(request), nullptr);
}

std::string Engine::unmerge_json(const std::string& tenant, std::string_view request) {
  return impl_->unmerge(tenant, json::parse_unmerge(request), nullptr);
}

}  // namespace callmem
