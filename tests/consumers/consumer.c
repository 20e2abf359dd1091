/*
 * A program built against callmem the way a user would build it (see the
 * projects beside this file and scripts/test-packages): a new caller on a
 * private in-memory database, the end of that call saving a name, then the
 * same caller again, recognised with it. Prints "ok" and exits 0, or says
 * what went wrong and exits 1.
 */
#include <callmem/callmem.h>
#include <stdio.h>
#include <string.h>

static int failed(const char *what, int rc, char *doc) {
  fprintf(stderr, "%s: status %d: %s\n", what, rc, doc ? doc : callmem_last_error());
  callmem_free(doc);
  return 1;
}

int main(void) {
  callmem_db *db = NULL;
  char *out = NULL;
  int rc, recognised;

  if (callmem_version_number() != CALLMEM_VERSION_NUMBER) {
    fprintf(stderr, "header %s, library %s\n", CALLMEM_VERSION_STRING, callmem_version());
    return 1;
  }
  rc = callmem_open(&db, "{\"path\": \":memory:\"}");
  if (rc != CALLMEM_OK) return failed("callmem_open", rc, NULL);

  rc = callmem_call_start(db, "acme",
                          "{\"call_id\": \"c1\", \"identity_hints\": {\"ani\": \"+14155551234\"},"
                          " \"telco\": {\"line_type\": \"mobile\"}}",
                          &out);
  if (rc != CALLMEM_OK || !strstr(out, "\"customer_ref\":\"")) goto fail_start;
  callmem_free(out);

  rc = callmem_call_end(db, "acme", "{\"call_id\": \"c1\", \"variables\": {\"name\": \"John Doe\"}}", &out);
  if (rc != CALLMEM_OK) {
    callmem_close(db);
    return failed("callmem_call_end", rc, out);
  }
  callmem_free(out);

  rc = callmem_call_start(db, "acme",
                          "{\"call_id\": \"c2\", \"identity_hints\": {\"ani\": \"+14155551234\"},"
                          " \"telco\": {\"line_type\": \"mobile\"}}",
                          &out);
  recognised = rc == CALLMEM_OK && strstr(out, "\"John Doe\"") && strstr(out, "\"recommendation\":\"reuse\"");
  if (!recognised) goto fail_start;
  callmem_free(out);

  callmem_close(db);
  printf("ok: callmem %s\n", callmem_version());
  return 0;

fail_start:
  callmem_close(db);
  return failed("callmem_call_start", rc, out);
}
