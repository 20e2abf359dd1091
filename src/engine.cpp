// The façade: each operation opens a store transaction, runs its concept on
// it (calls/, identity/, feedback/, billing/, customers, tenant, api_keys),
// and commits. The concepts get what they read of the engine in a Context.
#include "engine.hpp"

#include <future>
#include <limits>
#include <system_error>

#include "api_keys.hpp"
#include "billing/billing.hpp"
#include "calls/calls.hpp"
#include "calls/cursor.hpp"
#include "calls/fingerprint.hpp"
#include "calls/import.hpp"
#include "context.hpp"
#include "customers.hpp"
#include "feedback/feedback.hpp"
#include "feedback/learned.hpp"
#include "feedback/merge.hpp"
#include "identity/phone.hpp"
#include "identity/scorer.hpp"
#include "json/codec.hpp"
#include "json/import.hpp"
#include "settings.hpp"
#if CALLMEM_WITH_POSTGRES
#include "store/postgres/pg_store.hpp"
#endif
#include "store/sqlite/sqlite_store.hpp"
#include "tenant.hpp"

namespace callmem {
namespace {

std::unique_ptr<Store> open_store(const EngineOptions& o) {
  if (o.store == "postgres") {
#if !CALLMEM_WITH_POSTGRES
    throw invalid_field({"store"}, "store postgres is not supported: callmem was built without PostgreSQL");
#else
    if (o.dsn.empty()) throw invalid_field({"dsn"}, "dsn is required with store postgres");
    PgOptions p;
    p.dsn = o.dsn;
    p.schema = o.schema;
    p.pool_size = o.pool_size;
    p.busy_timeout_ms = o.busy_timeout_ms;
    return std::make_unique<PgStore>(std::move(p));
#endif
  }
  if (o.store != "sqlite") throw invalid_field({"store"}, "store must be sqlite or postgres");
  return std::make_unique<SqliteStore>(o.path, o.busy_timeout_ms, o.cache_mb);
}

// A typed operation's response: the one it built, or a replay's stored
// answer read back.
template <class Response, class Run>
Response typed(Response (*read)(std::string_view), Run run) {
  Response built;
  const Answer a = run(&built);
  return a.replay ? read(a.text) : std::move(built);
}

}  // namespace

struct Engine::Impl {
  EngineOptions options;
  std::unique_ptr<Store> store;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<Scorer> probabilistic = make_probabilistic_scorer();
  std::unique_ptr<Scorer> hosted = make_hosted_scorer();
  feedback::LearnedCache learned;

  Millis now() const { return clock->now(); }

  Context on(Transaction& tx) {
    return Context{tx, options.default_settings, *clock, *probabilistic, *hosted, learned};
  }

  // Runs an operation that replays in a write transaction on the tenant; a
  // replay wrote nothing, so it does not commit.
  template <class Op>
  Answer replayable(const std::string& tenant, Op op) {
    auto tx = store->begin(tenant, Access::write);
    Answer a = op(on(*tx));
    if (!a.replay) tx->commit();
    return a;
  }

  Answer start(const std::string& tenant, const StartRequest& req, StartResponse* out) {
    tenants::check(tenant);
    const std::uint64_t fp = calls::fingerprint(json::canonical(req));
    return replayable(tenant, [&](const Context& c) { return calls::start(c, req, fp, out); });
  }

  Answer end(const std::string& tenant, const EndRequest& req, EndResponse* out) {
    tenants::check(tenant);
    const std::uint64_t fp = calls::fingerprint(json::canonical(req));
    calls::check_end(req);
    return replayable(tenant, [&](const Context& c) { return calls::end(c, req, fp, out); });
  }

  Answer feedback(const std::string& tenant, const FeedbackRequest& req, FeedbackResponse* out) {
    tenants::check(tenant);
    const Millis at = req.at ? *req.at : now();
    const std::uint64_t fp = calls::fingerprint(json::canonical(req));
    Answer a = replayable(tenant, [&](const Context& c) { return feedback::record(c, req, at, fp, out); });
    if (!a.replay) learned.forget(tenant);  // committed: the next start reads the new counts
    return a;
  }

  // An import is history: not metered.
  ImportSummary import(const std::string& tenant, std::vector<calls::ImportLine> lines,
                       const ImportOptions& o, const ImportProgress& progress) {
    tenants::check(tenant);
    const auto unmetered = [&](Transaction& tx) {
      Context c = on(tx);
      c.metered = false;
      return c;
    };
    return calls::import(*store, tenant, unmetered, std::move(lines), o, progress);
  }

