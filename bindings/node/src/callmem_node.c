/*
 * The Node binding's native part: a Node-API addon over the C ABI.
 *
 * libcallmem is loaded at run time with dlopen (index.js picks the path), so
 * the addon builds with nothing but Node's headers and a C compiler.
 *
 * Every operation runs off the JS thread and answers a Promise: on the
 * binding's own runner thread when it is free (see "The runner"), else on
 * libuv's thread pool (napi_create_async_work). The C call, and the reading
 * of its error document, happen on that thread; the Promise is settled on
 * the JS thread.
 *
 * Lifetime of a handle: one `handle` per callmem_db, reference-counted. The
 * JS external holds one reference, every piece of work in flight holds one.
 * All counting happens on the JS thread (work is created and completed there,
 * finalizers run there), so it needs no lock. The C handle is closed by an
 * explicit close (after the calls in flight have completed), or else when the
 * last reference goes: a finalizer never frees it under a running call.
 */
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#ifdef CALLMEM_HAVE_HEADER
/* The header was found at build time: the declarations below must agree with it. */
#include "callmem/callmem.h"
#else
typedef struct callmem_db callmem_db;
#endif

int callmem_open(callmem_db **out, const char *config_json);
void callmem_close(callmem_db *db);
int callmem_call_start(callmem_db *db, const char *tenant, const char *request_json, char **response_json);
int callmem_purge_expired(callmem_db *db, const char *request_json, char **response_json);
int callmem_import(callmem_db *db, const char *tenant, const char *ndjson, const char *options_json,
                   char **response_json);
int callmem_api_key_tenant(callmem_db *db, const char *key_sha256, char **response_json);
void callmem_free(void *p);
const char *callmem_last_error(void);
int callmem_version_number(void);
const char *callmem_version(void);

#define STATUS_ERROR (-1) /* CALLMEM_ERROR */

typedef int (*tenant_op_fn)(callmem_db *, const char *, const char *, char **);

/* The operations, in the order index.js numbers them. */
static const char *const op_symbols[] = {
    "callmem_call_start",          "callmem_call_end",
    "callmem_customer_get",        "callmem_customer_forget",
    "callmem_customer_export",     "callmem_tenant_configure",
    "callmem_credits_grant",       "callmem_usage",
    "callmem_identity_feedback",   "callmem_identity_unmerge",
    "callmem_tenant_settings_get",
};
#define OP_COUNT ((int)(sizeof op_symbols / sizeof op_symbols[0]))
#define OP_PURGE OP_COUNT        /* the one operation without a tenant */
#define OP_IMPORT (OP_COUNT + 1) /* the one with options beside the request */
#define OP_KEY (OP_COUNT + 2)    /* a key's tenant: the request is the key's SHA-256 */

static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  void *dl;
  tenant_op_fn ops[OP_COUNT];
  __typeof__(callmem_open) *open;
  __typeof__(callmem_close) *close;
  __typeof__(callmem_purge_expired) *purge;
  __typeof__(callmem_import) *import;             /* NULL in a libcallmem older than the import */
  __typeof__(callmem_api_key_tenant) *key_tenant; /* NULL in a libcallmem older than it */
  __typeof__(callmem_free) *free;
  __typeof__(callmem_last_error) *last_error;
  __typeof__(callmem_version_number) *version_number;
  __typeof__(callmem_version) *version;
} lib;

static int open_handles; /* C handles open, all threads (atomic); for the tests */

/*
 * Polling while operations are in flight. An operation costs two thread
 * wake-ups: a pool thread's, then the event loop's when the answer is back.
 * On virtual machines waking a sleeping thread costs tens of microseconds, a
 * third of a start_call. While an operation is in flight, an idle handle
 * makes the event loop poll (epoll with a zero timeout, yielding the CPU each
 * turn, so that a pool thread waiting for this CPU is not kept from it) instead of sleeping, for at most
 * `budget_ns` after the last operation was queued or completed; then it sleeps as usual. setPolling(0) turns
 * it off.
 */
typedef struct {
  uv_idle_t idle;
  int inflight;
  uint64_t last;      /* uv_hrtime() of the last queue or completion */
  uint64_t budget_ns; /* 0: never poll */
} poller;

struct runner;

/* Per Node environment (main thread or a worker thread). */
typedef struct {
  napi_ref json_parse;
  napi_ref make_error;
  poller *poll;          /* NULL when the loop could not be had */
  struct runner *runner; /* started at the first operation; NULL until then, or when it could not be */
  int runner_failed;
} env_data;

