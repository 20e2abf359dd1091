/*
 * callmem: call memory for contact centers. The C ABI.
 *
 * Every operation takes and returns the JSON of docs/contract.md.
 *
 * Ownership: inputs are read during the call and copied where kept; the
 * caller keeps them. Every string the library returns through a `char **`
 * is owned by the caller and freed with callmem_free(), never with free().
 *
 * Errors: every function returning int returns CALLMEM_OK (0) or a negative
 * CALLMEM_E* status. On failure, when the out parameter is not NULL, it
 * receives the contract's error document ({"error": ..., "message": ...,
 * "details": {"issues": [...]}}), and callmem_last_error() gives a one-line
 * message. Statuses are the only way to detect failure. No exception, abort
 * or longjmp ever crosses this boundary.
 *
 * Out of memory never ends the host: the call returns CALLMEM_ERROR, with
 * callmem_last_error() "out of memory" (the operation's own status when only
 * its message or error document could not be made). When memory is too short
 * for them, the out parameter is NULL and callmem_last_error() is a static
 * "out of memory". An operation whose answer could not be copied after it
 * was saved also answers CALLMEM_ERROR; retrying it is safe (a start, end or
 * feedback answers the saved response).
 *
 * Threading: a callmem_db may be used by any number of threads at once.
 * Several processes may open the same database file at once; any number of
 * processes and machines the same PostgreSQL database.
 * callmem_close() must not race with other calls on the same handle.
 *
 * Processes: a callmem_db belongs to the process that opened it. A host that
 * forks workers opens the database in each worker, after the fork. A handle
 * used in a forked child answers CALLMEM_ERROR ("callmem_db opened in process
 * P used in process C after fork(): ...") without touching the parent's
 * connections, and callmem_close() there frees nothing (docs/threading.md).
 * callmem_warm() before the fork lets the workers share the set-up.
 */
#ifndef CALLMEM_H
#define CALLMEM_H

#include "callmem/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CALLMEM_BUILDING)
#define CALLMEM_API __attribute__((visibility("default")))
#else
#define CALLMEM_API
#endif

/* Statuses: explicit values, append only, never renumbered. */
#define CALLMEM_OK 0
#define CALLMEM_ERROR (-1)     /* anything else: a bug, out of memory (HTTP 500) */
#define CALLMEM_EINVALID (-2)  /* bad request: JSON, type, field, enum, limit (400) */
#define CALLMEM_ENOTFOUND (-3) /* unknown customer or call (404) */
#define CALLMEM_ECONFLICT (-4) /* call_id reused with another request (409) */
#define CALLMEM_ECREDITS (-5)  /* billing on and too few credits; nothing written (402) */
#define CALLMEM_EBUSY (-6)     /* the store could not take the write in time (503) */
#define CALLMEM_ESTORE (-7)    /* the store failed; nothing partial was written (500) */

/* A call memory: one database, shared by threads. */
typedef struct callmem_db callmem_db;

/*
 * Opens (creating or migrating) a call memory. config_json, all optional:
 *   {"path": "callmem.db", "busy_timeout_ms": 5000, "cache_mb": 256,
 *    "default_settings": {<tenant settings, as callmem_tenant_configure>}}
 * ("cache_mb": each connection's SQLite page cache in MiB, 1 to 65536;
 * default SQLite's own, about 2: a bulk import runs fastest with the file in it.)
 * NULL or "" takes the defaults ("callmem.db" in the working directory).
 * "path": ":memory:" is a private in-memory database (for tests).
 * An unknown key, here or in default_settings, is CALLMEM_EINVALID naming it.
 * A memory shared by many nodes (docs/storage.md):
 *   {"store": "postgres", "dsn": "postgresql://user@host/db",
 *    "schema": "callmem", "pool_size": 16, "busy_timeout_ms": 5000}
 * (a library built with CALLMEM_WITH_POSTGRES=OFF refuses it: CALLMEM_EINVALID
 * naming "store").
 * On success *out receives the handle; on failure *out is NULL and the
 * error is in callmem_last_error().
 */
CALLMEM_API int callmem_open(callmem_db **out, const char *config_json);

/* Closes the call memory. NULL is a no-op; so is a handle opened by another
 * process (the parent of a fork: its connections are that process's). */
CALLMEM_API void callmem_close(callmem_db *db);

/*
 * Operations. `tenant`: 1-64 characters of A-Za-z0-9._- . On success
 * *response_json receives the response; on failure the error document.
 * response_json may be NULL when the answer is not wanted.
 * A NULL request_json (or settings_json) is "{}" for every operation, which
 * then names the fields it requires as it does for "{}". A NULL db or tenant
 * is CALLMEM_EINVALID naming "db" or "tenant".
 */
CALLMEM_API int callmem_call_start(callmem_db *db, const char *tenant, const char *request_json,
                                   char **response_json);
CALLMEM_API int callmem_call_end(callmem_db *db, const char *tenant, const char *request_json,
                                 char **response_json);
CALLMEM_API int callmem_customer_get(callmem_db *db, const char *tenant, const char *request_json,
                                     char **response_json);
CALLMEM_API int callmem_customer_forget(callmem_db *db, const char *tenant, const char *request_json,
                                        char **response_json);
CALLMEM_API int callmem_customer_export(callmem_db *db, const char *tenant, const char *request_json,
                                        char **response_json);
