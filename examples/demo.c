/*
 * The demo (scripts/demo): a new caller, the end of that call saving an open intent
 * and variables, then the same caller again, recognised with both.
 *
 *   demo [database-file]     (default: demo.db, created afresh)
 */
#include <callmem/callmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int step(const char *title, int rc, char *json) {
  printf("== %s\n%s\n\n", title, json ? json : callmem_last_error());
  callmem_free(json);
  return rc;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "demo.db";
  char config[512], *out = NULL;
  callmem_db *db = NULL;
  int rc;

  /* A fresh database file every run. */
  remove(path);
  snprintf(config, sizeof config, "{\"path\": \"%s\"}", path);
  if (callmem_open(&db, config) != CALLMEM_OK) {
    fprintf(stderr, "callmem_open: %s\n", callmem_last_error());
    return 1;
  }
  printf("callmem %s, database %s\n\n", callmem_version(), path);

  rc = callmem_call_start(db, "acme",
                          "{\"call_id\": \"call_001\","
                          " \"identity_hints\": {\"ani\": \"+14155551234\", \"dnis\": \"+18005550100\"},"
                          " \"telco\": {\"line_type\": \"mobile\"},"
                          " \"at\": \"2026-02-07T10:30:00.000Z\"}",
                          &out);
  if (step("call start: a new caller", rc, out) != CALLMEM_OK) goto fail;

  rc = callmem_call_end(
      db, "acme",
      "{\"call_id\": \"call_001\", \"intent\": \"refund_request\", \"intent_status\": \"open\","
      " \"variables\": {\"name\": \"John Doe\", \"order_id\": \"12345\"},"
      " \"at\": \"2026-02-07T10:30:15.000Z\"}",
      &out);
  if (step("call end: an open intent and two variables saved", rc, out) != CALLMEM_OK) goto fail;

  rc = callmem_call_start(
      db, "acme",
      "{\"call_id\": \"call_002\","
      " \"identity_hints\": {\"ani\": \"tel:+1-415-555-1234\", \"dnis\": \"+18005550100\"},"
      " \"telco\": {\"line_type\": \"mobile\"},"
      " \"at\": \"2026-02-08T09:00:00.000Z\"}",
      &out);
  if (step("call start: the same caller the next day, recognised", rc, out) != CALLMEM_OK) goto fail;

  callmem_close(db);
  return 0;
fail:
  callmem_close(db);
  return 1;
}