static uint64_t default_poll_ns = 1000000; /* 1 ms */

static void poll_idle(uv_idle_t *idle) {
  poller *p = idle->data;
  if (uv_hrtime() - p->last > p->budget_ns)
    uv_idle_stop(idle);
  else
    sched_yield(); /* a pool thread waiting for this CPU runs first */
}

static void poll_begin(env_data *ed) {
  poller *p = ed->poll;
  if (!p) return;
  p->inflight++;
  if (!p->budget_ns) return;
  p->last = uv_hrtime();
  if (!uv_is_active((uv_handle_t *)&p->idle)) uv_idle_start(&p->idle, poll_idle);
}

static void poll_end(env_data *ed) {
  poller *p = ed->poll;
  if (!p) return;
  if (--p->inflight == 0)
    uv_idle_stop(&p->idle);
  else
    p->last = uv_hrtime();
}

static void poller_closed(uv_handle_t *h) { free(h->data); }

static void poller_cleanup(void *arg) {
  env_data *ed = arg;
  if (!ed->poll) return;
  uv_idle_stop(&ed->poll->idle);
  uv_close((uv_handle_t *)&ed->poll->idle, poller_closed);
  ed->poll = NULL;
}

enum { OPEN, CLOSING, CLOSED };

typedef struct handle {
  callmem_db *db;
  int refs;     /* the external + each work in flight */
  int inflight; /* operations in flight (not counting the close) */
  int state;
  napi_deferred close_deferred; /* a close waiting for inflight to reach 0 */
} handle;

typedef struct work {
  napi_async_work async;
  napi_deferred deferred;
  handle *h; /* NULL for open */
  int op;    /* an op index, OP_PURGE, OP_IMPORT, or -1 for open and close */
  char *tenant;
  char *request;
  char *options; /* OP_IMPORT's */
  int status;
  char *out;      /* response or error document, from libcallmem (callmem_free) */
  char *message;  /* open's error message (malloc) */
  callmem_db *db; /* open's result */
} work;

/* ---- helpers ---- */

#define CHECK(env, call)                           \
  do {                                             \
    if ((call) != napi_ok) return throw_last(env); \
  } while (0)

static napi_value throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "Node-API call failed");
  }
  return NULL;
}

/* A copy of a JS string, or NULL when v is not a string (libcallmem then
 * answers its own "must not be NULL" error). *ok is false when out of memory. */
static char *dup_string(napi_env env, napi_value v, bool *ok) {
  size_t len = 0;
  *ok = true;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s || napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    *ok = false;
    return NULL;
  }
  return s;
}

static void close_db(handle *h) {
  lib.close(h->db);
  h->db = NULL;
  __atomic_sub_fetch(&open_handles, 1, __ATOMIC_RELAXED);
}

static void handle_unref(handle *h) {
  if (--h->refs > 0) return;
  if (h->db) close_db(h);
  free(h);
}

static void work_free(napi_env env, work *w) {
  if (w->out) lib.free(w->out);
  free(w->tenant);
  free(w->request);
  free(w->options);
  free(w->message);
  if (w->async) napi_delete_async_work(env, w->async);
  free(w);
}

/* Rejects with makeError(status, document, message) from index.js. */
static void reject_with(napi_env env, napi_deferred d, int status, const char *document,
                        const char *message) {
  env_data *ed = NULL;
  napi_value fn, argv[3], err = NULL, undef;
  napi_get_undefined(env, &undef);
  napi_get_instance_data(env, (void **)&ed);
  napi_create_int32(env, status, &argv[0]);
  if (document)
    napi_create_string_utf8(env, document, NAPI_AUTO_LENGTH, &argv[1]);
  else
    napi_get_null(env, &argv[1]);
  napi_create_string_utf8(env, message ? message : "", NAPI_AUTO_LENGTH, &argv[2]);
  if (ed && ed->make_error && napi_get_reference_value(env, ed->make_error, &fn) == napi_ok && fn)
    napi_call_function(env, undef, fn, 3, argv, &err);
  if (!err) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending)
      napi_get_and_clear_last_exception(env, &err);
    else
      napi_create_error(env, NULL, argv[2], &err);
  }
  napi_reject_deferred(env, d, err);
}