/* Any subset of the settings; answers the tenant's full settings. An empty
 * patch ("{}") writes nothing: a tenant never configured keeps following the
 * default_settings of callmem_open. */
CALLMEM_API int callmem_tenant_configure(callmem_db *db, const char *tenant, const char *settings_json,
                                         char **response_json);
/* Reads the tenant's full settings (the answer of callmem_tenant_configure)
 * without writing: request_json is "{}" (or NULL). */
CALLMEM_API int callmem_tenant_settings_get(callmem_db *db, const char *tenant, const char *request_json,
                                            char **response_json);
CALLMEM_API int callmem_credits_grant(callmem_db *db, const char *tenant, const char *request_json,
                                      char **response_json);
CALLMEM_API int callmem_usage(callmem_db *db, const char *tenant, const char *request_json,
                              char **response_json);
/* Across all tenants: {"now": "...", "limit": 10000}, each optional. */
CALLMEM_API int callmem_purge_expired(callmem_db *db, const char *request_json, char **response_json);

/*
 * Identity feedback on a call (docs/feedback.md):
 *   {"call_id": "...", "outcome": "confirmed" | "rejected" | "corrected",
 *    "customer_ref": "..." (with corrected only), "at": "..." (optional)}
 * confirmed links the call's identifiers to its customer; rejected unlinks
 * them from it and gives the caller a new customer; corrected moves the call
 * to customer_ref, merging the call's own new customer into it (the merged
 * ref stays an alias; the answer's "merge" holds the merge_id). The same
 * feedback again answers the same bytes; another feedback on the call is
 * CALLMEM_ECONFLICT; an unknown call or customer_ref CALLMEM_ENOTFOUND.
 */
CALLMEM_API int callmem_identity_feedback(callmem_db *db, const char *tenant, const char *request_json,
                                          char **response_json);
/*
 * Undoes a merge: {"merge_id": "..."}. The merged customer is restored with
 * what came from it; undoing again answers the same; an unknown merge_id is
 * CALLMEM_ENOTFOUND.
 */
CALLMEM_API int callmem_identity_unmerge(callmem_db *db, const char *tenant, const char *request_json,
                                         char **response_json);

/*
 * Bulk import of past calls (docs/import.md). `ndjson`: one call a line,
 *   {"start": {<start request with "at">}, "end": {<end request with "at">}}
 * (either part alone is allowed; an end without call_id is the start's).
 * Starts and ends are applied in time order, with the identity resolution
 * of live calls, not billed, `batch` calls per write transaction. A call
 * already stored with the same requests is skipped; a line that is invalid
 * or conflicts is refused with its line number and error document, and the
 * rest goes on (unless "strict"). options_json: {"strict": false,
 * "batch": 2000}, each optional; NULL is {}. The answer:
 *   {"imported": N, "skipped": N, "rejected": [{"line": N, "call_id": "...",
 *    "error": {<error document>}}], "stopped_at": N, "not_applied": N}
 * (the last two only when strict stopped). A failure (CALLMEM_EBUSY,
 * CALLMEM_ESTORE) keeps the batches committed before it: running the same
 * import again resumes. A NULL ndjson is CALLMEM_EINVALID naming "ndjson".
 */
CALLMEM_API int callmem_import(callmem_db *db, const char *tenant, const char *ndjson,
                               const char *options_json, char **response_json);

/*
 * The tenant of an API key made by `callmem keys create` (docs/server.md),
 * for a server in front of the library that authenticates its callers as
 * `callmem serve` does. key_sha256: the lowercase hex SHA-256 of the key as
 * presented (64 digits; the store keeps only that, so the key itself never
 * reaches the library). The answer: {"key_id": "key_...", "tenant": "..."}.
 * An unknown or revoked key is CALLMEM_ENOTFOUND (one message for both); a
 * key_sha256 that is not 64 lowercase hex digits CALLMEM_EINVALID naming
 * "key_sha256". Reads only; a key revoked is refused from the next call.
 */
CALLMEM_API int callmem_api_key_tenant(callmem_db *db, const char *key_sha256, char **response_json);

/*
 * Builds, once per process, what the first call start would otherwise build
 * (libphonenumber's metadata and the regular expressions of common number
 * forms; a few milliseconds). A host that forks workers calls it (after
 * loading the library) before forking, so that the workers share those pages
 * instead of each paying for them at its first call. Optional, idempotent,
 * thread-safe; CALLMEM_OK, or CALLMEM_ERROR when out of memory.
 */
CALLMEM_API int callmem_warm(void);

/* Frees a string returned by callmem. NULL is a no-op. */
CALLMEM_API void callmem_free(void *p);

/* The last error's message on this thread; owned by the library, valid until
 * the next callmem call on this thread. Never NULL ("" after a success; the
 * static "out of memory" when the message could not be allocated). */
CALLMEM_API const char *callmem_last_error(void);

/* The run-time version: CALLMEM_VERSION_NUMBER and CALLMEM_VERSION_STRING of the library loaded. */
CALLMEM_API int callmem_version_number(void);
CALLMEM_API const char *callmem_version(void);

/* The HTTP status twin of a status (200 for CALLMEM_OK). */
CALLMEM_API int callmem_status_http(int status);

#ifdef __cplusplus
}
#endif

#endif /* CALLMEM_H */
