/*
 * The C side of the bindings overhead benchmark (bench/bindings/run): N
 * callmem_call_start calls on a fresh temporary database, each from a new
 * number, through the C ABI with the callmem_free of each answer. Requests are
 * built before timing; each call is timed alone. Prints the median and p90 in
 * microseconds.
 *
 *   callmem_capi_loop [N] [--json]      (N default 2000)
 */
#define _POSIX_C_SOURCE 200809L
#include <callmem/callmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  int n = 2000, as_json = 0, i, rc = 0;
  char dir[] = "/tmp/callmem-bench-c-XXXXXX", path[512], config[600], **requests;
  double *us;
  callmem_db *db = NULL;

  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--json") == 0)
      as_json = 1;
    else
      n = atoi(argv[i]);
  }
  if (n <= 0 || !mkdtemp(dir)) {
    fprintf(stderr, "usage: callmem_capi_loop [N] [--json]\n");
    return 1;
  }
  snprintf(path, sizeof path, "%s/bench.db", dir);
  snprintf(config, sizeof config, "{\"path\": \"%s\"}", path);
  if (callmem_open(&db, config) != CALLMEM_OK) {
    fprintf(stderr, "callmem_open: %s\n", callmem_last_error());
    return 1;
  }

  /* The same requests as python_loop.py and node_loop.mjs, built before timing. */
  requests = malloc(sizeof *requests * (size_t)n);
  us = malloc(sizeof *us * (size_t)n);
  for (i = 0; i < n; ++i) {
    requests[i] = malloc(160);
    snprintf(requests[i], 160,
             "{\"call_id\":\"call-%d\",\"identity_hints\":{\"ani\":\"+1415%07d\"},\"telco\":{\"line_type\":"
             "\"mobile\"}}",
             i, 2000000 + i);
  }

  for (i = 0; i < n; ++i) {
    char *answer = NULL;
    const double t0 = now_us();
    const int status = callmem_call_start(db, "bench", requests[i], &answer);
    callmem_free(answer);
    us[i] = now_us() - t0;
    if (status != CALLMEM_OK) {
      fprintf(stderr, "callmem_call_start: %s\n", callmem_last_error());
      rc = 1;
      break;
    }
  }
  callmem_close(db);

  if (rc == 0) {
    qsort(us, (size_t)n, sizeof *us, by_value);
    if (as_json)
      printf("{\"side\":\"c\",\"n\":%d,\"median_us\":%.3f,\"p90_us\":%.3f}\n", n, us[n / 2], us[n * 9 / 10]);
    else
      printf("c start_call: n=%d median %.1f us, p90 %.1f us\n", n, us[n / 2], us[n * 9 / 10]);
  }

  for (i = 0; i < n; ++i) free(requests[i]);
  free(requests);
  free(us);
  snprintf(config, sizeof config, "%s-wal", path);
  remove(config);
  snprintf(config, sizeof config, "%s-shm", path);
  remove(config);
  remove(path);
  rmdir(dir);
  return rc;
}
