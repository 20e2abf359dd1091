// callmem customer get|export|forget: one customer, found by customer_ref or
// by an identifier (a number, an external id), as docs/contract.md 2.4 says.
#include <map>

#include "callmem/detail/wire.hpp"
#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"

namespace callmem::cli {
namespace {

struct CustomerOptions {
  StoreOptions store;
  std::string tenant;
  std::string ref;
  std::string ani;
  std::vector<std::string> external_ids;  // KEY=VALUE each
  std::int64_t history_limit = 20;
  std::string cursor;
  bool json = false;
};

// {"customer_ref": R} or {"identity_hints": {...}}, and get's paging; checked
// before the store is opened, so a bad command line touches nothing.
std::string selector(const CustomerOptions& o, bool paging) {
  detail::Writer w;
  w.begin_object();
  if (!o.ref.empty()) {
    w.key("customer_ref").str(o.ref);
  } else {
    if (o.ani.empty() && o.external_ids.empty())
      throw Failure{exit_usage, "say which customer: --ref R, --ani NUMBER or --external-id KEY=VALUE"};
    std::map<std::string, std::string> ids;
    for (const std::string& pair : o.external_ids) {
      const std::size_t eq = pair.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Failure{exit_usage, "--external-id: expected KEY=VALUE (crm_id=CRM_789), got " + pair};
      if (!ids.emplace(pair.substr(0, eq), pair.substr(eq + 1)).second)
        throw Failure{exit_usage, "--external-id: " + pair.substr(0, eq) + " given twice"};
    }
    w.key("identity_hints").begin_object();
    if (!o.ani.empty()) w.key("ani").str(o.ani);
    if (!ids.empty()) {
      w.key("external_ids").begin_object();
      for (const auto& [key, value] : ids) w.key(key).str(value);
      w.end_object();
    }
    w.end_object();
  }
  if (paging) {
    w.key("history_limit").i64(o.history_limit);
    if (!o.cursor.empty()) w.key("cursor").str(o.cursor);
  }
  return w.end_object().take();
}

void get(const CustomerOptions& o) {
  const std::string request = selector(o, true);
  const std::string answer = open_engine(o.store, true)->get_customer_json(o.tenant, request);
  const bool json = json_output(o.json);
  print_answer(answer, json,
               json ? "" : "Customer " + parse_json(answer).value_or(JsonValue{}).get("customer_ref"));
}

void export_(const CustomerOptions& o) {
  const std::string request = selector(o, false);
  const std::string answer = open_engine(o.store, true)->export_customer_json(o.tenant, request);
  print_answer(answer, json_output(o.json));
}

void forget(const CustomerOptions& o) {
  const std::string request = selector(o, false);
  const std::string answer = open_engine(o.store, true)->forget_customer_json(o.tenant, request);
  const bool json = json_output(o.json);
  print_answer(answer, json,
               json ? ""
                    : "Forgot customer " + parse_json(answer).value_or(JsonValue{}).get("customer_ref") +
                          ": everything stored about them is deleted");
}

CLI::App* add_customer_operation(CLI::App& customer, const char* name, const char* description,
                                 const std::shared_ptr<CustomerOptions>& o) {
  CLI::App* c = customer.add_subcommand(name, description);
  add_store_options(*c, o->store);
  require_existing_database(*c);
  add_tenant_option(*c, o->tenant);
  auto* ref = c->add_option("--ref", o->ref, "The customer's customer_ref")->type_name("R");
  auto* ani = c->add_option("--ani", o->ani, "A caller number of theirs, in any form a start takes")
                  ->type_name("NUMBER");
  auto* ext = c->add_option("--external-id", o->external_ids, "An external id of theirs (repeatable)")
                  ->type_name("KEY=VALUE")
                  ->allow_extra_args(false);
  ref->excludes(ani)->excludes(ext);
  add_json_flag(*c, o->json);
  return c;
}

}  // namespace

void add_customers(CLI::App& app) {
  auto o = std::make_shared<CustomerOptions>();
  CLI::App* customer = app.add_subcommand(
      "customer", "Look up, export or forget one customer (by --ref, --ani or --external-id)");
  customer->require_subcommand(1);

  CLI::App* g = add_customer_operation(
      *customer, "get", "A customer's identities, intents, variables and calls (newest first, paged)", o);
  g->add_option("--history-limit", o->history_limit, "Calls per page")->capture_default_str();
  g->add_option("--cursor", o->cursor, "The next page: next_cursor of the previous answer");
  g->footer(
      "Example:\n"
      "  callmem customer get --db calls.db --tenant acme --ani +14155551234\n"
      "  callmem customer get --db calls.db --tenant acme --external-id crm_id=CRM_789 --json");
  g->callback(with_exit_status([o] { get(*o); }));

  CLI::App* e = add_customer_operation(
      *customer, "export", "Everything stored about a customer, as JSON (a subject access request)", o);
  e->footer(
      "Example:\n  callmem customer export --db calls.db --tenant acme --ref 3b0c...e1 --json > "
      "subject.json");
  e->callback(with_exit_status([o] { export_(*o); }));

  CLI::App* f = add_customer_operation(*customer, "forget",
                                       "Erase a customer (GDPR): identities, intents, variables, calls, "
                                       "aliases, in one transaction; prints the receipt",
                                       o);
  f->footer("Example:\n  callmem customer forget --db calls.db --tenant acme --ani +14155551234");
  f->callback(with_exit_status([o] { forget(*o); }));
}

}  // namespace callmem::cli
