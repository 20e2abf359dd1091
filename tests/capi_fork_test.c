/*
 * A handle and fork(), from plain C99 against libcallmem.so: a handle used
 * in a forked child answers CALLMEM_ERROR naming the fork and touches
 * nothing, its close there leaves the parent's connections alone (SQLite,
 * and PostgreSQL when CALLMEM_TEST_PG_DSN names a server), a handle opened
 * in the child after the fork works, and callmem_warm() before it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_check.h"
#include "callmem/callmem.h"

static int has(const char *json, const char *needle) { return json && strstr(json, needle) != NULL; }

static int start(callmem_db *db, const char *call_id, const char *ani) {
  char request[256];
  char *out = NULL;
  int rc;
  snprintf(request, sizeof request, "{\"call_id\": \"%s\", \"identity_hints\": {\"ani\": \"%s\"}}", call_id,
           ani);
  rc = callmem_call_start(db, "acme", request, &out);
  callmem_free(out);
  return rc;
}

/* In the child: every use of the parent's handle refused, its close a no-op,
 * a handle of its own working. Exits 0 when all held. */
static void child(callmem_db *inherited, const char *config, const char *own_call) {
  char *out = NULL;
  callmem_db *own = NULL;
  CHECK(start(inherited, "child-1", "+14155550101") == CALLMEM_ERROR);
  CHECK(strstr(callmem_last_error(), "after fork()") != NULL);
  CHECK(callmem_customer_get(inherited, "acme", "{\"identity_hints\": {\"ani\": \"+14155550100\"}}", &out) ==
        CALLMEM_ERROR);
  CHECK(has(out, "open the database in each process after it forks"));
  callmem_free(out);
  CHECK(callmem_purge_expired(inherited, NULL, NULL) == CALLMEM_ERROR);
  CHECK(callmem_import(inherited, "acme", "", NULL, NULL) == CALLMEM_ERROR);
  callmem_close(inherited);
  CHECK(callmem_open(&own, config) == CALLMEM_OK);
  CHECK(start(own, own_call, "+14155550102") == CALLMEM_OK);
  callmem_close(own);
  _exit(failed ? 1 : 0);
}

/* Opens config, writes, forks a child that misuses the handle, then checks
 * that the parent's handle still works and sees the child's own write. */
static void scenario(const char *config, const char *label) {
  callmem_db *db = NULL;
  char *out = NULL;
  int status = 0;
  pid_t pid;
  if (callmem_open(&db, config) != CALLMEM_OK) {
    fprintf(stderr, "%s: cannot open: %s\n", label, callmem_last_error());
    ++failed;
    return;
  }
  CHECK(start(db, "parent-1", "+14155550100") == CALLMEM_OK);
  fflush(NULL);
  pid = fork();
  if (pid == 0) child(db, config, "child-own-1");
  CHECK(pid > 0);
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(start(db, "parent-2", "+14155550100") == CALLMEM_OK);
  CHECK(start(db, "parent-3", "+14155550103") == CALLMEM_OK);
  CHECK(callmem_customer_get(db, "acme", "{\"identity_hints\": {\"ani\": \"+14155550102\"}}", &out) ==
        CALLMEM_OK);
  CHECK(has(out, "child-own-1"));
  callmem_free(out);
  callmem_close(db);
  printf("%s: done\n", label);
}

int main(void) {
  char dir[] = "/tmp/callmem-fork-XXXXXX";
  char config[1024], command[256];
  const char *dsn = getenv("CALLMEM_TEST_PG_DSN");

  CHECK(callmem_warm() == CALLMEM_OK);
  CHECK(callmem_warm() == CALLMEM_OK);
  CHECK(mkdtemp(dir) != NULL);
  snprintf(config, sizeof config, "{\"path\": \"%s/calls.db\"}", dir);
  scenario(config, "sqlite");
  if (dsn && *dsn) {
    /* Its own schema, so that other tests' tenants are not met. */
    snprintf(config, sizeof config, "{\"store\": \"postgres\", \"dsn\": \"%s\", \"schema\": \"fork_%ld\"}",
             dsn, (long)getpid());
    scenario(config, "postgres");
  }
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
