#include "console.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "api_keys.hpp"
#include "callmem/detail/wire.hpp"
#include "engine.hpp"
#include "json/codec.hpp"
#include "metrics.hpp"
#include "reason.hpp"
#include "store/store.hpp"

namespace callmem::server {
namespace {

constexpr const char* kCookie = "callmem_console";
constexpr std::int64_t kDayMs = 86400000;
constexpr std::int64_t kIdleMs = 30 * 60 * 1000;        // a session unused this long ends
constexpr std::int64_t kLifetimeMs = 12 * 3600 * 1000;  // and any session after this
constexpr std::size_t kMaxSessions = 10000;             // the oldest go first past it
constexpr std::int64_t kMaxDays = 90;                   // a period's longest
constexpr std::int64_t kMaxCalls = 200000;              // calls a period's charts count at most
constexpr int kBins = 10;                               // of the reliability diagram
constexpr std::int64_t kDriftMinSamples = 30;           // a week's ECE is judged from this many answers on
constexpr std::int64_t kCacheMs = 60000;                // a period's calls are read again after this
constexpr std::size_t kCacheEntries = 4;                // periods kept; each at most kMaxCalls calls (~20 MB)

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 32 bytes of the operating system's CSPRNG, in hex.
std::string random_hex() {
  unsigned char bytes[32];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");
    }
    got += static_cast<std::size_t>(n);
  }
  std::string s;
  for (const unsigned char b : bytes) s += fmt::format("{:02x}", b);
  return s;
}

// Compares secrets in a time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  detail::Writer w;
  w.begin_object().key("error").str(reason(status)).key("message").str(message).end_object();
  reply(res, status, w.take());
}

std::string day_of(Millis t) { return detail::format_time(t).substr(0, 10); }

// "YYYY-MM-DD" as the day number since 1970-01-01, or nullopt.
std::optional<std::int64_t> parse_day(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const std::int64_t days = detail::days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  if (day_of(days * kDayMs) != s) return std::nullopt;  // 2026-02-30
  return days;
}

// A period of whole UTC days, from and to included: ?from=YYYY-MM-DD&to=YYYY-MM-DD,
// by default the 30 days to today.
struct Period {
  std::int64_t first_day = 0, last_day = 0;
  Millis from() const { return first_day * kDayMs; }
  Millis to() const { return (last_day + 1) * kDayMs; }  // excluded
};

// Opens a period's answer: its tenant, its days, and whether its calls were
// cut at kMaxCalls.
void begin_period(detail::Writer& w, const std::string& tenant, const Period& p, std::size_t calls) {
  w.begin_object();
  w.key("tenant").str(tenant);
  w.key("from").str(day_of(p.from()));
  w.key("to").str(day_of(p.to() - 1));
  w.key("truncated").boolean(static_cast<std::int64_t>(calls) >= kMaxCalls);
}

std::optional<Period> period_of(const httplib::Request& req, httplib::Response& res) {
  Period p;
  p.last_day = now_ms() / kDayMs;
  p.first_day = p.last_day - 29;
  for (const auto& [name, day] :
       {std::pair<const char*, std::int64_t*>{"from", &p.first_day}, {"to", &p.last_day}}) {
    if (!req.has_param(name)) continue;
    const auto d = parse_day(req.get_param_value(name));
    if (!d) {
      reply_error(res, 400, fmt::format("{} must be a day, YYYY-MM-DD", name));
      return std::nullopt;
    }
    *day = *d;
  }
  if (req.has_param("to") && !req.has_param("from")) p.first_day = p.last_day - 29;
  if (p.first_day > p.last_day) {
    reply_error(res, 400, "from must not be after to");
    return std::nullopt;
  }
  if (p.last_day - p.first_day + 1 > kMaxDays) {
    reply_error(res, 400, fmt::format("a period is at most {} days", kMaxDays));
    return std::nullopt;
  }
  return p;
}

struct Session {
  bool admin = false;  // an admin key's: may switch tenants
  std::string tenant;  // the key's; an admin's chosen one ("" before the choice)
  std::string key_id;
  std::string key_hash;  // checked on every request: a revoked key ends its sessions
  std::string csrf;
  Millis created = 0;
  Millis used = 0;
};

