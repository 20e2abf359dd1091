/*
 * An IVR host's use of callmem, to copy from: one call memory for the process,
 * call start at answer, call end at hang-up, and every failure handled so that
 * a call never fails because memory did.
 *
 *   ivr_host [database-file]     (default: ivr_host.db, created afresh)
 *
 * It plays three simulated calls: a new caller who asks for a refund and hangs
 * up with it open; the same caller again, recognised, greeted by name
 * and asked about the refund, which is then resolved; and a caller who
 * withholds their number. What the IVR would say is printed.
 *
 * JSON: a real host builds requests and reads answers with its JSON library.
 * To stay dependency-free this example escapes what it puts into requests and
 * reads answers with the small scanners below, which rely on the answer's
 * field order (docs/contract.md: identity before open_intents before variables).
 */
#include <callmem/callmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TENANT "acme"

/* ---- what the IVR learns at answer -------------------------------------- */

struct caller_memory {
  int known; /* callmem answered: the fields below are set */
  char customer_ref[64];
  char recommendation[16]; /* reuse | confirm | ignore */
  double confidence;
  char open_intent[65]; /* the newest open intent, or "" */
  char name[128];       /* the saved variable "name", or "" */
};

/* The JSON string value following `"key":` at or after `from`, unescaped
 * (simple escapes only) into buf; returns where the value ends, or NULL. */
static const char *json_string(const char *from, const char *key, char *buf, size_t size) {
  char pattern[80];
  const char *p;
  size_t n = 0;
  buf[0] = 0;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  if (!from || !(p = strstr(from, pattern))) return NULL;
  for (p += strlen(pattern); *p && *p != '"'; ++p) {
    if (*p == '\\' && p[1]) ++p; /* \" and \\ ; a \uXXXX would need a real parser */
    if (n + 1 < size) buf[n++] = *p;
  }
  buf[n] = 0;
  return *p ? p + 1 : NULL;
}

static void read_answer(const char *json, struct caller_memory *m) {
  const char *p, *intents, *variables;
  memset(m, 0, sizeof *m);
  m->known = 1;
  json_string(json, "customer_ref", m->customer_ref, sizeof m->customer_ref);
  json_string(json, "recommendation", m->recommendation, sizeof m->recommendation);
  if ((p = strstr(json, "\"confidence\":"))) m->confidence = strtod(p + strlen("\"confidence\":"), NULL);
  /* Open intents are newest first: the first "intent" inside the array. */
  intents = strstr(json, "\"open_intents\":[");
  variables = strstr(json, "\"variables\":{");
  if (intents && intents[strlen("\"open_intents\":[")] != ']')
    json_string(intents, "intent", m->open_intent, sizeof m->open_intent);
  if (variables && (p = strstr(variables, "\"name\":{"))) json_string(p, "value", m->name, sizeof m->name);
}

/* Copies s into buf as the inside of a JSON string (quotes, backslashes and
 * control characters escaped); returns buf. */
static char *json_escape(const char *s, char *buf, size_t size) {
  size_t n = 0;
  for (; *s && n + 7 < size; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      buf[n++] = '\\';
      buf[n++] = (char)c;
    } else if (c < 0x20) {
      n += (size_t)snprintf(buf + n, size - n, "\\u%04x", c);
    } else {
      buf[n++] = (char)c;
    }
  }
  buf[n] = 0;
  return buf;
}

/* ---- calling callmem ----------------------------------------------------- */

typedef int (*callmem_op)(callmem_db *, const char *, const char *, char **);

/*
 * Runs one operation; on success *answer holds the response (free it with
 * callmem_free). A busy store is retried once: every operation is idempotent
 * by call_id, so a retry never saves twice. Other failures are logged with
 * their error document and HTTP twin and returned.
 */
static int run(const char *what, callmem_op op, callmem_db *db, const char *request, char **answer) {
  int rc = op(db, TENANT, request, answer);
  if (rc == CALLMEM_EBUSY) {
    callmem_free(*answer);
    rc = op(db, TENANT, request, answer);
  }
  if (rc != CALLMEM_OK) {
    fprintf(stderr, "callmem %s failed: status %d (HTTP %d): %s\n", what, rc, callmem_status_http(rc),
            *answer ? *answer : callmem_last_error());
    callmem_free(*answer);
    *answer = NULL;
  }
  return rc;
}

/* At answer. On failure the call goes on as an unknown caller (m->known = 0). */
static int on_answer(callmem_db *db, const char *call_id, const char *ani, const char *dnis,
                     const char *line_type, struct caller_memory *m) {
  char request[1024], e1[160], e2[160], e3[160], *answer = NULL;
  int rc;
  /* The caller ID as the switch gave it, withheld ones ("anonymous") included:
   * callmem records them and never identifies anyone by them. */
  snprintf(request, sizeof request,
           "{\"call_id\": \"%s\", \"identity_hints\": {\"ani\": \"%s\", \"dnis\": \"%s\"}%s%s%s}",
           json_escape(call_id, e1, sizeof e1), json_escape(ani && *ani ? ani : "unknown", e2, sizeof e2),
           json_escape(dnis, e3, sizeof e3), line_type ? ", \"telco\": {\"line_type\": \"" : "",
           line_type ? line_type : "", line_type ? "\"}" : "");
  memset(m, 0, sizeof *m);
  rc = run("call start", callmem_call_start, db, request, &answer);
  if (rc == CALLMEM_OK) read_answer(answer, m);
  callmem_free(answer);
  return rc;
}

