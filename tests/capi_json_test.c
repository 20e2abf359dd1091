/* The C ABI's JSON reader (callmem/json.h), from plain C99. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callmem/callmem.h"
#include "callmem/json.h"

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* An answer of callmem, read as a C host would. */
static void reads_an_answer(void) {
  callmem_db *db = NULL;
  char *out = NULL;
  callmem_json *doc = NULL;
  const callmem_json_value *root;
  CHECK(callmem_open(&db, "{\"path\": \":memory:\"}") == CALLMEM_OK);
  CHECK(callmem_call_start(db, "acme",
                           "{\"call_id\": \"c1\", \"identity_hints\": {\"ani\": \"+14155551234\"}}",
                           &out) == CALLMEM_OK);
  CHECK(callmem_call_end(db, "acme",
                         "{\"call_id\": \"c1\", \"intent\": \"refund\", \"variables\": {\"n\": 0.1}}",
                         NULL) == CALLMEM_OK);
  callmem_free(out);
  CHECK(callmem_call_start(db, "acme",
                           "{\"call_id\": \"c2\", \"identity_hints\": {\"ani\": \"+14155551234\"}, "
                           "\"telco\": {\"line_type\": \"mobile\"}}",
                           &out) == CALLMEM_OK);
  CHECK(callmem_json_parse(&doc, out) == CALLMEM_OK);
  root = callmem_json_root(doc);
  CHECK(callmem_json_type(root) == CALLMEM_JSON_OBJECT);
  CHECK(streq(callmem_json_string(callmem_json_get(root, "call_id"), NULL), "c2"));
  CHECK(streq(callmem_json_string(callmem_json_find(root, "identity.recommendation"), NULL), "reuse"));
  CHECK(callmem_json_double(callmem_json_find(root, "identity.confidence")) > 0.5);
  CHECK(streq(callmem_json_string(callmem_json_find(root, "open_intents.0.intent"), NULL), "refund"));
  CHECK(callmem_json_int64(callmem_json_find(root, "open_intents.0.attempt_count")) == 1);
  CHECK(callmem_json_double(callmem_json_find(root, "variables.n.value")) == 0.1);
  CHECK(callmem_json_size(callmem_json_get(root, "variables")) == 1);
  CHECK(streq(callmem_json_key_at(callmem_json_get(root, "variables"), 0), "n"));
  /* Missing steps answer NULL, and every accessor takes NULL. */
  CHECK(callmem_json_find(root, "open_intents.1.intent") == NULL);
  CHECK(callmem_json_find(root, "identity.nothing.deeper") == NULL);
  CHECK(callmem_json_find(root, "open_intents.x") == NULL);
  CHECK(callmem_json_type(NULL) == CALLMEM_JSON_ABSENT);
  CHECK(callmem_json_string(NULL, NULL) == NULL);
  CHECK(callmem_json_size(NULL) == 0);
  CHECK(callmem_json_get(callmem_json_get(root, "call_id"), "x") == NULL);
  CHECK(callmem_json_find(root, "") == root);
  callmem_json_free(doc);
  callmem_free(out);
  callmem_close(db);
}

static void reads_numbers_exactly(void) {
  callmem_json *doc = NULL;
  const callmem_json_value *a;
  char *text = NULL;
  CHECK(callmem_json_parse(&doc,
                           "[0e206, 0E+50, -0.0e100, 9007199254740993, -9223372036854775808, "
                           "18446744073709551615, 0.1, 1.7976931348623157e308, 5e-324, 2.5]") == CALLMEM_OK);
  a = callmem_json_root(doc);
  CHECK(callmem_json_size(a) == 10);
  CHECK(callmem_json_double(callmem_json_at(a, 0)) == 0);
  CHECK(callmem_json_double(callmem_json_at(a, 1)) == 0);
  CHECK(callmem_json_double(callmem_json_at(a, 2)) == 0 &&
        signbit(callmem_json_double(callmem_json_at(a, 2))));
  CHECK(callmem_json_is_int64(callmem_json_at(a, 3)));
  CHECK(callmem_json_int64(callmem_json_at(a, 3)) == 9007199254740993LL);
  CHECK(callmem_json_int64(callmem_json_at(a, 4)) == -9223372036854775807LL - 1);
  CHECK(!callmem_json_is_int64(callmem_json_at(a, 5)));
  CHECK(callmem_json_double(callmem_json_at(a, 6)) == 0.1);
  CHECK(callmem_json_double(callmem_json_at(a, 7)) == 1.7976931348623157e308);
  CHECK(callmem_json_double(callmem_json_at(a, 8)) == 5e-324);
  CHECK(!callmem_json_is_int64(callmem_json_at(a, 9)));
  CHECK(callmem_json_write(a, &text) == CALLMEM_OK);
  CHECK(text && strstr(text, "9007199254740993") && strstr(text, "0.1,") && strstr(text, "2.5]"));
  callmem_free(text);
  callmem_json_free(doc);
  /* A number no double holds is refused, not turned into infinity. */
  CHECK(callmem_json_parse(&doc, "[1e400]") == CALLMEM_EINVALID);
  CHECK(doc == NULL);
  CHECK(strstr(callmem_last_error(), "offset 1") != NULL);
}

static void reads_strings_and_refuses_what_is_not_json(void) {
  callmem_json *doc = NULL;
  size_t n = 0;
  const char *s;
  CHECK(callmem_json_parse(&doc,
                           " {\"a\\u0000b\": \"x\\u0000y\\n\\u00e9\", \"t\": true, \"f\": false, "
                           "\"z\": null} \n") == CALLMEM_OK);
  s = callmem_json_string(callmem_json_at(callmem_json_root(doc), 0), &n);
  CHECK(n == 6 && s && memcmp(s, "x\0y\n\xc3\xa9", 6) == 0);
  CHECK(callmem_json_bool(callmem_json_get(callmem_json_root(doc), "t")) == 1);
  CHECK(callmem_json_bool(callmem_json_get(callmem_json_root(doc), "f")) == 0);
  CHECK(callmem_json_type(callmem_json_get(callmem_json_root(doc), "f")) == CALLMEM_JSON_BOOL);
  CHECK(callmem_json_type(callmem_json_get(callmem_json_root(doc), "z")) == CALLMEM_JSON_NULL);
  callmem_json_free(doc);

  CHECK(callmem_json_parse(&doc, "{\"a\": 1} x") == CALLMEM_EINVALID);
  CHECK(doc == NULL);
  CHECK(strstr(callmem_last_error(), "offset") != NULL);
  CHECK(callmem_json_parse(&doc, "{\"a\": ") == CALLMEM_EINVALID);
  CHECK(callmem_json_parse(&doc, "\"\xff\"") == CALLMEM_EINVALID);
  CHECK(callmem_json_parse(&doc, "") == CALLMEM_EINVALID);
  CHECK(callmem_json_parse(&doc, NULL) == CALLMEM_EINVALID);
  CHECK(callmem_json_parse(NULL, "{}") == CALLMEM_EINVALID);
  CHECK(callmem_json_write(NULL, NULL) == CALLMEM_EINVALID);
  callmem_json_free(NULL);
}

int main(void) {
  reads_an_answer();
  reads_numbers_exactly();
  reads_strings_and_refuses_what_is_not_json();
  if (failures) {
    fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  puts("capi_json: ok");
  return 0;
}
