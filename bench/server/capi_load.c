/*
 * The in-process side of bench/server/run: the same start and end requests
 * as start_end.lua, through the C ABI, from THREADS threads for SECONDS.
 * Prints {"requests", "seconds", "errors", "p50_us", "p99_us"}.
 *
 *   capi_load DATABASE THREADS SECONDS RUN
 */
#define _POSIX_C_SOURCE 200809L
#include <callmem/callmem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static callmem_db *db;
static double seconds;
static const char *run;

struct worker {
  pthread_t thread;
  int id;
  long requests, errors;
  double *latency_us;
  long capacity;
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void record(struct worker *w, double us, int rc) {
  if (w->requests == w->capacity) {
    w->capacity *= 2;
    w->latency_us = realloc(w->latency_us, (size_t)w->capacity * sizeof(double));
    if (!w->latency_us) abort();
  }
  w->latency_us[w->requests++] = us;
  if (rc != CALLMEM_OK && w->errors++ == 0)
    fprintf(stderr, "capi_load: status %d: %s\n", rc, callmem_last_error());
}

static void *work(void *arg) {
  struct worker *w = arg;
  char request[512];
  const double end = now() + seconds;
  for (long call = 1; now() < end; ++call) {
    snprintf(request, sizeof request,
             "{\"call_id\":\"%s-%d-%ld\",\"identity_hints\":{\"ani\":\"+1415%07ld\"},\"telco\":{\"line_"
             "type\":\"mobile\"}}",
             run, w->id, call, ((long)w->id * 7919 + call * 104729) % 100000);
    double t0 = now();
    int rc = callmem_call_start(db, "bench", request, NULL);
    record(w, (now() - t0) * 1e6, rc);
    snprintf(
        request, sizeof request,
        "{\"call_id\":\"%s-%d-%ld\",\"intent\":\"order_status\",\"variables\":{\"last_order\":\"A-%ld\"}}",
        run, w->id, call, call);
    t0 = now();
    rc = callmem_call_end(db, "bench", request, NULL);
    record(w, (now() - t0) * 1e6, rc);
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: capi_load DATABASE THREADS SECONDS RUN\n");
    return 2;
  }
  char config[1024];
  snprintf(config, sizeof config, "{\"path\": \"%s\"}", argv[1]);
  if (callmem_open(&db, config) != CALLMEM_OK) {
    fprintf(stderr, "callmem_open: %s\n", callmem_last_error());
    return 1;
  }
  const int threads = atoi(argv[2]);
  seconds = atof(argv[3]);
  run = argv[4];
  struct worker *workers = calloc((size_t)threads, sizeof *workers);
  const double t0 = now();
  for (int i = 0; i < threads; ++i) {
    workers[i].id = i + 1;
    workers[i].capacity = 1024;
    workers[i].latency_us = malloc(1024 * sizeof(double));
    pthread_create(&workers[i].thread, NULL, work, &workers[i]);
  }
  long total = 0, errors = 0;
  for (int i = 0; i < threads; ++i) {
    pthread_join(workers[i].thread, NULL);
    total += workers[i].requests;
    errors += workers[i].errors;
  }
  const double elapsed = now() - t0;
  double *all = malloc((size_t)(total ? total : 1) * sizeof(double));
  long k = 0;
  for (int i = 0; i < threads; ++i) {
    memcpy(all + k, workers[i].latency_us, (size_t)workers[i].requests * sizeof(double));
    k += workers[i].requests;
    free(workers[i].latency_us);
  }
  qsort(all, (size_t)total, sizeof(double), by_value);
  printf("{\"requests\":%ld,\"seconds\":%.3f,\"errors\":%ld,\"p50_us\":%.0f,\"p99_us\":%.0f}\n", total,
         elapsed, errors, total ? all[total / 2] : 0.0, total ? all[(long)(total * 0.99)] : 0.0);
  free(all);
  free(workers);
  callmem_close(db);
  return errors ? 1 : 0;
}
