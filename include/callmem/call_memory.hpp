// callmem::CallMemory: the C++ API.
//
// A header-only layer over the C ABI (callmem.h), the "hourglass" shape:
// libcallmem.so exports only callmem_* functions, whose ABI is stable across
// compilers and standard libraries, and this header is compiled into the
// host. So a C++ host links libcallmem.so (or libcallmem.a) like a C host,
// and nothing of the library's C++ internals is part of its ABI
// (docs/api-stability.md).
//
//   callmem::CallMemory memory(callmem::Options::sqlite("calls.db"));
//   callmem::StartResponse r = memory.start_call("acme", request);
//
// Every operation throws callmem::Error on failure: status() is the C
// status, what() names the field and the problem, issues() lists them.
//
// Thread-safety: one CallMemory may be shared by any number of threads; each
// operation takes a store connection of its own. Several processes may open
// the same SQLite file at once; any number of processes and machines the
// same PostgreSQL database. A CallMemory may be moved, not copied; it must
// not be destroyed or moved from while another thread uses it.
#ifndef CALLMEM_CALL_MEMORY_HPP
#define CALLMEM_CALL_MEMORY_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "callmem/callmem.h"
#include "callmem/detail/wire.hpp"
#include "callmem/error.hpp"
#include "callmem/types.hpp"

namespace callmem {

// How to open a call memory. Start from a named constructor, then set what
// differs from the defaults:
//
//   auto options = callmem::Options::postgres("postgresql://callmem@db/callmem");
//   options.pool_size = 32;
struct Options {
  // An SQLite database file, created when missing; ":memory:" is a private
  // in-memory database (for tests).
  static Options sqlite(std::string path) {
    Options o;
    o.store = "sqlite";
    o.path = std::move(path);
    return o;
  }
  // A PostgreSQL database that many nodes share (docs/storage.md): a libpq
  // connection string or postgresql:// URI.
  static Options postgres(std::string dsn) {
    Options o;
    o.store = "postgres";
    o.dsn = std::move(dsn);
    return o;
  }
  // The defaults: SQLite, "callmem.db" in the working directory. Written
  // out (not "= default") so that Options is no aggregate: Options{"calls.db"}
  // does not compile, rather than set the first field.
  Options() {}  // NOLINT(modernize-use-equals-default)

  std::string store = "sqlite";     // "sqlite" or "postgres"
  std::string path = "callmem.db";  // sqlite: the database file
  std::string dsn;                  // postgres: where the database is
  std::string schema = "callmem";   // postgres: the schema holding the tables (created when missing)
  int pool_size = 16;               // postgres: connections at most
  int busy_timeout_ms = 5000;       // how long a write waits for another writer, then Status::busy
  int cache_mb = 0;                 // sqlite: each connection's page cache in MiB; 0: SQLite's default
  TenantSettings default_settings;  // of a tenant that was never configured

  // The open configuration of callmem_open().
  std::string json() const {
    detail::Writer w;
    w.begin_object();
    w.key("store").str(store);
    if (store == "postgres") {
      w.key("dsn").str(dsn);
      w.key("schema").str(schema);
      w.key("pool_size").i64(pool_size);
    } else {
      w.key("path").str(path);
      if (cache_mb > 0) w.key("cache_mb").i64(cache_mb);
    }
    w.key("busy_timeout_ms").i64(busy_timeout_ms);
    w.key("default_settings");
    detail::write_settings(w, detail::full_patch(default_settings));
    w.end_object();
    return w.take();
  }
};

class CallMemory {
 public:
  // Opens (creating or migrating) the store the options name.
  explicit CallMemory(const Options& options) {
    callmem_db* db = nullptr;
    const int rc = callmem_open(&db, options.json().c_str());
    if (rc != CALLMEM_OK) throw detail::error_from(rc, nullptr);
    db_.reset(db);
  }
  CallMemory(CallMemory&&) noexcept = default;
  CallMemory& operator=(CallMemory&&) noexcept = default;