static void resolve_json(napi_env env, napi_deferred d, const char *json) {
  env_data *ed = NULL;
  napi_value fn, arg, result = NULL, undef;
  napi_get_undefined(env, &undef);
  napi_get_instance_data(env, (void **)&ed);
  napi_create_string_utf8(env, json, NAPI_AUTO_LENGTH, &arg);
  if (napi_get_reference_value(env, ed->json_parse, &fn) == napi_ok &&
      napi_call_function(env, undef, fn, 1, &arg, &result) == napi_ok) {
    napi_resolve_deferred(env, d, result);
    return;
  }
  napi_get_and_clear_last_exception(env, &result);
  napi_reject_deferred(env, d, result);
}

static napi_value rejected(napi_env env, int status, const char *message) {
  napi_deferred d;
  napi_value promise;
  if (napi_create_promise(env, &d, &promise) != napi_ok) return throw_last(env);
  reject_with(env, d, status, NULL, message);
  return promise;
}

static bool queue(napi_env env, work *w, napi_async_execute_callback exec,
                  napi_async_complete_callback done) {
  napi_value name;
  return napi_create_string_utf8(env, "callmem", NAPI_AUTO_LENGTH, &name) == napi_ok &&
         napi_create_async_work(env, NULL, name, exec, done, w, &w->async) == napi_ok &&
         napi_queue_async_work(env, w->async) == napi_ok;
}

/* ---- close ---- */

static void close_execute(napi_env env, void *data) {
  (void)env;
  close_db(((work *)data)->h);
}

static void close_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  work *w = data;
  napi_value undef;
  w->h->state = CLOSED;
  napi_get_undefined(env, &undef);
  napi_resolve_deferred(env, w->deferred, undef);
  handle_unref(w->h);
  work_free(env, w);
}

/* Queues the C close; the handle is CLOSING with nothing in flight. */
static void start_close(napi_env env, handle *h, napi_deferred d) {
  work *w = calloc(1, sizeof *w);
  if (w) {
    w->h = h;
    w->op = -1;
    w->deferred = d;
    h->refs++;
    if (queue(env, w, close_execute, close_complete)) return;
    h->refs--;
    work_free(env, w);
  }
  /* Could not queue: close here, on the JS thread. */
  close_db(h);
  h->state = CLOSED;
  napi_value undef;
  napi_get_undefined(env, &undef);
  napi_resolve_deferred(env, d, undef);
}

/* ---- operations ---- */

static void op_execute(napi_env env, void *data) {
  (void)env;
  work *w = data;
  if (w->op == OP_PURGE)
    w->status = lib.purge(w->h->db, w->request, &w->out);
  else if (w->op == OP_IMPORT)
    w->status = lib.import(w->h->db, w->tenant, w->request, w->options, &w->out);
  else if (w->op == OP_KEY)
    w->status = lib.key_tenant(w->h->db, w->request, &w->out);
  else
    w->status = lib.ops[w->op](w->h->db, w->tenant, w->request, &w->out);
}

static void op_complete(napi_env env, napi_status status, void *data) {
  work *w = data;
  handle *h = w->h;
  env_data *ed = NULL;
  if (napi_get_instance_data(env, (void **)&ed) == napi_ok && ed) poll_end(ed);
  if (status != napi_ok)
    reject_with(env, w->deferred, STATUS_ERROR, NULL, "callmem: the operation was cancelled");
  else if (w->status == 0)
    resolve_json(env, w->deferred, w->out ? w->out : "null");
  else
    reject_with(env, w->deferred, w->status, w->out, "callmem: out of memory");
  work_free(env, w);
  if (--h->inflight == 0 && h->state == CLOSING && h->close_deferred) {
    napi_deferred d = h->close_deferred;
    h->close_deferred = NULL;
    start_close(env, h, d);
  }
  handle_unref(h);
}

/*
 * The runner: a thread of the binding's own that runs one operation at a
 * time, and after each waits for the next by polling (yielding the CPU) for
 * the polling budget before it sleeps. A call made soon after the last one's
 * answer (a handler awaiting calls one after the other) finds it awake:
 * libuv's pool costs a thread wake-up per call, on virtual machines tens of
 * microseconds, as much as half a start_call. While the runner has an
 * operation, the next ones go to libuv's pool, so that operations still run
 * side by side. Its answers come back through a thread-safe function, which
 * keeps the process alive only while an operation is in flight.
 */
typedef struct runner {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  work *next;         /* the operation handed over (written under mu, read by the polling runner) */
  int busy;           /* JS thread only: an operation handed over and not yet completed */
  int asleep;         /* under mu */
  int stopping;       /* under mu */
  uint64_t budget_ns; /* atomic: the poller's budget */
  napi_threadsafe_function done;
} runner;

