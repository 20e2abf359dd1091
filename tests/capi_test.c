/*
 * The C ABI from plain C99, linked against libcallmem.so: every scenario of
 * the contract (new and returning caller, replay, conflict, tenant isolation,
 * TTL expiry via "at", forget with its receipt, credits refused with nothing
 * written), NULL arguments (a NULL request is {} for every operation), the
 * error document, and reading tenant settings without writing them.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c_check.h"
#include "callmem/callmem.h"

/* The string value of "key" in a flat part of a JSON document (test helper). */
static void field(const char *json, const char *key, char *buf, size_t size) {
  char pattern[128];
  const char *p, *end;
  size_t n;
  buf[0] = 0;
  if (!json) return;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  p = strstr(json, pattern);
  if (!p) return;
  p += strlen(pattern);
  end = strchr(p, '"');
  if (!end) return;
  n = (size_t)(end - p);
  if (n >= size) n = size - 1;
  memcpy(buf, p, n);
  buf[n] = 0;
}

static int has(const char *json, const char *needle) { return json && strstr(json, needle) != NULL; }

#define STR_(x) #x
#define STR(x) STR_(x)

typedef int (*tenant_op)(callmem_db *, const char *, const char *, char **);

/* The operations taking a tenant, and the field {} lacks (NULL: {} is valid). */
static const struct {
  const char *name;
  tenant_op fn;
  const char *missing;
} kOps[] = {
    {"call_start", callmem_call_start, "call_id"},
    {"call_end", callmem_call_end, "call_id"},
    {"customer_get", callmem_customer_get, "customer_ref"},
    {"customer_forget", callmem_customer_forget, "customer_ref"},
    {"customer_export", callmem_customer_export, "customer_ref"},
    {"tenant_configure", callmem_tenant_configure, NULL},
    {"tenant_settings_get", callmem_tenant_settings_get, NULL},
    {"credits_grant", callmem_credits_grant, "amount"},
    {"usage", callmem_usage, NULL},
    {"identity_feedback", callmem_identity_feedback, "call_id"},
    {"identity_unmerge", callmem_identity_unmerge, "merge_id"},
};

/* A NULL request answers as {} does: the same status and the same bytes. */
static void check_null_request(callmem_db *db) {
  char *with_null, *with_empty, path[64];
  size_t i;
  int rc;
  for (i = 0; i < sizeof kOps / sizeof kOps[0]; ++i) {
    rc = kOps[i].fn(db, "nulls", NULL, &with_null);
    CHECK(rc == kOps[i].fn(db, "nulls", "{}", &with_empty));
    CHECK(with_null && with_empty && strcmp(with_null, with_empty) == 0);
    if (kOps[i].missing) {
      snprintf(path, sizeof path, "\"path\":[\"%s\"]", kOps[i].missing);
      CHECK(rc == CALLMEM_EINVALID);
      CHECK(has(with_null, path));
    } else {
      CHECK(rc == CALLMEM_OK);
    }
    if (!(with_null && with_empty && strcmp(with_null, with_empty) == 0))
      fprintf(stderr, "  callmem_%s: NULL %s, {} %s\n", kOps[i].name, with_null, with_empty);
    callmem_free(with_null);
    callmem_free(with_empty);
  }
  rc = callmem_purge_expired(db, NULL, &with_null);
  CHECK(rc == CALLMEM_OK && rc == callmem_purge_expired(db, "{}", &with_empty));
  CHECK(with_null && with_empty && strcmp(with_null, with_empty) == 0);
  callmem_free(with_null);
  callmem_free(with_empty);
  /* Nothing was written for the tenant. */
  CHECK(callmem_usage(db, "nulls", NULL, &with_null) == CALLMEM_OK);
  CHECK(has(with_null, "\"days\":[]"));
  callmem_free(with_null);
}

