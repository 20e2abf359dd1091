#include <stdio.h>

#include <callmem/callmem.h>

int main(void) {
  callmem_db *db;
  char *out;
  if (callmem_open(&db, "{\"path\": \"calls.db\"}") != CALLMEM_OK) {
    fprintf(stderr, "callmem_open: %s\n", callmem_last_error());
    return 1;
  }
  callmem_call_start(db, "acme", "{\"call_id\": \"call_001\", \"identity_hints\": {\"ani\": \"+14155551234\"}, "
                     "\"telco\": {\"line_type\": \"mobile\"}}", NULL);
  callmem_call_end(db, "acme", "{\"call_id\": \"call_001\", \"intent\": \"refund_request\", "
                   "\"variables\": {\"name\": \"John Doe\"}}", NULL);
  /* The same caller again: recognised, with the open intent and the name. */
  if (callmem_call_start(db, "acme", "{\"call_id\": \"call_002\", \"identity_hints\": {\"ani\": \"+14155551234\"}, "
                         "\"telco\": {\"line_type\": \"mobile\"}}", &out) != CALLMEM_OK) {
    fprintf(stderr, "%s\n", out ? out : callmem_last_error());  /* the error document */
    callmem_free(out);
    callmem_close(db);
    return 1;
  }
  puts(out);  /* {"call_id":"call_002","customer_ref":"…","identity":{…"recommendation":"reuse"…},"open_intents":[…],… */
  callmem_free(out);
  callmem_close(db);
  return 0;
}