  Answer unmerge(const std::string& tenant, const UnmergeRequest& req, UnmergeResponse* out) {
    tenants::check(tenant);
    feedback::check_unmerge(req);
    const Millis at = now();
    return replayable(tenant, [&](const Context& c) { return feedback::unmerge(c, req, at, out); });
  }
};

namespace {

// The store opened while libphonenumber's set-up (4-5 ms, which Engine's
// constructor would otherwise do after the open) runs beside it on a thread
// of its own, joined before the open returns: a freshly forked worker's open
// takes the longer of the two rather than their sum, and leaves no thread
// behind (a fork right after the open finds none).
std::unique_ptr<Store> open_store_warming(const EngineOptions& o) {
  if (phone_warm()) return open_store(o);
  std::future<void> warming;
  try {
    warming = std::async(std::launch::async, warm_phone);
  } catch (const std::system_error&) {
    return open_store(o);  // no thread to be had: the constructor warms
  }
  // Should the open throw, the future's destructor waits for the warm-up.
  std::unique_ptr<Store> store = open_store(o);
  warming.get();
  return store;
}

}  // namespace

Engine::Engine(EngineOptions options) : Engine(open_store_warming(options), options) {}

Engine::Engine(std::unique_ptr<Store> store, EngineOptions options) : impl_(new Impl) {
  impl_->options = std::move(options);
  impl_->store = std::move(store);
  impl_->clock = impl_->options.clock ? impl_->options.clock : system_clock();
  warm_phone();  // the first call would otherwise build libphonenumber's metadata (6-11 ms)
}

Engine::~Engine() = default;

const Clock& Engine::clock() const { return *impl_->clock; }

ApiKey Engine::api_key_create(const ApiKey& key) {
  api_keys::check_new(key);
  const Millis now = impl_->now();
  auto tx = impl_->store->begin_all(Access::write);
  ApiKey row = api_keys::create(*tx, key, now);
  tx->commit();
  return row;
}

std::vector<ApiKey> Engine::api_keys(const std::string& tenant) {
  tenants::check(tenant);
  auto tx = impl_->store->begin_all(Access::read);
  return tx->api_keys_of(tenant);
}

ApiKey Engine::api_key_revoke(const std::string& key_id) {
  auto tx = impl_->store->begin_all(Access::write);
  bool wrote = false;
  ApiKey key = api_keys::revoke(*tx, key_id, *impl_->clock, wrote);
  if (wrote) tx->commit();
  return key;
}

// The key is read across tenants, then its tenant's settings on that tenant:
// two read transactions.
std::optional<ApiCaller> Engine::authenticate(const std::string& key_hash) {
  const std::optional<ApiKey> key = impl_->store->begin_all(Access::read)->api_key_by_hash(key_hash);
  if (!key || key->revoked_at != 0) return std::nullopt;
  auto tx = impl_->store->begin(key->tenant, Access::read);
  const TenantRow row = tenants::row_of(*tx, impl_->options.default_settings);
  return ApiCaller{key->tenant, key->key_id, row.settings.rate_limit_per_minute};
}

void Engine::ping() {
  // "-" is no tenant's: any read proves the store answers.
  impl_->store->begin("-", Access::read)->tenant_get();
}

// A request built in C++ is checked as the wire's would be, by the same
// rules (json::validate), without being written as JSON.
StartResponse Engine::start_call(const std::string& tenant, const StartRequest& request) {
  json::validate(request);
  return typed(json::read_start_response,
               [&](StartResponse* out) { return impl_->start(tenant, request, out); });
}

EndResponse Engine::end_call(const std::string& tenant, const EndRequest& request) {
  const EndRequest checked = json::validated(request);
  return typed(json::read_end_response, [&](EndResponse* out) { return impl_->end(tenant, checked, out); });
}

CustomerView Engine::get_customer(const std::string& tenant, const GetRequest& request) {
  tenants::check(tenant);
  if (request.history_limit < 1 || request.history_limit > 100)
    throw invalid_field({"history_limit"}, "history_limit must be an integer from 1 to 100");
  const Millis now = impl_->now();
  const auto after = calls::decode_cursor(request.cursor);
  auto tx = impl_->store->begin(tenant, Access::read);
  const Context c = impl_->on(*tx);
  return customers::view(c, customers::select(c, request.who, now), now, request.history_limit, after);
}

ForgetReceipt Engine::forget_customer(const std::string& tenant, const CustomerSelector& who) {
  tenants::check(tenant);
  const Millis now = impl_->now();
  auto tx = impl_->store->begin(tenant, Access::write);
  ForgetReceipt receipt = customers::forget(impl_->on(*tx), who, now);
  tx->commit();
  return receipt;
}

CustomerView Engine::export_customer(const std::string& tenant, const CustomerSelector& who) {
  tenants::check(tenant);
  const Millis now = impl_->now();
  auto tx = impl_->store->begin(tenant, Access::read);
  const Context c = impl_->on(*tx);
  return customers::view(c, customers::select(c, who, now), now, std::numeric_limits<std::int64_t>::max(),
                         std::nullopt);
}

TenantSettings Engine::configure_tenant(const std::string& tenant, const TenantSettingsPatch& p) {
  // Storing the settings of a tenant never configured would freeze today's
  // default_settings for it: {} only reads.
  if (empty(p)) return tenant_settings(tenant);
  tenants::check(tenant);
  auto tx = impl_->store->begin(tenant, Access::write);
  TenantSettings s = tenants::configure(impl_->on(*tx), p);
  tx->commit();
  return s;
}

TenantSettings Engine::tenant_settings(const std::string& tenant) {
  tenants::check(tenant);
  auto tx = impl_->store->begin(tenant, Access::read);
  return tenants::row_of(impl_->on(*tx)).settings;
}

std::int64_t Engine::grant_credits(const std::string& tenant, const CreditGrant& grant) {
  tenants::check(tenant);
  billing::check(grant);
  auto tx = impl_->store->begin(tenant, Access::write);
  bool wrote = false;
  const std::int64_t balance = billing::grant(impl_->on(*tx), grant, wrote);
  if (wrote) tx->commit();
  return balance;
}

UsageReport Engine::usage(const std::string& tenant, const UsageRequest& request) {
  tenants::check(tenant);
  const Millis from = request.from.value_or(0);
  const Millis to = request.to ? *request.to : impl_->now();
  if (to < from) throw invalid_field({"to"}, "to is before from");
  auto tx = impl_->store->begin(tenant, Access::read);
  return billing::usage(impl_->on(*tx), from, to);
}

PurgeResult Engine::purge_expired(const PurgeRequest& request) {
  if (request.limit < 1) throw invalid_field({"limit"}, "limit must be a positive integer");
  const Millis now = request.now ? *request.now : impl_->now();
  auto tx = impl_->store->begin_all(Access::write);
  PurgeResult r;
  r.deleted = tx->purge(now, request.limit);
  tx->commit();
  r.more = r.deleted.total() >= request.limit;
  return r;
}

FeedbackResponse Engine::identity_feedback(const std::string& tenant, const FeedbackRequest& request) {
  json::validate(request);
  return typed(json::read_feedback_response,
               [&](FeedbackResponse* out) { return impl_->feedback(tenant, request, out); });
}

UnmergeResponse Engine::unmerge(const std::string& tenant, const UnmergeRequest& request) {
  return typed(json::read_unmerge_response,
               [&](UnmergeResponse* out) { return impl_->unmerge(tenant, request, out); });
}

ImportSummary Engine::import_calls(const std::string& tenant, const std::vector<ImportCall>& calls,
                                   const ImportOptions& options, const ImportProgress& progress) {
  std::vector<calls::ImportLine> lines(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    calls::ImportLine& l = lines[i];
    l.line = i + 1;
    const char* part = "start";
    try {
      if (calls[i].start) {
        l.call_id = calls[i].start->call_id;
        json::validate(*calls[i].start);
        l.call.start = *calls[i].start;
      }
      if (calls[i].end) {
        part = "end";
        EndRequest end = *calls[i].end;
        if (end.call_id.empty() && calls[i].start) end.call_id = calls[i].start->call_id;
        if (l.call_id.empty()) l.call_id = end.call_id;
        l.call.end = json::validated(end);
      }
    } catch (const Error& e) {
      std::vector<FieldIssue> issues = e.issues();
      for (FieldIssue& issue : issues) issue.path.insert(issue.path.begin(), part);
      l.call = {};
      l.refused = Error(e.status(), e.what(), std::move(issues));
    }
  }
  return impl_->import(tenant, std::move(lines), options, progress);
}

std::string Engine::start_call_json(const std::string& tenant, std::string_view request) {
  return impl_->start(tenant, json::parse_start(request), nullptr).text;
}
std::string Engine::end_call_json(const std::string& tenant, std::string_view request) {
  return impl_->end(tenant, json::parse_end(request), nullptr).text;
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
std::string Engine::identity_feedback_json(const std::string& tenant, std::string_view request) {
  return impl_->feedback(tenant, json::parse_feedback(request), nullptr).text;
}
std::string Engine::unmerge_json(const std::string& tenant, std::string_view request) {
  return impl_->unmerge(tenant, json::parse_unmerge(request), nullptr).text;
}
ImportSummary Engine::import_calls_ndjson(const std::string& tenant, std::string_view ndjson,
                                          const ImportOptions& options, const ImportProgress& progress) {
  tenants::check(tenant);
  return impl_->import(tenant, json::parse_import(ndjson), options, progress);
}
std::string Engine::import_calls_json(const std::string& tenant, std::string_view ndjson,
                                      std::string_view options, const ImportProgress& progress) {
  const ImportOptions o = json::parse_import_options(options);
  return json::write(import_calls_ndjson(tenant, ndjson, o, progress));
}

}  // namespace callmem
