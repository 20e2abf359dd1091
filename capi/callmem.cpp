// The C ABI over callmem::Engine. Every entry point goes through guard():
// no exception crosses the boundary.
#include "callmem/callmem.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#include "engine.hpp"
#include "identity/phone.hpp"
#include "json/codec.hpp"
#include "last_error.hpp"

namespace {

// This process's id, kept up to date across fork() by an atfork handler:
// getpid() is a system call, and every entry point compares it.
std::atomic<pid_t> g_pid{0};

void after_fork_in_child() { g_pid.store(getpid(), std::memory_order_relaxed); }

pid_t this_process() {
  static const bool registered = [] {
    g_pid.store(getpid(), std::memory_order_relaxed);
    pthread_atfork(nullptr, nullptr, after_fork_in_child);
    return true;
  }();
  (void)registered;
  return g_pid.load(std::memory_order_relaxed);
}

}  // namespace

struct callmem_db {
  explicit callmem_db(callmem::EngineOptions o) : memory(std::move(o)) {}
  // The process that opened it: its connections (SQLite's file locks,
  // libpq's sockets) belong to that process alone.
  const pid_t owner = this_process();
  callmem::Engine memory;
};

namespace {

// The error path allocates nothing but the message's and the document's
// copies: out of memory answers a status, never ends the host.

// The error document of an out of memory, as write_error() makes it.
const char kOutOfMemoryDocument[] = R"({"error":"Internal Server Error","message":"out of memory"})";

// ---- answers ----------------------------------------------------------------

// A copy the caller frees with callmem_free(); NULL when out of memory.
char* copy_out(const char* s, std::size_t size) noexcept {
  char* p = static_cast<char*>(std::malloc(size + 1));
  if (p) std::memcpy(p, s, size + 1);
  return p;
}

void put(char** out, const std::string& s) {
  if (out) *out = copy_out(s.c_str(), s.size());
}

// The status of an out of memory; the document when one malloc can still be had.
int out_of_memory(char** out) noexcept {
  callmem::capi::set_out_of_memory();
  if (out) *out = copy_out(kOutOfMemoryDocument, sizeof kOutOfMemoryDocument - 1);
  return CALLMEM_ERROR;
}

// The error's status, with its message and document where memory allows:
// otherwise the message is "out of memory" and *out NULL, the status unchanged.
int fail(const callmem::Error& e, char** out) noexcept {
  try {
    std::string message = e.what();
    if (!e.issues().empty()) {
      message += ": ";
      for (std::size_t i = 0; i < e.issues().size(); ++i) {
        if (i) message += "; ";
        std::string path;
        for (const auto& p : e.issues()[i].path) path += (path.empty() ? "" : ".") + p;
        message += (path.empty() ? "" : path + ": ") + e.issues()[i].message;
      }
    }
    callmem::capi::set_last_error(message);
  } catch (...) {
    callmem::capi::set_out_of_memory();
  }
  try {
    put(out, callmem::json::write_error(e));
  } catch (...) {
    if (out) *out = nullptr;
  }
  return static_cast<int>(e.status());
}

int fail_internal(const char* what, char** out) noexcept {
  try {
    return fail(callmem::Error(callmem::Status::error,
                               what ? std::string("internal error: ") + what : std::string("internal error")),
                out);
  } catch (...) {
    return out_of_memory(out);
  }
}

// Runs f, turning every exception into a status and the error document.
// Nothing here allocates but the message's and the document's copies.
template <class F>
int guard(char** out, F&& f) noexcept {
  if (out) *out = nullptr;
  callmem::capi::clear_last_error();
  try {
    return f();
  } catch (const callmem::Error& e) {
    return fail(e, out);
  } catch (const std::bad_alloc&) {
    return out_of_memory(out);
  } catch (const std::exception& e) {
    return fail_internal(e.what(), out);
  } catch (...) {
    return fail_internal(nullptr, out);
  }
}

callmem::Error null_argument(const char* name) {
  return callmem::invalid_field({name}, std::string(name) + " must not be NULL");
}

// A handle carried into a forked child: refused, never touched (docs/threading.md).
void check_process(const callmem_db* db) {
  const pid_t here = this_process();
  if (db->owner != here)
    throw callmem::Error(callmem::Status::error,
                         "callmem_db opened in process " + std::to_string(db->owner) + " used in process " +
                             std::to_string(here) +
                             " after fork(): open the database in each process after it forks");
}

using Op = std::string (callmem::Engine::*)(const std::string&, std::string_view);

// A NULL request is {} for every operation (callmem.h).
const char* request_or_empty(const char* request) { return request ? request : "{}"; }

int call(callmem_db* db, const char* tenant, const char* request, char** out, Op op) {
  return guard(out, [&] {
    if (!db) throw null_argument("db");
    if (!tenant) throw null_argument("tenant");
    check_process(db);
    put(out, (db->memory.*op)(tenant, request_or_empty(request)));
    if (out && !*out) throw std::bad_alloc();
    return CALLMEM_OK;
  });
}

}  // namespace