static void *runner_main(void *arg) {
  runner *r = arg;
  pthread_mutex_lock(&r->mu);
  for (;;) {
    if (!r->next && !r->stopping) {
      const uint64_t budget = __atomic_load_n(&r->budget_ns, __ATOMIC_RELAXED);
      if (budget) {
        pthread_mutex_unlock(&r->mu);
        const uint64_t t0 = uv_hrtime();
        while (!__atomic_load_n(&r->next, __ATOMIC_ACQUIRE) && uv_hrtime() - t0 < budget) sched_yield();
        pthread_mutex_lock(&r->mu);
      }
      while (!r->next && !r->stopping) {
        r->asleep = 1;
        pthread_cond_wait(&r->cv, &r->mu);
        r->asleep = 0;
      }
    }
    work *w = r->next;
    if (!w) break; /* stopping, nothing handed over */
    __atomic_store_n(&r->next, NULL, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&r->mu);
    op_execute(NULL, w);
    napi_call_threadsafe_function(r->done, w, napi_tsfn_blocking);
    pthread_mutex_lock(&r->mu);
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* On the JS thread: an operation the runner ran is done. */
static void runner_done(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  runner *r = context;
  if (!env) return; /* the environment is going away: nothing to settle */
  r->busy = 0;
  napi_unref_threadsafe_function(env, r->done);
  op_complete(env, napi_ok, data);
}

static void runner_cleanup(void *arg) {
  env_data *ed = arg;
  runner *r = ed->runner;
  if (!r) return;
  pthread_mutex_lock(&r->mu);
  r->stopping = 1;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  napi_release_threadsafe_function(r->done, napi_tsfn_abort);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  free(r);
  ed->runner = NULL;
}

static runner *runner_start(napi_env env, env_data *ed) {
  if (ed->runner || ed->runner_failed) return ed->runner;
  ed->runner_failed = 1; /* unless all goes well below */
  runner *r = calloc(1, sizeof *r);
  napi_value name;
  if (!r) return NULL;
  r->budget_ns = ed->poll ? ed->poll->budget_ns : default_poll_ns;
  if (napi_create_string_utf8(env, "callmem", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, r, runner_done, &r->done) !=
          napi_ok) {
    free(r);
    return NULL;
  }
  napi_unref_threadsafe_function(env, r->done);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  if (pthread_create(&r->thread, NULL, runner_main, r) != 0 ||
      napi_add_env_cleanup_hook(env, runner_cleanup, ed) != napi_ok) {
    napi_release_threadsafe_function(r->done, napi_tsfn_abort);
    free(r); /* (a thread that started waits on a runner nobody signals: not reached in practice) */
    return NULL;
  }
  ed->runner = r;
  ed->runner_failed = 0;
  return r;
}

/* Hands w to the runner when it is free; false when it is not (or there is none). */
static bool runner_take(napi_env env, env_data *ed, work *w) {
  runner *r = runner_start(env, ed);
  if (!r || r->busy) return false;
  r->busy = 1;
  napi_ref_threadsafe_function(env, r->done);
  pthread_mutex_lock(&r->mu);
  __atomic_store_n(&r->next, w, __ATOMIC_RELEASE);
  if (r->asleep) pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
  return true;
}

/* call(handle, op, tenant, request[, options]) -> Promise<object> */
static napi_value js_call(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], promise;
  handle *h = NULL;
  int32_t op = -1;
  env_data *ed = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_instance_data(env, (void **)&ed));
  if (argc < 4 || napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h ||
      napi_get_value_int32(env, argv[1], &op) != napi_ok || op < 0 || op > OP_KEY ||
      (op == OP_IMPORT && argc < 5)) {
    napi_throw_type_error(env, NULL, "callmem: bad internal call");
    return NULL;
  }
  if (h->state != OPEN) return rejected(env, STATUS_ERROR, "callmem: the call memory is closed");
  if (op == OP_IMPORT && !lib.import)
    return rejected(env, STATUS_ERROR,
                    "callmem: this libcallmem has no callmem_import (it is older than 0.1)");
  if (op == OP_KEY && !lib.key_tenant)
    return rejected(env, STATUS_ERROR,
                    "callmem: this libcallmem has no callmem_api_key_tenant (it is older than 0.1)");

  work *w = calloc(1, sizeof *w);
  bool ok1 = true, ok2 = true, ok3 = true;
  if (!w) return rejected(env, STATUS_ERROR, "callmem: out of memory");
  w->h = h;
  w->op = op;
  if (op != OP_PURGE && op != OP_KEY) w->tenant = dup_string(env, argv[2], &ok1);
  w->request = dup_string(env, argv[3], &ok2);
  if (op == OP_IMPORT) w->options = dup_string(env, argv[4], &ok3);
  if (!ok1 || !ok2 || !ok3 || napi_create_promise(env, &w->deferred, &promise) != napi_ok) {
    work_free(env, w);
    return rejected(env, STATUS_ERROR, "callmem: out of memory");
  }
  if (!runner_take(env, ed, w) && !queue(env, w, op_execute, op_complete)) {
    reject_with(env, w->deferred, STATUS_ERROR, NULL, "callmem: could not queue the operation");
    work_free(env, w);
    return promise;
  }
  h->refs++;
  h->inflight++;
  poll_begin(ed);
  return promise;
}