  // Typed API: the value types of callmem/calls.hpp, customers.hpp, settings.hpp,
  // billing.hpp and feedback.hpp (all in callmem/types.hpp).
  StartResponse start_call(const std::string& tenant, const StartRequest& request) {
    return detail::read_start(start_call_json(tenant, detail::write(request)));
  }
  EndResponse end_call(const std::string& tenant, const EndRequest& request) {
    return detail::read_end(end_call_json(tenant, detail::write(request)));
  }
  CustomerView get_customer(const std::string& tenant, const GetRequest& request) {
    return detail::read_customer(get_customer_json(tenant, detail::write(request)));
  }
  ForgetReceipt forget_customer(const std::string& tenant, const CustomerSelector& who) {
    return detail::read_forget(forget_customer_json(tenant, detail::write(who)));
  }
  CustomerView export_customer(const std::string& tenant, const CustomerSelector& who) {
    return detail::read_customer(export_customer_json(tenant, detail::write(who)));
  }
  // Changes what the patch names; answers the tenant's full settings.
  TenantSettings configure_tenant(const std::string& tenant, const TenantSettingsPatch& patch) {
    return detail::read_settings(configure_tenant_json(tenant, detail::write(patch)));
  }
  // Reads the tenant's settings; writes nothing.
  TenantSettings tenant_settings(const std::string& tenant) {
    return detail::read_settings(tenant_settings_json(tenant));
  }
  // Answers the balance.
  std::int64_t grant_credits(const std::string& tenant, const CreditGrant& grant) {
    return detail::read_balance(grant_credits_json(tenant, detail::write(grant)));
  }
  UsageReport usage(const std::string& tenant, const UsageRequest& request = {}) {
    return detail::read_usage(usage_json(tenant, detail::write(request)));
  }
  PurgeResult purge_expired(const PurgeRequest& request = {}) {
    return detail::read_purge(purge_expired_json(detail::write(request)));
  }
  // Identity feedback on a call, and the undoing of a merge (docs/feedback.md).
  FeedbackResponse identity_feedback(const std::string& tenant, const FeedbackRequest& request) {
    return detail::read_feedback(identity_feedback_json(tenant, detail::write(request)));
  }
  UnmergeResponse unmerge(const std::string& tenant, const UnmergeRequest& request) {
    return detail::read_unmerge(unmerge_json(tenant, detail::write(request)));
  }

  // JSON API: the wire format of docs/contract.md, in and out. A replayed
  // start, end, feedback or unmerge answers the original bytes.
  std::string start_call_json(const std::string& tenant, std::string_view request) {
    return call(callmem_call_start, tenant, request);
  }
  std::string end_call_json(const std::string& tenant, std::string_view request) {
    return call(callmem_call_end, tenant, request);
  }
  std::string get_customer_json(const std::string& tenant, std::string_view request) {
    return call(callmem_customer_get, tenant, request);
  }
  std::string forget_customer_json(const std::string& tenant, std::string_view request) {
    return call(callmem_customer_forget, tenant, request);
  }
  std::string export_customer_json(const std::string& tenant, std::string_view request) {
    return call(callmem_customer_export, tenant, request);
  }
  std::string configure_tenant_json(const std::string& tenant, std::string_view settings) {
    return call(callmem_tenant_configure, tenant, settings);
  }
  std::string tenant_settings_json(const std::string& tenant) {
    return call(callmem_tenant_settings_get, tenant, "{}");
  }
  std::string grant_credits_json(const std::string& tenant, std::string_view request) {
    return call(callmem_credits_grant, tenant, request);
  }
  std::string usage_json(const std::string& tenant, std::string_view request) {
    return call(callmem_usage, tenant, request);
  }
  std::string purge_expired_json(std::string_view request) {
    const std::string text = terminated(request, "request");
    char* out = nullptr;
    const int rc = callmem_purge_expired(handle(), text.c_str(), &out);
    return answer(rc, out);
  }
  std::string identity_feedback_json(const std::string& tenant, std::string_view request) {
    return call(callmem_identity_feedback, tenant, request);
  }
  std::string unmerge_json(const std::string& tenant, std::string_view request) {
    return call(callmem_identity_unmerge, tenant, request);
  }
  // Bulk import of past calls (docs/import.md): NDJSON, one {"start": {...},
  // "end": {...}} a line; options {"strict": bool, "batch": N}. The summary:
  // {"imported", "skipped", "rejected": [{"line", "call_id", "error"}]}.
  std::string import_calls_json(const std::string& tenant, std::string_view ndjson,
                                std::string_view options = "{}") {
    const std::string t = terminated(tenant, "tenant");
    const std::string text = terminated(ndjson, "ndjson");
    const std::string o = terminated(options, "options");
    char* out = nullptr;
    const int rc = callmem_import(handle(), t.c_str(), text.c_str(), o.c_str(), &out);
    return answer(rc, out);
  }

  // The C handle, for calls this class does not wrap. Owned by this object.
  callmem_db* handle() const {
    if (!db_) throw Error(Status::error, "this CallMemory was moved from");
    return db_.get();
  }

 private:
  using Operation = int (*)(callmem_db*, const char*, const char*, char**);

  struct Close {
    void operator()(callmem_db* db) const noexcept { callmem_close(db); }
  };

  // The C ABI reads NUL-terminated text: a NUL inside would cut it short.
  static std::string terminated(std::string_view s, const char* field) {
    if (s.find('\0') != std::string_view::npos)
      throw detail::invalid(field, "must not contain a NUL character");
    return std::string(s);
  }

  static std::string answer(int rc, char* out) {
    const std::unique_ptr<char, void (*)(void*)> owned(out, callmem_free);
    if (rc != CALLMEM_OK) throw detail::error_from(rc, out);
    if (!out) throw Error(Status::error, "out of memory");
    return std::string(out);
  }

  std::string call(Operation op, const std::string& tenant, std::string_view request) {
    const std::string t = terminated(tenant, "tenant");
    const std::string text = terminated(request, "request");
    char* out = nullptr;
    const int rc = op(handle(), t.c_str(), text.c_str(), &out);
    return answer(rc, out);
  }

  std::unique_ptr<callmem_db, Close> db_;
};

}  // namespace callmem

#endif