// Calibration of the answers that had feedback: confidence bins against the
// share confirmed (the answer named the right customer).
struct Calibration {
  std::int64_t count[kBins] = {};
  std::int64_t confirmed[kBins] = {};
  double confidence[kBins] = {};  // sums
  std::int64_t samples = 0;

  void add(double c, bool right) {
    const int b = std::min(kBins - 1, std::max(0, static_cast<int>(c * kBins)));
    ++count[b];
    confirmed[b] += right ? 1 : 0;
    confidence[b] += c;
    ++samples;
  }
  // Expected calibration error: the bins' |share confirmed - mean confidence|,
  // weighted by their answers.
  double ece() const {
    if (samples == 0) return 0;
    double e = 0;
    for (int b = 0; b < kBins; ++b)
      if (count[b] > 0)
        e += static_cast<double>(count[b]) / static_cast<double>(samples) *
             std::fabs(static_cast<double>(confirmed[b]) / static_cast<double>(count[b]) -
                       confidence[b] / static_cast<double>(count[b]));
    return e;
  }
};

bool is_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

double round4(double v) { return std::round(v * 10000) / 10000; }

}  // namespace

struct Console::Impl {
  Engine& engine;
  Store* store;
  const Metrics& metrics;
  ConsoleOptions options;
  std::mutex mutex;
  std::unordered_map<std::string, Session> sessions;
  // A period's calls, kept a minute: the overview and identity pages, and a
  // page reloaded, read the tenant's calls once (docs/console.md).
  struct CachedCalls {
    Millis at = 0;
    std::shared_ptr<const std::vector<CallOutcome>> calls;
  };
  std::mutex cache_mutex;
  std::map<std::tuple<std::string, std::int64_t, std::int64_t>, CachedCalls> cache;

  Impl(Engine& e, Store* s, const Metrics& m, ConsoleOptions o)
      : engine(e), store(s), metrics(m), options(std::move(o)) {}

  // ---- sessions

  std::string cookie_of(const httplib::Request& req) const {
    const std::string header = req.get_header_value("Cookie");
    const std::string name = std::string(kCookie) + "=";
    for (std::size_t at = 0; at < header.size();) {
      while (at < header.size() && (header[at] == ' ' || header[at] == ';')) ++at;
      const std::size_t end = std::min(header.find(';', at), header.size());
      if (header.compare(at, name.size(), name) == 0)
        return header.substr(at + name.size(), end - at - name.size());
      at = end;
    }
    return "";
  }

  std::string cookie(const std::string& id, std::int64_t max_age_s) const {
    return fmt::format("{}={}; Path=/console; Max-Age={}; HttpOnly; SameSite=Strict{}", kCookie, id,
                       max_age_s, options.secure_cookie ? "; Secure" : "");
  }

  // The request's live session, or an answer saying why there is none.
  std::optional<Session> session(const httplib::Request& req, httplib::Response& res, std::string* id_out) {
    const std::string id = cookie_of(req);
    std::optional<Session> s;
    const Millis now = now_ms();
    if (!id.empty()) {
      const std::lock_guard<std::mutex> lock(mutex);
      const auto it = sessions.find(id);
      if (it != sessions.end()) {
        if (now - it->second.used > kIdleMs || now - it->second.created > kLifetimeMs) {
          sessions.erase(it);
        } else {
          it->second.used = now;
          s = it->second;
        }
      }
    }
    if (!s) {
      reply_error(res, 401, "not signed in: sign in with an API key");
      return std::nullopt;
    }
    const std::optional<ApiCaller> caller = engine.authenticate(s->key_hash);
    if (!caller || (caller->tenant == kAdminTenant) != s->admin) {
      end_session(id);
      reply_error(res, 401, "the session's API key was revoked: sign in again");
      return std::nullopt;
    }
    if (id_out) *id_out = id;
    return s;
  }