extern "C" {

int callmem_open(callmem_db** out, const char* config_json) {
  if (!out) {
    callmem::capi::set_last_error("out must not be NULL");
    return CALLMEM_EINVALID;
  }
  *out = nullptr;
  callmem_db* db = nullptr;
  const int rc = guard(nullptr, [&] {
    db = new callmem_db(callmem::json::parse_open_config(config_json ? config_json : ""));
    return CALLMEM_OK;
  });
  *out = db;
  return rc;
}

void callmem_close(callmem_db* db) {
  // In a forked child the handle's connections are the parent's: closing
  // them would end the parent's PostgreSQL sessions and could checkpoint or
  // unlink its SQLite WAL. Left alone, its memory goes when the child exits.
  if (db && db->owner == this_process()) delete db;
}

int callmem_warm(void) {
  return guard(nullptr, [] {
    callmem::warm_phone();
    return CALLMEM_OK;
  });
}

int callmem_call_start(callmem_db* db, const char* tenant, const char* request_json, char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::start_call_json);
}

int callmem_call_end(callmem_db* db, const char* tenant, const char* request_json, char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::end_call_json);
}

int callmem_customer_get(callmem_db* db, const char* tenant, const char* request_json, char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::get_customer_json);
}

int callmem_customer_forget(callmem_db* db, const char* tenant, const char* request_json,
                            char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::forget_customer_json);
}

int callmem_customer_export(callmem_db* db, const char* tenant, const char* request_json,
                            char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::export_customer_json);
}

int callmem_tenant_configure(callmem_db* db, const char* tenant, const char* settings_json,
                             char** response_json) {
  return call(db, tenant, settings_json, response_json, &callmem::Engine::configure_tenant_json);
}

int callmem_tenant_settings_get(callmem_db* db, const char* tenant, const char* request_json,
                                char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::tenant_settings_json);
}

int callmem_credits_grant(callmem_db* db, const char* tenant, const char* request_json,
                          char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::grant_credits_json);
}

int callmem_usage(callmem_db* db, const char* tenant, const char* request_json, char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::usage_json);
}

int callmem_identity_feedback(callmem_db* db, const char* tenant, const char* request_json,
                              char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::identity_feedback_json);
}

int callmem_identity_unmerge(callmem_db* db, const char* tenant, const char* request_json,
                             char** response_json) {
  return call(db, tenant, request_json, response_json, &callmem::Engine::unmerge_json);
}

int callmem_import(callmem_db* db, const char* tenant, const char* ndjson, const char* options_json,
                   char** response_json) {
  return guard(response_json, [&] {
    if (!db) throw null_argument("db");
    if (!tenant) throw null_argument("tenant");
    if (!ndjson) throw null_argument("ndjson");
    check_process(db);
    put(response_json, db->memory.import_calls_json(tenant, ndjson, options_json ? options_json : ""));
    if (response_json && !*response_json) throw std::bad_alloc();
    return CALLMEM_OK;
  });
}

int callmem_purge_expired(callmem_db* db, const char* request_json, char** response_json) {
  return guard(response_json, [&] {
    if (!db) throw null_argument("db");
    check_process(db);
    put(response_json, db->memory.purge_expired_json(request_or_empty(request_json)));
    if (response_json && !*response_json) throw std::bad_alloc();
    return CALLMEM_OK;
  });
}

int callmem_api_key_tenant(callmem_db* db, const char* key_sha256, char** response_json) {
  return guard(response_json, [&] {
    if (!db) throw null_argument("db");
    if (!key_sha256) throw null_argument("key_sha256");
    const std::string hash = key_sha256;
    const bool hex = hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex)
      throw callmem::invalid_field({"key_sha256"},
                                   "key_sha256 must be a key's SHA-256 in 64 lowercase hex digits");
    const std::optional<callmem::ApiCaller> caller = db->memory.authenticate(hash);
    // One answer for unknown and revoked, as `callmem serve` gives: nothing tells which.
    if (!caller) throw callmem::Error(callmem::Status::not_found, "invalid API key: unknown or revoked");
    put(response_json,
        callmem::json::write_string_map({{"tenant", caller->tenant}, {"key_id", caller->key_id}}));
    if (response_json && !*response_json) throw std::bad_alloc();
    return CALLMEM_OK;
  });
}

void callmem_free(void* p) { std::free(p); }

const char* callmem_last_error(void) { return callmem::capi::last_error(); }

int callmem_version_number(void) { return CALLMEM_VERSION_NUMBER; }

const char* callmem_version(void) { return CALLMEM_VERSION_STRING; }

int callmem_status_http(int status) {
  if (status > 0 || status < CALLMEM_ESTORE) return 500;
  return callmem::http_status(static_cast<callmem::Status>(status));
}

}  // extern "C"