/* ---- open ---- */

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  handle_unref(data); /* closes the C handle when nothing is in flight */
}

static void open_execute(napi_env env, void *data) {
  (void)env;
  work *w = data;
  w->status = lib.open(&w->db, w->request);
  /* open has no error document: its message is in this thread's last error. */
  if (w->status != 0) w->message = strdup(lib.last_error());
}

static void open_complete(napi_env env, napi_status status, void *data) {
  work *w = data;
  napi_value ext;
  if (status != napi_ok || w->status != 0) {
    if (w->db) lib.close(w->db);
    reject_with(env, w->deferred, status != napi_ok ? STATUS_ERROR : w->status, NULL,
                w->message ? w->message : "callmem: open failed");
    work_free(env, w);
    return;
  }
  handle *h = calloc(1, sizeof *h);
  if (!h) {
    lib.close(w->db);
    reject_with(env, w->deferred, STATUS_ERROR, NULL, "callmem: out of memory");
    work_free(env, w);
    return;
  }
  h->db = w->db;
  h->refs = 1;
  h->state = OPEN;
  __atomic_add_fetch(&open_handles, 1, __ATOMIC_RELAXED);
  if (napi_create_external(env, h, handle_finalize, NULL, &ext) != napi_ok) {
    handle_unref(h);
    reject_with(env, w->deferred, STATUS_ERROR, NULL, "callmem: out of memory");
  } else {
    napi_resolve_deferred(env, w->deferred, ext);
  }
  work_free(env, w);
}

/* open(configJson) -> Promise<external> */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], promise;
  bool ok = true;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!lib.dl) return rejected(env, STATUS_ERROR, "callmem: the library is not loaded");
  work *w = calloc(1, sizeof *w);
  if (!w) return rejected(env, STATUS_ERROR, "callmem: out of memory");
  w->op = -1;
  if (argc >= 1) w->request = dup_string(env, argv[0], &ok);
  if (!ok || napi_create_promise(env, &w->deferred, &promise) != napi_ok) {
    work_free(env, w);
    return rejected(env, STATUS_ERROR, "callmem: out of memory");
  }
  if (!queue(env, w, open_execute, open_complete)) {
    reject_with(env, w->deferred, STATUS_ERROR, NULL, "callmem: could not queue the open");
    work_free(env, w);
  }
  return promise;
}

/* close(handle) -> Promise<void>; waits for the calls in flight. index.js
 * calls it once per handle and shares the promise. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], promise;
  napi_deferred d;
  handle *h = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h) {
    napi_throw_type_error(env, NULL, "callmem: bad internal call");
    return NULL;
  }
  CHECK(env, napi_create_promise(env, &d, &promise));
  if (h->state != OPEN) {
    /* Already closing or closed: index.js shares the first close's promise. */
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, d, undef);
    return promise;
  }
  h->state = CLOSING;
  if (h->inflight == 0)
    start_close(env, h, d);
  else
    h->close_deferred = d;
  return promise;
}

/* ---- loading ---- */

