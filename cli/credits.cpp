// callmem credits grant and callmem usage: prepaid credits and what a tenant
// used (docs/contract.md 2.7).
#include "callmem/detail/wire.hpp"
#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"

namespace callmem::cli {
namespace {

struct CreditsOptions {
  StoreOptions store;
  std::string tenant;
  std::int64_t amount = 0;
  std::string idempotency_key;
  std::string from;
  std::string to;
  bool json = false;
};

// A bare day (2026-02-01) is its midnight UTC; anything else goes to the
// library as given, which names the field when it is not a time.
std::string time_of(const std::string& s) {
  const bool day = s.size() == 10 && s[4] == '-' && s[7] == '-';
  return day ? s + "T00:00:00.000Z" : s;
}

void grant(const CreditsOptions& o) {
  detail::Writer w;
  const std::string request = w.begin_object()
                                  .key("amount")
                                  .i64(o.amount)
                                  .key("idempotency_key")
                                  .str(o.idempotency_key)
                                  .end_object()
                                  .take();
  const std::string answer = open_engine(o.store)->grant_credits_json(o.tenant, request);
  const bool json = json_output(o.json);
  print_answer(answer, json,
               json ? ""
                    : "Granted " + std::to_string(o.amount) + " credits to tenant " + o.tenant + " (" +
                          o.idempotency_key + ")");
}

void usage(const CreditsOptions& o) {
  detail::Writer w;
  w.begin_object();
  if (!o.from.empty()) w.key("from").str(time_of(o.from));
  if (!o.to.empty()) w.key("to").str(time_of(o.to));
  const std::string request = w.end_object().take();
  const std::string answer = open_engine(o.store, true)->usage_json(o.tenant, request);
  print_answer(answer, json_output(o.json), "Usage of tenant " + o.tenant);
}

}  // namespace

void add_credits(CLI::App& app) {
  auto o = std::make_shared<CreditsOptions>();
  CLI::App* credits =
      app.add_subcommand("credits", "Prepaid credits of a tenant (when its billing is enabled)");
  credits->require_subcommand(1);
  CLI::App* g = credits->add_subcommand(
      "grant", "Add credits to a tenant's balance, once per idempotency key; prints the balance");
  add_store_options(*g, o->store);
  add_tenant_option(*g, o->tenant);
  g->add_option("--amount", o->amount, "Credits to add")->required()->type_name("N");
  g->add_option("--idempotency-key", o->idempotency_key,
                "Names this grant: granting again with the same key and amount changes nothing")
      ->required()
      ->type_name("K");
  add_json_flag(*g, o->json);
  g->footer(
      "Example:\n  callmem credits grant --db calls.db --tenant acme --amount 1000 --idempotency-key "
      "topup-2026-02");
  g->callback(with_exit_status([o] { grant(*o); }));

  CLI::App* u = app.add_subcommand("usage", "A tenant's balance, and its operations and credits by day");
  add_store_options(*u, o->store);
  require_existing_database(*u);
  add_tenant_option(*u, o->tenant);
  u->add_option("--from", o->from,
                "From this time (2026-02-01 or 2026-02-01T00:00:00.000Z); default: the beginning")
      ->type_name("TIME");
  u->add_option("--to", o->to, "Up to this time; default: now")->type_name("TIME");
  add_json_flag(*u, o->json);
  u->footer("Example:\n  callmem usage --db calls.db --tenant acme --from 2026-02-01 --to 2026-03-01");
  u->callback(with_exit_status([o] { usage(*o); }));
}

}  // namespace callmem::cli
