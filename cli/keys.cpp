// callmem keys: the API keys of `callmem serve`, one tenant each.
#include <chrono>
#include <cstdio>

#include "callmem/detail/wire.hpp"
#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"
#include "server/api_keys.hpp"
#include "store/store.hpp"

namespace callmem::cli {
namespace {

struct KeysOptions {
  StoreOptions store;
  std::string tenant;
  std::string name;
  std::string key_id;
  bool json = false;
  bool admin = false;
};

void write_key(detail::Writer& w, const ApiKey& k) {
  w.begin_object();
  w.key("key_id").str(k.key_id);
  w.key("tenant").str(k.tenant);
  w.key("name").str(k.name);
  w.key("created_at").time(k.created_at);
  w.key("revoked_at");
  if (k.revoked_at)
    w.time(k.revoked_at);
  else
    w.null();
  w.end_object();
}

// An admin key's tenant is not a tenant name, which the engine refuses: it
// goes to the store as it is (after the engine has opened or migrated it).
ApiKey create_admin(const KeysOptions& o, ApiKey k) {
  if (o.name.size() > 64) throw invalid_field({"name"}, "name must be at most 64 characters");
  open_engine(o.store);
  const std::unique_ptr<Store> store = open_store(o.store);
  auto tx = store->begin_all(Access::write);
  k.tenant = std::string(server::kAdminTenant);
  k.created_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  tx->api_key_insert(k);
  tx->commit();
  return k;
}

void create(const KeysOptions& o) {
  if (o.admin != o.tenant.empty()) throw Failure{exit_usage, "give --tenant T, or --admin"};
  const server::NewKey made = server::make_key();
  ApiKey k;
  k.key_id = made.key_id;
  k.tenant = o.tenant;
  k.name = o.name;
  k.key_hash = made.hash;
  const ApiKey stored = o.admin ? create_admin(o, k) : open_engine(o.store)->api_key_create(k);
  if (o.json) {
    detail::Writer w;
    w.begin_object()
        .key("key")
        .str(made.key)
        .key("key_id")
        .str(stored.key_id)
        .key("tenant")
        .str(stored.tenant);
    w.key("name").str(stored.name).end_object();
    std::printf("%s\n", w.take().c_str());
  } else {
    std::printf(
        "Created %s for %s%s. The key is shown once, here; callmem keeps only its hash.\n",
        stored.key_id.c_str(),
        o.admin ? "the web console, as an admin of every tenant" : ("tenant " + stored.tenant).c_str(),
        stored.name.empty() ? "" : (" (" + stored.name + ")").c_str());
    std::printf("%s\n", made.key.c_str());
  }
}

void list(const KeysOptions& o) {
  if (o.admin != o.tenant.empty()) throw Failure{exit_usage, "give --tenant T, or --admin"};
  std::vector<ApiKey> keys;
  if (o.admin) {
    const std::unique_ptr<Store> store = open_store(o.store);
    auto tx = store->begin_all(Access::read);
    keys = tx->api_keys_of(std::string(server::kAdminTenant));
    tx->commit();
  } else {
    keys = open_engine(o.store)->api_keys(o.tenant);
  }
  if (o.json) {
    detail::Writer w;
    w.begin_array();
    for (const ApiKey& k : keys) write_key(w, k);
    w.end_array();
    std::printf("%s\n", w.take().c_str());
    return;
  }
  std::printf("%-20s  %-24s  %-24s  %s\n", "KEY_ID", "CREATED", "REVOKED", "NAME");
  for (const ApiKey& k : keys)
    std::printf("%-20s  %-24s  %-24s  %s\n", k.key_id.c_str(), detail::format_time(k.created_at).c_str(),
                k.revoked_at ? detail::format_time(k.revoked_at).c_str() : "-", k.name.c_str());
}

void revoke(const KeysOptions& o) {
  const std::unique_ptr<Engine> engine = open_engine(o.store);
  const ApiKey k = engine->api_key_revoke(o.key_id);
  if (o.json) {
    detail::Writer w;
    write_key(w, k);
    std::printf("%s\n", w.take().c_str());
  } else {
    std::printf("Revoked %s of tenant %s at %s: it is refused from now on.\n", k.key_id.c_str(),
                k.tenant.c_str(), detail::format_time(k.revoked_at).c_str());
  }
}

}  // namespace

void add_keys(CLI::App& app) {
  auto o = std::make_shared<KeysOptions>();
  CLI::App* keys = app.add_subcommand("keys", "Create, list and revoke the API keys of `callmem serve`");
  keys->require_subcommand(1);

  CLI::App* c = keys->add_subcommand(
      "create", "Make a key for a tenant and print it once: the last line of the output is the key alone");
  add_store_options(*c, o->store);
  c->add_option("--tenant", o->tenant, "The tenant whose requests the key authenticates");
  c->add_flag(
      "--admin", o->admin,
      "An admin key instead: it signs in to the web console (docs/console.md) and may switch tenants; "
      "no /v1 request takes it");
  c->add_option("--name", o->name, "What the key is for (shown in lists)");
  c->add_flag("--json", o->json, R"(Print {"key", "key_id", "tenant", "name"} instead)");
  c->footer(
      "Example:\n  callmem keys create --db calls.db --tenant acme --name ivr\n"
      "  callmem keys create --db calls.db --admin --name operations");
  c->callback([o] { create(*o); });

  CLI::App* l = keys->add_subcommand("list", "List a tenant's keys (never the keys themselves)");
  add_store_options(*l, o->store);
  l->add_option("--tenant", o->tenant, "The tenant");
  l->add_flag("--admin", o->admin, "The admin keys (of the web console) instead");
  l->add_flag("--json", o->json, "Print a JSON array");
  l->footer("Example:\n  callmem keys list --db calls.db --tenant acme");
  l->callback([o] { list(*o); });

  CLI::App* r = keys->add_subcommand("revoke", "Revoke a key: every server refuses it from its next request");
  add_store_options(*r, o->store);
  r->add_option("KEY_ID", o->key_id, "The key's id (key_...), from `keys create` or `keys list`")->required();
  r->add_flag("--json", o->json, "Print the revoked key as JSON");
  r->footer("Example:\n  callmem keys revoke --db calls.db key_3f9a0c1d2e4b5a69");
  r->callback([o] { revoke(*o); });
}

}  // namespace callmem::cli