/* An ISO-8601 UTC timestamp, `offset` seconds from `base`. */
static void iso(char *buf, size_t size, time_t base, long offset) {
  time_t t = base + offset;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static char kStart1[256], kEnd1[256], kStart2[256], kStart3[256];

/* The calls of the scenario: two days ago, 15 s later, the next day, and 31 days on. */
static void make_requests(void) {
  char t[32];
  const time_t base = time(NULL) - 2 * 86400;
  iso(t, sizeof t, base, 0);
  snprintf(kStart1, sizeof kStart1,
           "{\"call_id\": \"call_001\", \"identity_hints\": {\"ani\": \"+14155551234\"},"
           " \"telco\": {\"line_type\": \"mobile\"}, \"at\": \"%s\"}",
           t);
  iso(t, sizeof t, base, 15);
  snprintf(kEnd1, sizeof kEnd1,
           "{\"call_id\": \"call_001\", \"intent\": \"refund_request\", \"intent_status\": \"open\","
           " \"variables\": {\"name\": \"John Doe\"}, \"at\": \"%s\"}",
           t);
  iso(t, sizeof t, base, 86400);
  snprintf(kStart2, sizeof kStart2,
           "{\"call_id\": \"call_002\", \"identity_hints\": {\"ani\": \"+14155551234\"},"
           " \"telco\": {\"line_type\": \"mobile\"}, \"at\": \"%s\"}",
           t);
  iso(t, sizeof t, base, 31 * 86400);
  snprintf(kStart3, sizeof kStart3,
           "{\"call_id\": \"call_003\", \"identity_hints\": {\"ani\": \"+14155551234\"},"
           " \"telco\": {\"line_type\": \"mobile\"}, \"at\": \"%s\"}",
           t);
}

int main(void) {
  char dir[] = "/tmp/callmem-capi-XXXXXX";
  char path[256], config[512], ref1[64], ref2[64], ref3[64];
  char *out = NULL, *again = NULL;
  callmem_db *db = NULL;
  int rc;

  make_requests();
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/calls.db", dir);
  snprintf(config, sizeof config, "{\"path\": \"%s\", \"busy_timeout_ms\": 2000}", path);

  /* Version, statuses, and opening. */
  CHECK(callmem_version_number() == CALLMEM_VERSION_NUMBER);
  /* Each negative status is one parenthesised expression wherever a macro puts it. */
  CHECK(strcmp(STR(CALLMEM_ERROR), "(-1)") == 0);
  CHECK(strcmp(STR(CALLMEM_EINVALID), "(-2)") == 0);
  CHECK(strcmp(STR(CALLMEM_ENOTFOUND), "(-3)") == 0);
  CHECK(strcmp(STR(CALLMEM_ECONFLICT), "(-4)") == 0);
  CHECK(strcmp(STR(CALLMEM_ECREDITS), "(-5)") == 0);
  CHECK(strcmp(STR(CALLMEM_EBUSY), "(-6)") == 0);
  CHECK(strcmp(STR(CALLMEM_ESTORE), "(-7)") == 0);
  CHECK(-CALLMEM_EINVALID == 2 && 1 - CALLMEM_EBUSY == 7);
  CHECK(strcmp(callmem_version(), CALLMEM_VERSION_STRING) == 0);
  CHECK(callmem_status_http(CALLMEM_EINVALID) == 400);
  CHECK(callmem_status_http(CALLMEM_ECREDITS) == 402);
  CHECK(callmem_open(NULL, config) == CALLMEM_EINVALID);
  CHECK(callmem_open(&db, "{\"path\": 5}") == CALLMEM_EINVALID);
  CHECK(db == NULL);
  CHECK(strlen(callmem_last_error()) > 0);
  /* A typo in the configuration is refused, naming the key: no ./callmem.db is opened instead. */
  CHECK(callmem_open(&db, "{\"pth\": \"x.db\"}") == CALLMEM_EINVALID);
  CHECK(db == NULL);
  CHECK(strstr(callmem_last_error(), "pth") != NULL);
  CHECK(callmem_open(&db, "{\"default_settings\": {\"billing\": {\"enabeld\": true}}}") == CALLMEM_EINVALID);
  CHECK(strstr(callmem_last_error(), "default_settings.billing.enabeld") != NULL);
  CHECK(callmem_open(&db, config) == CALLMEM_OK);
  CHECK(db != NULL);
  callmem_close(NULL);

  /* A new caller. */
  rc = callmem_call_start(db, "acme", kStart1, &out);
  CHECK(rc == CALLMEM_OK);
  CHECK(has(out, "\"confidence\":0"));
  CHECK(has(out, "\"recommendation\":\"ignore\""));
  field(out, "customer_ref", ref1, sizeof ref1);
  CHECK(strlen(ref1) == 36);

  /* A retried start: the same bytes. Another request on the call_id: conflict. */
  CHECK(callmem_call_start(db, "acme", kStart1, &again) == CALLMEM_OK);
  CHECK(again && out && strcmp(again, out) == 0);
  callmem_free(again);
  callmem_free(out);
  rc = callmem_call_start(db, "acme", "{\"call_id\": \"call_001\", \"ani\": \"+15550000000\"}", &out);
  CHECK(rc == CALLMEM_ECONFLICT);
  CHECK(has(out, "\"error\":\"Conflict\""));
  callmem_free(out);

  /* The end saves an open intent and a variable. */
  rc = callmem_call_end(db, "acme", kEnd1, &out);
  CHECK(rc == CALLMEM_OK);
  CHECK(has(out, "\"duration_seconds\":15"));
  CHECK(has(out, "\"intents_updated\":1"));
  callmem_free(out);

  /* The returning caller: reuse, with the intent and the variable. */
  rc = callmem_call_start(db, "acme", kStart2, &out);
  CHECK(rc == CALLMEM_OK);
  field(out, "customer_ref", ref2, sizeof ref2);
  CHECK(strcmp(ref1, ref2) == 0);
  CHECK(has(out, "\"recommendation\":\"reuse\""));
  CHECK(has(out, "\"intent\":\"refund_request\""));
  CHECK(has(out, "\"attempt_count\":1"));
  CHECK(has(out, "\"value\":\"John Doe\""));
  callmem_free(out);

  /* Another tenant does not know the caller. */
  rc = callmem_call_start(db, "other", kStart2, &out);
  CHECK(rc == CALLMEM_OK);
  field(out, "customer_ref", ref3, sizeof ref3);
  CHECK(strcmp(ref3, ref1) != 0);
  CHECK(has(out, "\"open_intents\":[]"));
  CHECK(!has(out, "John Doe"));
  callmem_free(out);

  /* TTL: 31 days on (via "at"), the caller is not known any more. */
  rc = callmem_call_start(db, "acme", kStart3, &out);
  CHECK(rc == CALLMEM_OK);
  field(out, "customer_ref", ref3, sizeof ref3);
  CHECK(strcmp(ref3, ref1) != 0);
  CHECK(has(out, "\"confidence\":0"));
  CHECK(!has(out, "John Doe"));
  callmem_free(out);

  /* Bad input: a clear error naming the field, and nothing written. */
  rc = callmem_call_start(db, "acme", "{\"call_id\": \"x\", \"identity_hints\": {}}", &out);
  CHECK(rc == CALLMEM_EINVALID);
  CHECK(has(out, "\"path\":[\"identity_hints\"]"));
  CHECK(has(out, "identity_hints must include ani, external_ids, or customer_ref"));
  callmem_free(out);
  CHECK(callmem_call_start(db, "acme", "{not json", &out) == CALLMEM_EINVALID);
  callmem_free(out);
  CHECK(callmem_call_start(db, "bad tenant", kStart1, &out) == CALLMEM_EINVALID);
  CHECK(has(out, "\"tenant\""));
  callmem_free(out);
  CHECK(callmem_call_start(NULL, "acme", kStart1, &out) == CALLMEM_EINVALID);
  callmem_free(out);
  CHECK(callmem_call_start(db, NULL, kStart1, &out) == CALLMEM_EINVALID);
  callmem_free(out);
  CHECK(callmem_call_start(db, "acme", NULL, &out) == CALLMEM_EINVALID);
  CHECK(has(out, "\"path\":[\"call_id\"]"));
  callmem_free(out);
  check_null_request(db);
  CHECK(callmem_call_start(db, "acme", "{\"call_id\": \"x\"}", NULL) == CALLMEM_EINVALID);
  CHECK(callmem_customer_get(db, "acme", "{\"customer_ref\": \"nobody\"}", &out) == CALLMEM_ENOTFOUND);
  callmem_free(out);

  /* Get, export, forget with its receipt. */
  snprintf(config, sizeof config, "{\"customer_ref\": \"%s\"}", ref1);
  CHECK(callmem_customer_get(db, "acme", config, &out) == CALLMEM_OK);
  CHECK(has(out, "\"call_001\"") && has(out, "\"call_002\""));
  callmem_free(out);
  CHECK(callmem_customer_export(db, "acme", config, &out) == CALLMEM_OK);
  CHECK(has(out, "+14155551234"));
  callmem_free(out);
  CHECK(callmem_customer_forget(db, "acme", config, &out) == CALLMEM_OK);
  CHECK(has(out,
            "\"removed\":{\"identities\":1,\"intents\":1,\"variables\":1,\"calls\":2,"
            "\"aliases\":0,\"merges\":0}"));
  callmem_free(out);
  CHECK(callmem_customer_get(db, "acme", config, &out) == CALLMEM_ENOTFOUND);
  callmem_free(out);

  /* Identity feedback: corrected merges the call's new customer; unmerge undoes it. */
  CHECK(callmem_call_start(db, "fb", "{\"call_id\": \"fx\", \"external_ids\": {\"crm_id\": \"X1\"}}", &out) ==
        CALLMEM_OK);
  field(out, "customer_ref", ref2, sizeof ref2);
  callmem_free(out);
  CHECK(callmem_call_start(db, "fb", "{\"call_id\": \"fy\", \"ani\": \"+14155550199\"}", &out) == CALLMEM_OK);
  field(out, "customer_ref", ref3, sizeof ref3);
  callmem_free(out);
  snprintf(config, sizeof config,
           "{\"call_id\": \"fy\", \"outcome\": \"corrected\", \"customer_ref\": \"%s\"}", ref2);
  CHECK(callmem_identity_feedback(db, "fb", config, &out) == CALLMEM_OK);
  field(out, "alias_of", ref1, sizeof ref1);
  CHECK(strcmp(ref1, ref2) == 0);
  field(out, "merge_id", ref1, sizeof ref1);
  CHECK(strlen(ref1) == 36);
  CHECK(callmem_identity_feedback(db, "fb", config, &again) == CALLMEM_OK);
  CHECK(again && out && strcmp(again, out) == 0);
  callmem_free(again);
  callmem_free(out);
  snprintf(config, sizeof config, "{\"customer_ref\": \"%s\"}", ref3);
  CHECK(callmem_customer_get(db, "fb", config, &out) == CALLMEM_OK);
  CHECK(has(out, ref2) && has(out, "+14155550199"));
  callmem_free(out);
  snprintf(config, sizeof config, "{\"merge_id\": \"%s\"}", ref1);
  CHECK(callmem_identity_unmerge(db, "fb", config, &out) == CALLMEM_OK);
  CHECK(has(out, "\"restored_customer_ref\""));
  CHECK(callmem_identity_unmerge(db, "fb", config, &again) == CALLMEM_OK);
  CHECK(again && out && strcmp(again, out) == 0);
  callmem_free(again);
  callmem_free(out);
  CHECK(callmem_identity_unmerge(db, "other", config, &out) == CALLMEM_ENOTFOUND);
  callmem_free(out);
  CHECK(callmem_identity_feedback(db, "fb", "{\"call_id\": \"nope\", \"outcome\": \"confirmed\"}", &out) ==
        CALLMEM_ENOTFOUND);
  callmem_free(out);
  CHECK(callmem_identity_feedback(db, "fb", "{\"call_id\": \"fx\"}", &out) == CALLMEM_EINVALID);
  CHECK(has(out, "\"path\":[\"outcome\"]"));
  callmem_free(out);
  CHECK(callmem_identity_feedback(db, "fb", NULL, &out) == CALLMEM_EINVALID);
  callmem_free(out);
  CHECK(callmem_identity_unmerge(NULL, "fb", config, &out) == CALLMEM_EINVALID);
  callmem_free(out);

  /* Identity weights: a partial patch, answered with every weight; a bad one names its path. */
  CHECK(callmem_tenant_configure(db, "weighted",
                                 "{\"identity\": {\"weights\": {\"ani\": {\"u\": "
                                 "{\"landline\": 0.3}}}}}",
                                 &out) == CALLMEM_OK);
  CHECK(has(out, "\"u\":{\"mobile\":0.002,\"landline\":0.3,"));
  callmem_free(out);
  CHECK(callmem_tenant_configure(db, "weighted", "{\"identity\": {\"weights\": {\"ani\": {\"m\": 1}}}}",
                                 &out) == CALLMEM_EINVALID);
  CHECK(has(out, "\"path\":[\"identity\",\"weights\",\"ani\",\"m\"]"));
  callmem_free(out);

  /* Credits: refused with nothing written, then granted. */
  CHECK(callmem_tenant_configure(db, "paid", "{\"billing\": {\"enabled\": true}}", &out) == CALLMEM_OK);
  CHECK(has(out, "\"enabled\":true"));
  callmem_free(out);
  CHECK(callmem_call_start(db, "paid", kStart1, &out) == CALLMEM_ECREDITS);
  CHECK(has(out, "\"error\":\"Payment Required\""));
  callmem_free(out);
  CHECK(callmem_usage(db, "paid", "{}", &out) == CALLMEM_OK);
  CHECK(has(out, "\"balance\":0") && has(out, "\"days\":[]"));
  callmem_free(out);
  CHECK(callmem_credits_grant(db, "paid", "{\"amount\": 1, \"idempotency_key\": \"k1\"}", &out) ==
        CALLMEM_OK);
  CHECK(has(out, "{\"balance\":1}"));
  callmem_free(out);
  CHECK(callmem_call_start(db, "paid", kStart1, &out) == CALLMEM_OK);
  callmem_free(out);
  CHECK(callmem_usage(db, "paid", NULL, &out) == CALLMEM_OK);
  CHECK(has(out, "\"balance\":0") && has(out, "\"operation\":\"start_new\""));
  callmem_free(out);

  /* Reading settings writes nothing, nor does configuring {} (nor NULL). */
  CHECK(callmem_tenant_settings_get(db, "weighted", NULL, &out) == CALLMEM_OK);
  CHECK(has(out, "\"u\":{\"mobile\":0.002,\"landline\":0.3,"));
  callmem_free(out);
  CHECK(callmem_tenant_settings_get(db, "unset", "{}", &out) == CALLMEM_OK);
  CHECK(has(out, "\"ttl_days\":30,"));
  CHECK(callmem_tenant_configure(db, "unset", "{}", &again) == CALLMEM_OK);
  CHECK(again && out && strcmp(again, out) == 0);
  callmem_free(again);
  callmem_free(out);
  CHECK(callmem_tenant_configure(db, "unset2", NULL, NULL) == CALLMEM_OK);
  CHECK(callmem_tenant_settings_get(db, "unset", "[]", &out) == CALLMEM_EINVALID);
  CHECK(has(out, "request must be a JSON object"));
  callmem_free(out);
  CHECK(callmem_tenant_settings_get(db, "bad tenant", NULL, &out) == CALLMEM_EINVALID);
  CHECK(has(out, "\"path\":[\"tenant\"]"));
  callmem_free(out);
  CHECK(callmem_tenant_settings_get(NULL, "unset", NULL, &out) == CALLMEM_EINVALID);
  CHECK(has(out, "\"path\":[\"db\"]"));
  callmem_free(out);
  callmem_close(db);
  /* Opened with other defaults: the tenants never configured follow them, the configured keep theirs. */
  snprintf(config, sizeof config, "{\"path\": \"%s\", \"default_settings\": {\"ttl_days\": 9}}", path);
  CHECK(callmem_open(&db, config) == CALLMEM_OK);
  CHECK(callmem_tenant_settings_get(db, "unset", NULL, &out) == CALLMEM_OK);
  CHECK(has(out, "\"ttl_days\":9,"));
  callmem_free(out);
  CHECK(callmem_tenant_settings_get(db, "unset2", NULL, &out) == CALLMEM_OK);
  CHECK(has(out, "\"ttl_days\":9,"));
  callmem_free(out);
  CHECK(callmem_tenant_settings_get(db, "weighted", NULL, &out) == CALLMEM_OK);
  CHECK(has(out, "\"ttl_days\":30,") && has(out, "\"landline\":0.3,"));
  callmem_free(out);

  /* Purge. */
  CHECK(callmem_purge_expired(db, "{\"now\": \"2027-01-01T00:00:00.000Z\"}", &out) == CALLMEM_OK);
  CHECK(has(out, "\"more\":false"));
  callmem_free(out);
  CHECK(callmem_purge_expired(db, NULL, &out) == CALLMEM_OK);
  callmem_free(out);

  callmem_close(db);
  snprintf(config, sizeof config, "rm -rf '%s'", dir);
  if (system(config) != 0) fprintf(stderr, "could not remove %s\n", dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