  void end_session(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mutex);
    sessions.erase(id);
  }

  // A change must carry the session's CSRF token in X-CSRF-Token, and come
  // from this origin when the browser says where it comes from.
  bool csrf_ok(const httplib::Request& req, httplib::Response& res, const Session& s) {
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty() && origin != "null") {
      const std::size_t scheme = origin.find("://");
      if (scheme == std::string::npos || origin.substr(scheme + 3) != req.get_header_value("Host")) {
        reply_error(res, 403, "the request comes from another origin");
        return false;
      }
    }
    if (!same_secret(req.get_header_value("X-CSRF-Token"), s.csrf)) {
      reply_error(res, 403, "missing or wrong X-CSRF-Token: reload the console");
      return false;
    }
    return true;
  }

  void write_session(detail::Writer& w, const Session& s) {
    w.begin_object();
    w.key("tenant").str(s.tenant);
    w.key("admin").boolean(s.admin);
    w.key("key_id").str(s.key_id);
    w.key("csrf_token").str(s.csrf);
    w.key("expires_at").time(std::min(s.used + kIdleMs, s.created + kLifetimeMs));
    w.end_object();
  }

  void sign_in(const httplib::Request& req, httplib::Response& res) {
    const std::string key = req.has_param("key") ? req.get_param_value("key") : "";
    if (key.empty()) {
      reply_error(res, 400, "give the API key (form field key)");
      return;
    }
    const std::string hash = hash_key(key);
    const std::optional<ApiCaller> caller = engine.authenticate(hash);
    if (!caller) {
      reply_error(res, 401, "invalid API key: unknown or revoked");
      return;
    }
    const bool admin = caller->tenant == kAdminTenant;
    Session s{admin, admin ? "" : caller->tenant, caller->key_id, hash, random_hex(), now_ms(), now_ms()};
    const std::string id = random_hex();
    {
      const std::lock_guard<std::mutex> lock(mutex);
      for (auto it = sessions.begin(); it != sessions.end();)  // the ended ones
        it = s.used - it->second.used > kIdleMs || s.used - it->second.created > kLifetimeMs
                 ? sessions.erase(it)
                 : std::next(it);
      while (sessions.size() >= kMaxSessions)
        sessions.erase(std::min_element(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) {
          return a.second.used < b.second.used;
        }));
      sessions.emplace(id, s);
    }
    res.set_header("Set-Cookie", cookie(id, kLifetimeMs / 1000));
    detail::Writer w;
    write_session(w, s);
    reply(res, 200, w.take());
  }

  // ---- data

  std::unique_ptr<Transaction> read(const std::string& tenant) {
    if (store == nullptr) throw Error(Status::busy, "the console has no store of its own");
    return store->begin(tenant, Access::read);
  }

  std::shared_ptr<const std::vector<CallOutcome>> calls_of(Transaction& tx, const Period& p) {
    const auto key = std::make_tuple(tx.tenant(), p.first_day, p.last_day);
    const Millis now = now_ms();
    {
      const std::lock_guard<std::mutex> lock(cache_mutex);
      const auto it = cache.find(key);
      if (it != cache.end() && now - it->second.at < kCacheMs) return it->second.calls;
    }
    auto calls =
        std::make_shared<const std::vector<CallOutcome>>(tx.calls_between(p.from(), p.to(), kMaxCalls));
    const std::lock_guard<std::mutex> lock(cache_mutex);
    for (auto it = cache.begin(); it != cache.end();)
      it = now - it->second.at >= kCacheMs ? cache.erase(it) : std::next(it);
    if (cache.size() >= kCacheEntries)
      cache.erase(std::min_element(cache.begin(), cache.end(),
                                   [](const auto& a, const auto& b) { return a.second.at < b.second.at; }));
    cache[key] = CachedCalls{now, calls};
    return calls;
  }

  void overview(const std::string& tenant, const Period& p, httplib::Response& res) {
    auto tx = read(tenant);
    const std::shared_ptr<const std::vector<CallOutcome>> read_calls = calls_of(*tx, p);
    const std::vector<CallOutcome>& calls = *read_calls;
    const std::vector<UsageRow> usage = tx->usage_between(day_of(p.from()), day_of(p.to() - 1));
    const std::optional<TenantRow> row = tx->tenant_get();
    tx->commit();

    struct Day {
      std::int64_t starts = 0, ends = 0, reuse = 0, confirm = 0, ignore = 0, credits = 0;
    };
    std::map<std::int64_t, Day> days;
    for (std::int64_t d = p.first_day; d <= p.last_day; ++d) days[d];
    Day total;
    for (const CallOutcome& c : calls) {
      Day& d = days[c.started_at / kDayMs];
      if (!c.recommendation.empty()) {  // a standalone end was not started here
        ++d.starts;
        ++total.starts;
      }
      if (c.recommendation == "reuse") ++d.reuse, ++total.reuse;
      if (c.recommendation == "confirm") ++d.confirm, ++total.confirm;
      if (c.recommendation == "ignore") ++d.ignore, ++total.ignore;
      if (c.ended_at != 0 && c.ended_at < p.to()) {
        ++days[std::max(p.first_day, c.ended_at / kDayMs)].ends;
        ++total.ends;
      }
    }
    for (const UsageRow& u : usage)
      if (const auto d = parse_day(u.day)) {
        days[*d].credits += u.credits;
        total.credits += u.credits;
      }

    detail::Writer w;
    begin_period(w, tenant, p, calls.size());
    auto counts = [&](const Day& d) {
      w.key("starts").i64(d.starts).key("ends").i64(d.ends);
      w.key("reuse").i64(d.reuse).key("confirm").i64(d.confirm).key("ignore").i64(d.ignore);
      w.key("credits_spent").i64(d.credits);
    };
    w.key("days").begin_array();
    for (const auto& [d, day] : days) {
      w.begin_object().key("day").str(day_of(d * kDayMs));
      counts(day);
      w.end_object();
    }
    w.end_array();
    w.key("totals").begin_object();
    counts(total);
    w.end_object();
    w.key("credits").begin_object();
    w.key("balance").i64(row ? row->balance : 0);
    w.key("billing_enabled").boolean(row ? row->settings.billing_enabled : false);
    w.end_object();
    // This process's figures since it started, every tenant's together.
    w.key("server").begin_object();
    for (const auto& [name, route] :
         {std::pair<const char*, const char*>{"start", "/v1/calls/start"}, {"end", "/v1/calls/end"}}) {
      w.key(name).begin_object();
      w.key("requests").i64(metrics.count(route));
      for (const auto& [q, label] : {std::pair<double, const char*>{0.5, "p50_ms"}, {0.99, "p99_ms"}}) {
        const double v = metrics.quantile_ms(route, q);
        w.key(label);
        if (v < 0)
          w.null();
        else
          w.num(v, label);
      }
      w.end_object();
    }
    w.key("store_errors").i64(metrics.store_errors());
    w.end_object();
    w.end_object();
    reply(res, 200, w.take());
  }

  void identity(const std::string& tenant, const Period& p, double threshold, httplib::Response& res) {
    auto tx = read(tenant);
    const std::shared_ptr<const std::vector<CallOutcome>> read_calls = calls_of(*tx, p);
    const std::vector<CallOutcome>& calls = *read_calls;
    const MergeCounts merges = tx->merges_between(p.from(), p.to());
    tx->commit();

    // The period's weeks, the last one ending with the period (the first may be short).
    const std::int64_t weeks = (p.last_day - p.first_day) / 7 + 1;
    Calibration all;
    std::vector<Calibration> by_week(static_cast<std::size_t>(weeks));
    std::int64_t confirmed = 0, rejected = 0, corrected = 0;
    for (const CallOutcome& c : calls) {
      if (c.feedback.empty() || c.confidence < 0) continue;
      const bool right = c.feedback == "confirmed";
      confirmed += right ? 1 : 0;
      rejected += c.feedback == "rejected" ? 1 : 0;
      corrected += c.feedback == "corrected" ? 1 : 0;
      all.add(c.confidence, right);
      const std::int64_t back = (p.last_day - c.started_at / kDayMs) / 7;
      by_week[static_cast<std::size_t>(weeks - 1 - back)].add(c.confidence, right);
    }

    detail::Writer w;
    begin_period(w, tenant, p, calls.size());
    w.key("samples").i64(all.samples);
    w.key("ece").num(round4(all.ece()), "ece");
    w.key("bins").begin_array();
    for (int b = 0; b < kBins; ++b) {
      w.begin_object();
      w.key("from").num(static_cast<double>(b) / kBins, "from");
      w.key("to").num(static_cast<double>(b + 1) / kBins, "to");
      w.key("count").i64(all.count[b]);
      w.key("confirmed").i64(all.confirmed[b]);
      w.key("mean_confidence");
      if (all.count[b] > 0)
        w.num(round4(all.confidence[b] / static_cast<double>(all.count[b])), "mean_confidence");
      else
        w.null();
      w.key("share_confirmed");
      if (all.count[b] > 0)
        w.num(round4(static_cast<double>(all.confirmed[b]) / static_cast<double>(all.count[b])),
              "share_confirmed");
      else
        w.null();
      w.end_object();
    }
    w.end_array();
    w.key("feedback").begin_object();
    w.key("confirmed").i64(confirmed).key("rejected").i64(rejected).key("corrected").i64(corrected);
    w.end_object();
    w.key("merges").i64(merges.merged);
    w.key("unmerges").i64(merges.unmerged);
    w.key("weeks").begin_array();
    for (std::int64_t i = 0; i < weeks; ++i) {
      const std::int64_t last = p.last_day - (weeks - 1 - i) * 7;
      w.begin_object();
      w.key("from").str(day_of(std::max(p.first_day, last - 6) * kDayMs));
      w.key("to").str(day_of(last * kDayMs));
      w.key("samples").i64(by_week[static_cast<std::size_t>(i)].samples);
      w.key("ece").num(round4(by_week[static_cast<std::size_t>(i)].ece()), "ece");
      w.end_object();
    }
    w.end_array();
    // Drift: the last week's answers are judged once there are enough of them.
    const Calibration& last = by_week.back();
    w.key("drift").begin_object();
    w.key("threshold").num(threshold, "threshold");
    w.key("min_samples").i64(kDriftMinSamples);
    w.key("last_week_ece").num(round4(last.ece()), "last_week_ece");
    w.key("last_week_samples").i64(last.samples);
    w.key("warning").boolean(last.samples >= kDriftMinSamples && last.ece() > threshold);
    w.end_object();
    w.end_object();
    reply(res, 200, w.take());
  }

  void lookup(const std::string& tenant, const httplib::Request& req, httplib::Response& res) {
    const std::string by = req.get_param_value("by");
    const std::string value = req.get_param_value("value");
    if (value.empty()) {
      reply_error(res, 400, "give the value to look up (form field value)");
      return;
    }
    detail::Writer w;
    w.begin_object();
    if (by == "number") {
      w.key("identity_hints").begin_object().key("ani").str(value).end_object();
    } else if (by == "external_id") {
      const std::string key = req.has_param("id_key") ? req.get_param_value("id_key") : "";
      if (key.empty()) {
        reply_error(res, 400, "give the external id's key (form field id_key, e.g. crm_id)");
        return;
      }
      w.key("identity_hints").begin_object().key("external_ids").begin_object().key(key).str(value);
      w.end_object().end_object();
    } else if (by == "ref") {
      w.key("customer_ref").str(value);
    } else {
      reply_error(res, 400, "by must be number, external_id or ref");
      return;
    }
    w.key("history_limit").i64(50);
    reply(res, 200, engine.get_customer_json(tenant, w.end_object().take()));
  }

  void forget(const std::string& tenant, const httplib::Request& req, httplib::Response& res) {
    const std::string ref = req.get_param_value("customer_ref");
    if (ref.empty()) {
      reply_error(res, 400, "give the customer_ref to erase");
      return;
    }
    detail::Writer w;
    reply(res, 200,
          engine.forget_customer_json(tenant,
                                      w.begin_object().key("customer_ref").str(ref).end_object().take()));
  }

  void write_key(detail::Writer& w, const ApiKey& k) {
    w.begin_object();
    w.key("key_id").str(k.key_id);
    w.key("name").str(k.name);
    w.key("created_at").time(k.created_at);
    w.key("revoked_at");
    if (k.revoked_at)
      w.time(k.revoked_at);
    else
      w.null();
    w.end_object();
  }

  void keys(const Session& s, httplib::Response& res) {
    detail::Writer w;
    w.begin_object().key("tenant").str(s.tenant).key("keys").begin_array();
    for (const ApiKey& k : engine.api_keys(s.tenant)) write_key(w, k);
    w.end_array().end_object();
    reply(res, 200, w.take());
  }

  void create_key(const Session& s, const httplib::Request& req, httplib::Response& res) {
    const NewKey made = make_key();
    ApiKey k;
    k.key_id = made.key_id;
    k.tenant = s.tenant;
    k.name = req.has_param("name") ? req.get_param_value("name") : "";
    k.key_hash = made.hash;
    const ApiKey stored = engine.api_key_create(k);
    detail::Writer w;
    w.begin_object().key("key").str(made.key).key("key_id").str(stored.key_id).key("name").str(stored.name);
    w.key("created_at").time(stored.created_at).end_object();
    reply(res, 200, w.take());
  }

  void revoke_key(const Session& s, const std::string& key_id, httplib::Response& res) {
    const std::vector<ApiKey> mine = engine.api_keys(s.tenant);
    if (std::none_of(mine.begin(), mine.end(), [&](const ApiKey& k) { return k.key_id == key_id; })) {
      reply_error(res, 404, "the tenant has no key " + key_id);  // another tenant's is not told apart
      return;
    }
    detail::Writer w;
    write_key(w, engine.api_key_revoke(key_id));
    reply(res, 200, w.take());
  }

  // ---- an admin's tenants

  void tenants(httplib::Response& res) {
    if (store == nullptr) throw Error(Status::busy, "the console has no store of its own");
    auto tx = store->begin_all(Access::read);
    const std::vector<TenantCounts> counts = tx->tenant_counts(now_ms());
    tx->commit();
    detail::Writer w;
    w.begin_object().key("tenants").begin_array();
    for (const TenantCounts& t : counts) {
      if (t.tenant == kAdminTenant) continue;  // the admin keys' own row
      w.begin_object()
          .key("tenant")
          .str(t.tenant)
          .key("customers")
          .i64(t.customers)
          .key("calls")
          .i64(t.calls);
      w.key("keys").i64(t.keys).end_object();
    }
    w.end_array().end_object();
    reply(res, 200, w.take());
  }

  void switch_tenant(const std::string& id, const httplib::Request& req, httplib::Response& res) {
    const std::string tenant = req.get_param_value("tenant");
    engine.tenant_settings(tenant);  // refuses a name that is not a tenant's
    Session s;
    {
      const std::lock_guard<std::mutex> lock(mutex);
      const auto it = sessions.find(id);
      if (it == sessions.end()) {
        reply_error(res, 401, "not signed in: sign in with an API key");
        return;
      }
      it->second.tenant = tenant;
      s = it->second;
    }
    detail::Writer w;
    write_session(w, s);
    reply(res, 200, w.take());
  }

  // ---- pages

  void page(const std::string& path, std::string& route, httplib::Response& res) {
    route = "/console/{file}";
    if (options.static_dir.empty() || !is_file(options.static_dir + "/index.html")) {
      reply_error(res, 404,
                  "the console is not built: build the target callmem_console (it needs npm), or give "
                  "--console-dir");
      return;
    }
    std::string file = path.size() <= 9 ? "index.html" : path.substr(9);  // after "/console/"
    bool safe = file.find("..") == std::string::npos && file.front() != '/';
    for (const char c : file)
      safe = safe &&
             (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/');
    const std::string full = options.static_dir + "/" + file;
    if (!safe || !is_file(full)) {
      reply_error(res, 404, "no page " + path);
      return;
    }
    std::ifstream in(full, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    const std::string ext = file.substr(file.rfind('.') + 1);
    const char* type = ext == "html"  ? "text/html; charset=utf-8"
                       : ext == "js"  ? "text/javascript; charset=utf-8"
                       : ext == "css" ? "text/css; charset=utf-8"
                       : ext == "svg" ? "image/svg+xml"
                       : ext == "png" ? "image/png"
                                      : "application/octet-stream";
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                   "frame-ancestors 'none'; form-action 'self'");
    res.set_header("X-Frame-Options", "DENY");
    res.set_content(body.str(), type);
  }

  // ---- routing

  void serve(const httplib::Request& req, httplib::Response& res, std::string& route, std::string& tenant) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    const std::string& path = req.path;
    const std::string& m = req.method;
    if (path == "/console") {
      route = "/console";
      res.set_redirect("/console/");
      return;
    }
    if (path.rfind("/console/api/", 0) != 0) {
      if (m != "GET" && m != "HEAD") {
        route = "/console/{file}";
        reply_error(res, 405, "pages take GET");
        return;
      }
      page(path, route, res);
      return;
    }
    if (m != "GET" &&
        req.target.find('?') != std::string::npos) {  // a key or a number in a URL is logged by proxies
      route = "-";
      reply_error(res, 400, "a change takes its fields in the body (a form), never in the URL");
      return;
    }
    const std::string api = path.substr(std::string("/console/api").size());
    auto method = [&](const char* pattern, std::initializer_list<const char*> allowed) {
      route = std::string("/console/api") + pattern;
      for (const char* a : allowed)
        if (m == a) return true;
      std::string allow;
      for (const char* a : allowed) allow += (allow.empty() ? "" : ", ") + std::string(a);
      res.set_header("Allow", allow);
      reply_error(res, 405, fmt::format("{} is not allowed on {} (allowed: {})", m, path, allow));
      return false;
    };
    try {
      if (api == "/session") {
        if (!method("/session", {"GET", "POST", "DELETE"})) return;
        if (m == "POST") {
          sign_in(req, res);
          return;
        }
        std::string id;
        const auto s = session(req, res, &id);
        if (!s) return;
        tenant = s->tenant;
        if (m == "GET") {
          detail::Writer w;
          write_session(w, *s);
          reply(res, 200, w.take());
        } else if (csrf_ok(req, res, *s)) {
          end_session(id);
          res.set_header("Set-Cookie", cookie("", 0));
          reply(res, 200, R"({"signed_out":true})");
        }
        return;
      }
      const bool is_key =
          api.rfind("/keys/", 0) == 0 && api.size() > 6 && api.find('/', 6) == std::string::npos;
      const char* pattern = is_key ? "/keys/{key_id}" : nullptr;
      for (const char* fixed : {"/overview", "/identity", "/customers/lookup", "/customers/forget", "/keys",
                                "/tenants", "/tenant"})
        if (api == fixed) pattern = fixed;
      if (pattern == nullptr) {
        route = "-";
        reply_error(res, 404, "no route " + path);
        return;
      }
      const std::string p = pattern;
      const bool allowed = p == "/overview" || p == "/identity" || p == "/tenants" ? method(pattern, {"GET"})
                           : p == "/keys"          ? method(pattern, {"GET", "POST"})
                           : p == "/keys/{key_id}" ? method(pattern, {"DELETE"})
                                                   : method(pattern, {"POST"});
      if (!allowed) return;
      std::string id;
      const auto s = session(req, res, &id);
      if (!s) return;
      tenant = s->tenant;
      if (m != "GET" && !csrf_ok(req, res, *s)) return;
      if (p == "/tenants" || p == "/tenant") {
        if (!s->admin) {
          reply_error(res, 403, "only an admin key (callmem keys create --admin) switches tenants");
        } else if (p == "/tenants") {
          tenants(res);
        } else {
          switch_tenant(id, req, res);
        }
        return;
      }
      if (s->tenant.empty()) {
        reply_error(res, 400, "choose a tenant first (POST /console/api/tenant)");
        return;
      }
      if (p == "/overview" || p == "/identity") {
        const auto period = period_of(req, res);
        if (!period) return;
        if (p == "/overview") {
          overview(s->tenant, *period, res);
        } else {
          double threshold = 0.1;
          if (req.has_param("threshold")) {
            try {
              threshold = std::stod(req.get_param_value("threshold"));
            } catch (const std::exception&) {
              threshold = -1;
            }
            if (!(threshold > 0 && threshold < 1)) {
              reply_error(res, 400, "threshold must be a number between 0 and 1");
              return;
            }
          }
          identity(s->tenant, *period, threshold, res);
        }
      } else if (p == "/customers/lookup") {
        lookup(s->tenant, req, res);
      } else if (p == "/customers/forget") {
        forget(s->tenant, req, res);
      } else if (p == "/keys") {
        if (m == "GET")
          keys(*s, res);
        else
          create_key(*s, req, res);
      } else {
        revoke_key(*s, api.substr(6), res);
      }
    } catch (const Error& e) {
      reply(res, http_status(e.status()), json::write_error(e));
    }
  }
};

Console::Console(Engine& engine, Store* store, const Metrics& metrics, ConsoleOptions options)
    : impl_(std::make_unique<Impl>(engine, store, metrics, std::move(options))) {}

Console::~Console() = default;

void Console::serve(const httplib::Request& req, httplib::Response& res, std::string& route,
                    std::string& tenant) {
  impl_->serve(req, res, route, tenant);
}

}  // namespace callmem::server