/* At hang-up: what the call was about, whether it is still open, and what to remember. */
static int on_hangup(callmem_db *db, const char *call_id, const char *intent, const char *status,
                     const char *name) {
  char request[1024], e1[160], e2[160], e3[160], *answer = NULL;
  int rc;
  if (name)
    snprintf(request, sizeof request,
             "{\"call_id\": \"%s\", \"intent\": \"%s\", \"intent_status\": \"%s\", \"variables\": {\"name\": "
             "\"%s\"}}",
             json_escape(call_id, e1, sizeof e1), json_escape(intent, e2, sizeof e2), status,
             json_escape(name, e3, sizeof e3));
  else
    snprintf(request, sizeof request, "{\"call_id\": \"%s\", \"intent\": \"%s\", \"intent_status\": \"%s\"}",
             json_escape(call_id, e1, sizeof e1), json_escape(intent, e2, sizeof e2), status);
  rc = run("call end", callmem_call_end, db, request, &answer);
  callmem_free(answer);
  return rc;
}

/* ---- the IVR's decisions -------------------------------------------------- */

static void greet(const struct caller_memory *m) {
  if (!m->known) {
    puts("  IVR: Welcome. How can we help you today?  (no memory for this call)");
    return;
  }
  printf("  callmem: customer %s, recommendation %s, confidence %.2f, open intent '%s', name '%s'\n",
         m->customer_ref, m->recommendation, m->confidence, m->open_intent, m->name);
  if (strcmp(m->recommendation, "reuse") == 0 && m->open_intent[0]) {
    if (m->name[0])
      printf("  IVR: Welcome back, %s. Are you calling about your %s?\n", m->name, m->open_intent);
    else
      printf("  IVR: Welcome back. Are you calling about your %s?\n", m->open_intent);
  } else if (strcmp(m->recommendation, "confirm") == 0) {
    /* Probably them, but the number may be shared: confirm before using the context. */
    puts("  IVR: Welcome. To help you faster, please enter your account number.");
  } else {
    puts("  IVR: Welcome. How can we help you today?");
  }
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "ivr_host.db";
  char config[600], escaped[512], wal[560];
  struct caller_memory m;
  callmem_db *db = NULL;
  int failures = 0;

  /* A fresh database every run (a real host keeps its file). */
  remove(path);
  snprintf(wal, sizeof wal, "%s-wal", path);
  remove(wal);
  snprintf(wal, sizeof wal, "%s-shm", path);
  remove(wal);

  /* One call memory for the whole process, shared by every call's thread. */
  snprintf(config, sizeof config, "{\"path\": \"%s\", \"busy_timeout_ms\": 2000}",
           json_escape(path, escaped, sizeof escaped));
  if (callmem_open(&db, config) != CALLMEM_OK) {
    /* No error document for open: the message is this thread's last error. */
    fprintf(stderr, "callmem_open(%s): %s\n", path, callmem_last_error());
    return 1;
  }
  printf("callmem %s (built against %s), database %s\n", callmem_version(), CALLMEM_VERSION_STRING, path);

  puts("\n== call 1: a new caller asks for a refund and hangs up before it is done");
  failures += on_answer(db, "ivr-0001", "+14155551234", "+18005550100", "mobile", &m) != CALLMEM_OK;
  greet(&m);
  puts("  caller: \"I want a refund for order 12345.\"  (hangs up)");
  failures += on_hangup(db, "ivr-0001", "refund_request", "open", "John Doe") != CALLMEM_OK;

  puts("\n== call 2: the same number again");
  failures += on_answer(db, "ivr-0002", "+14155551234", "+18005550100", "mobile", &m) != CALLMEM_OK;
  greet(&m);
  puts("  caller: \"Yes.\"  IVR: Your refund has been issued.  (hangs up)");
  failures += on_hangup(db, "ivr-0002", "refund_request", "resolved", NULL) != CALLMEM_OK;

  puts("\n== call 3: a withheld number");
  failures += on_answer(db, "ivr-0003", "anonymous", "+18005550100", NULL, &m) != CALLMEM_OK;
  greet(&m);
  failures += on_hangup(db, "ivr-0003", "opening_hours", "resolved", NULL) != CALLMEM_OK;

  /* A request the library refuses, to show the error path: the status, its
   * HTTP twin and the error document naming the field. The call would go on. */
  puts("\n== a start without identity hints, as a bug in a host would send it");
  {
    char *answer = NULL;
    if (run("call start", callmem_call_start, db, "{\"call_id\": \"ivr-0004\", \"identity_hints\": {}}",
            &answer) == CALLMEM_OK)
      ++failures;
    callmem_free(answer);
  }

  callmem_close(db);
  return failures ? 1 : 0;
}