/* load(path) -> version string; throws with dlerror's message. */
static napi_value js_load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  bool ok = true;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = argc >= 1 ? dup_string(env, argv[0], &ok) : NULL;
  if (!path) {
    napi_throw_type_error(env, NULL, "callmem: load(path) takes a string");
    return NULL;
  }
  pthread_mutex_lock(&lib_mu);
  const char *failure = NULL;
  char message[1024];
  if (!lib.dl) {
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
      failure = dlerror();
    } else {
// clang-format off
#define SYM(field, name) \
  if (!failure && !(*(void **)&lib.field = dlsym(dl, name))) failure = "a callmem_* symbol is missing: " name
      // clang-format on
      SYM(open, "callmem_open");
      SYM(close, "callmem_close");
      SYM(purge, "callmem_purge_expired");
      SYM(free, "callmem_free");
      SYM(last_error, "callmem_last_error");
      SYM(version_number, "callmem_version_number");
      SYM(version, "callmem_version");
#undef SYM
      if (!failure) *(void **)&lib.import = dlsym(dl, "callmem_import");
      if (!failure) *(void **)&lib.key_tenant = dlsym(dl, "callmem_api_key_tenant");
      for (int i = 0; !failure && i < OP_COUNT; ++i)
        if (!(*(void **)&lib.ops[i] = dlsym(dl, op_symbols[i]))) failure = op_symbols[i];
      if (failure)
        dlclose(dl);
      else
        lib.dl = dl;
    }
  }
  if (failure) snprintf(message, sizeof message, "callmem: cannot load %s: %s", path, failure);
  pthread_mutex_unlock(&lib_mu);
  free(path);
  if (failure) {
    napi_throw_error(env, "CALLMEM_LOAD", message);
    return NULL;
  }
  CHECK(env, napi_create_string_utf8(env, lib.version(), NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value js_set_error_factory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  env_data *ed = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_instance_data(env, (void **)&ed));
  if (ed->make_error) napi_delete_reference(env, ed->make_error);
  CHECK(env, napi_create_reference(env, argv[0], 1, &ed->make_error));
  return NULL;
}

static napi_value js_open_handles(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value n;
  CHECK(env, napi_create_int32(env, __atomic_load_n(&open_handles, __ATOMIC_RELAXED), &n));
  return n;
}

/* setPolling(microseconds): the event loop's polling budget (0: off). */
static napi_value js_set_polling(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double us = 0;
  env_data *ed = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_instance_data(env, (void **)&ed));
  if (argc < 1 || napi_get_value_double(env, argv[0], &us) != napi_ok || !(us >= 0) || us > 1e9) {
    napi_throw_range_error(env, NULL, "callmem: setPolling takes microseconds, 0 to 1e9");
    return NULL;
  }
  if (ed->poll) {
    ed->poll->budget_ns = (uint64_t)(us * 1000);
    if (!ed->poll->budget_ns) uv_idle_stop(&ed->poll->idle);
  }
  if (ed->runner) __atomic_store_n(&ed->runner->budget_ns, (uint64_t)(us * 1000), __ATOMIC_RELAXED);
  return NULL;
}

static void env_data_free(napi_env env, void *data, void *hint) {
  (void)hint;
  env_data *ed = data;
  if (ed->json_parse) napi_delete_reference(env, ed->json_parse);
  if (ed->make_error) napi_delete_reference(env, ed->make_error);
  free(ed);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value global, json, parse, fn;
  env_data *ed = calloc(1, sizeof *ed);
  if (!ed) return throw_last(env);
  CHECK(env, napi_set_instance_data(env, ed, env_data_free, NULL));
  CHECK(env, napi_get_global(env, &global));
  CHECK(env, napi_get_named_property(env, global, "JSON", &json));
  CHECK(env, napi_get_named_property(env, json, "parse", &parse));
  CHECK(env, napi_create_reference(env, parse, 1, &ed->json_parse));

  uv_loop_t *loop = NULL;
  poller *p = calloc(1, sizeof *p);
  if (p && napi_get_uv_event_loop(env, &loop) == napi_ok && loop && uv_idle_init(loop, &p->idle) == 0) {
    p->idle.data = p;
    p->budget_ns = default_poll_ns;
    uv_unref((uv_handle_t *)&p->idle); /* never keeps the process alive */
    ed->poll = p;
    CHECK(env, napi_add_env_cleanup_hook(env, poller_cleanup, ed));
  } else {
    free(p);
  }

  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"load", js_load},
             {"open", js_open},
             {"close", js_close},
             {"call", js_call},
             {"setErrorFactory", js_set_error_factory},
             {"openHandles", js_open_handles},
             {"setPolling", js_set_polling}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; ++i) {
    CHECK(env, napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn));
    CHECK(env, napi_set_named_property(env, exports, fns[i].name, fn));
  }
  return exports;
}
