// callmem call start|end: one operation of a call, the request (the JSON of
// docs/contract.md) as an argument or on stdin, the answer on stdout.
#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"

namespace callmem::cli {
namespace {

struct CallOptions {
  StoreOptions store;
  std::string tenant;
  std::string request;
  bool json = false;
};

std::string start_headline(const JsonValue& a) {
  return "Call " + a.get("call_id") + ": customer " + a.get("customer_ref") + ", " +
         a.get("identity.recommendation") + " (confidence " + a.get("identity.confidence") + ", " +
         a.get("identity.level") + ")";
}

void start(const CallOptions& o) {
  const std::string request = read_request(o.request, "start");
  const std::string answer = open_engine(o.store)->start_call_json(o.tenant, request);
  const bool json = json_output(o.json);
  const std::optional<JsonValue> a = json ? std::nullopt : parse_json(answer);
  print_answer(answer, json, a ? start_headline(*a) : "");
}

void end(const CallOptions& o) {
  const std::string request = read_request(o.request, "end");
  const std::string answer = open_engine(o.store)->end_call_json(o.tenant, request);
  const bool json = json_output(o.json);
  const std::optional<JsonValue> a = json ? std::nullopt : parse_json(answer);
  print_answer(answer, json,
               a ? "Call " + a->get("call_id") + " ended: customer " + a->get("customer_ref") + ", " +
                       a->get("intents_updated") + " intent(s) and " + a->get("variables_updated") +
                       " variable(s) saved"
                 : "");
}

CLI::App* add_call_operation(CLI::App& call, const char* name, const char* description,
                             const std::shared_ptr<CallOptions>& o) {
  CLI::App* c = call.add_subcommand(name, description);
  add_store_options(*c, o->store);
  add_tenant_option(*c, o->tenant);
  c->add_option("REQUEST", o->request, "The request's JSON; - or nothing reads it from stdin")
      ->type_name("JSON|-");
  add_json_flag(*c, o->json);
  return c;
}

}  // namespace

void add_calls(CLI::App& app) {
  auto o = std::make_shared<CallOptions>();
  CLI::App* call = app.add_subcommand("call", "Start or end a call: one operation, as a host makes it");
  call->require_subcommand(1);

  CLI::App* s = add_call_operation(
      *call, "start",
      "Start a call: who is probably calling, how sure, what is open for them (docs/contract.md 2.1)", o);
  s->footer(
      "Example:\n"
      "  callmem call start --db calls.db --tenant acme \\\n"
      "      '{\"call_id\": \"call_001\", \"identity_hints\": {\"ani\": \"+14155551234\"}}'\n"
      "  echo '{\"call_id\": \"call_002\", \"identity_hints\": {\"ani\": \"+14155551234\"}}' |\n"
      "      callmem call start --db calls.db --tenant acme -");
  s->callback(with_exit_status([o] { start(*o); }));

  CLI::App* e = add_call_operation(*call, "end",
                                   "End a call: save its intents and variables (docs/contract.md 2.2)", o);
  e->footer(
      "Example:\n"
      "  callmem call end --db calls.db --tenant acme \\\n"
      "      '{\"call_id\": \"call_001\", \"intent\": \"refund_request\", \"variables\": {\"name\": \"John "
      "Doe\"}}'");
  e->callback(with_exit_status([o] { end(*o); }));
}

}  // namespace callmem::cli
