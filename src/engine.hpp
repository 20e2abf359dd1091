// callmem::Engine, the façade of the core: what the C ABI (capi/) runs.
// Hosts do not see it: the public C++ API (include/callmem/call_memory.hpp)
// is a header-only layer over the C ABI, so libcallmem.so exports only
// callmem_* (docs/api-stability.md).
//
// Thread-safety: one Engine may be shared by any number of threads; each
// operation takes a store connection of its own. Several processes may open
// the same SQLite file at once; any number of processes and machines the
// same PostgreSQL database.
#ifndef CALLMEM_ENGINE_HPP
#define CALLMEM_ENGINE_HPP

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "callmem/error.hpp"
#include "callmem/types.hpp"
#include "clock.hpp"
#include "store/store.hpp"

namespace callmem {

// An API key of `callmem serve`, as the store keeps it (its hash, never the key).
using ApiKey = ApiKeyRow;

// Who a request with a live key is: the key's tenant, and its rate limit.
struct ApiCaller {
  std::string tenant;
  std::string key_id;
  std::int64_t requests_per_minute = 0;  // 0: no limit
};

// One past call of a bulk import of history (docs/import.md): its start, its
// end, or both, each with its `at` (required). An end without a call_id is
// the start's.
struct ImportCall {
  std::optional<StartRequest> start;
  std::optional<EndRequest> end;
};

struct ImportOptions {
  bool strict = false;       // stop at the first call refused (what came before it stays)
  std::size_t batch = 2000;  // calls per write transaction (their starts and ends: 2 * batch)
};

// Called after each committed batch: calls done (applied, skipped or
// refused), of how many.
using ImportProgress = std::function<void(std::size_t done, std::size_t total)>;

// A call an import refused: its line (1-based: the NDJSON's line, or the
// index in the vector plus one), its call_id when it had one, and why (the
// field paths start with "start" or "end").
struct ImportRejection {
  std::size_t line = 0;
  std::string call_id;
  Error error;
};

struct ImportSummary {
  std::int64_t imported = 0;              // something of the call was written
  std::int64_t skipped = 0;               // already there, the same: nothing written
  std::vector<ImportRejection> rejected;  // by line
  std::size_t stopped_at = 0;             // strict: the line it stopped at; 0: it did not stop
  std::int64_t not_applied = 0;           // strict: calls of which nothing was applied after the stop
};

struct EngineOptions {
  std::string store = "sqlite";     // "sqlite" or "postgres" (docs/storage.md)
  std::string path = "callmem.db";  // SQLite file; ":memory:" for a private in-memory database
  std::string dsn;                  // postgres: a libpq connection string or postgresql:// URI
  std::string schema = "callmem";   // postgres: the schema holding the tables (created when missing)
  int pool_size = 16;               // postgres: connections at most
  int busy_timeout_ms = 5000;       // how long a write waits for another writer, then Status::busy
  int cache_mb = 0;                 // sqlite: each connection's page cache in MiB; 0: SQLite's default
  TenantSettings default_settings;  // of a tenant that was never configured
  std::shared_ptr<Clock> clock;     // null: the system clock
};

class Engine {
 public:
  // Opens (and creates or migrates) the store options.store names: the
  // SQLite file at options.path, or the PostgreSQL database at options.dsn.
  explicit Engine(EngineOptions options);
  // Over any store (the store suite and custom stores use this).
  Engine(std::unique_ptr<Store> store, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Typed API. Each throws callmem::Error.
  StartResponse start_call(const std::string& tenant, const StartRequest& request);
  EndResponse end_call(const std::string& tenant, const EndRequest& request);
  CustomerView get_customer(const std::string& tenant, const GetRequest& request);
  ForgetReceipt forget_customer(const std::string& tenant, const CustomerSelector& who);
  CustomerView export_customer(const std::string& tenant, const CustomerSelector& who);
  // An empty patch only reads: it stores nothing, so the tenant keeps
  // following default_settings.
  TenantSettings configure_tenant(const std::string& tenant, const TenantSettingsPatch& patch);
  TenantSettings tenant_settings(const std::string& tenant);                        // a read transaction
  std::int64_t grant_credits(const std::string& tenant, const CreditGrant& grant);  // the balance
  UsageReport usage(const std::string& tenant, const UsageRequest& request);
  PurgeResult purge_expired(const PurgeRequest& request);
  // Identity feedback on a call: confirmed, rejected or corrected (which may
  // merge two refs); and the undoing of a merge. See docs/feedback.md.
  FeedbackResponse identity_feedback(const std::string& tenant, const FeedbackRequest& request);
  UnmergeResponse unmerge(const std::string& tenant, const UnmergeRequest& request);
  // A bulk import of past calls (docs/import.md), options.batch calls per
  // write transaction: starts and ends applied in time order through the live path, not
  // billed; a call already there the same is skipped; a call that is
  // invalid or conflicts is refused without stopping the rest (unless
  // options.strict). Throws only for the store (busy, store) and the tenant.
  ImportSummary import_calls(const std::string& tenant, const std::vector<ImportCall>& calls,
                             const ImportOptions& options = {}, const ImportProgress& progress = {});

  // JSON API: the wire format of docs/contract.md, in and out. A replayed
  // start or end returns the original response byte for byte.
  std::string start_call_json(const std::string& tenant, std::string_view request);
  std::string end_call_json(const std::string& tenant, std::string_view request);
  std::string get_customer_json(const std::string& tenant, std::string_view request);
  std::string forget_customer_json(const std::string& tenant, std::string_view request);
  std::string export_customer_json(const std::string& tenant, std::string_view request);
  std::string configure_tenant_json(const std::string& tenant, std::string_view settings);
  // The tenant's settings, read without writing; the request is {} (no fields).
  std::string tenant_settings_json(const std::string& tenant, std::string_view request);
  std::string grant_credits_json(const std::string& tenant, std::string_view request);
  std::string usage_json(const std::string& tenant, std::string_view request);
  std::string purge_expired_json(std::string_view request);
  // A replayed feedback or unmerge returns the original response byte for byte.
  std::string identity_feedback_json(const std::string& tenant, std::string_view request);
  std::string unmerge_json(const std::string& tenant, std::string_view request);
  // import_calls over NDJSON, one {"start": {...}, "end": {...}} a line
  // (blank lines are skipped but counted); "" options are {}. The summary: {"imported", "skipped",
  // "rejected": [{"line", "call_id", "error": <error document>}], "stopped_at", "not_applied"}. `options` is
  // {"strict": bool, "batch": calls per transaction}.
  std::string import_calls_json(const std::string& tenant, std::string_view ndjson,
                                std::string_view options = {}, const ImportProgress& progress = {});
  // The same, typed: the summary, whose lines are the NDJSON's.
  ImportSummary import_calls_ndjson(const std::string& tenant, std::string_view ndjson,
                                    const ImportOptions& options, const ImportProgress& progress = {});

  // API keys of `callmem serve` (server/api_keys.hpp makes the key and its
  // hash). Create stores the key as given, created now; it names the tenant,
  // and a name of at most 64 characters.
  ApiKey api_key_create(const ApiKey& key);
  std::vector<ApiKey> api_keys(const std::string& tenant);
  // Revokes a key from now on (revoking again keeps the first time); throws
  // not_found for an unknown key_id.
  ApiKey api_key_revoke(const std::string& key_id);
  // The caller a request's key hash names, when the key is live; reads only.
  std::optional<ApiCaller> authenticate(const std::string& key_hash);
  // A read transaction on the store: it answers (throws otherwise).
  void ping();

  const Clock& clock() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callmem

#endif
