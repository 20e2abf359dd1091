// callmem tenant show|set|list: a tenant's settings (docs/contract.md 2.8),
// and every tenant with its counts.
#include <chrono>

#include "callmem/detail/wire.hpp"
#include "commands.hpp"
#include "engine.hpp"
#include "output.hpp"
#include "store/store.hpp"

namespace callmem::cli {
namespace {

struct TenantOptions {
  StoreOptions store;
  std::string tenant;
  std::vector<std::string> settings;  // KEY=VALUE ..., or one JSON object
  bool json = false;
};

// The patch KEY=VALUE pairs make: dotted keys fill nested objects.
struct PatchNode {
  std::string value;  // JSON text of a leaf; empty for an object
  std::vector<std::pair<std::string, PatchNode>> children;

  PatchNode& child(const std::string& name) {
    for (auto& [key, node] : children)
      if (key == name) return node;
    return children.emplace_back(name, PatchNode{}).second;
  }
  void write(detail::Writer& w) const {
    if (!value.empty()) {
      w.raw(value);
      return;
    }
    w.begin_object();
    for (const auto& [key, node] : children) {
      w.key(key);
      node.write(w);
    }
    w.end_object();
  }
};

// A VALUE that is JSON (60, true, 0.5, "x", {...}) is that value; anything
// else is a string (US).
std::string value_json(const std::string& value) {
  if (parse_json(value)) return value;
  detail::Writer w;
  return w.str(value).take();
}

std::string settings_patch(const std::vector<std::string>& settings) {
  if (settings.empty())
    throw Failure{exit_usage, "give the settings to change: KEY=VALUE ... (ttl_days=60) or one JSON object"};
  if (settings.size() == 1 && settings[0].find_first_not_of(" \t\n") != std::string::npos &&
      settings[0][settings[0].find_first_not_of(" \t\n")] == '{')
    return settings[0];
  PatchNode root;
  for (const std::string& pair : settings) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Failure{exit_usage,
                    "expected KEY=VALUE (ttl_days=60, billing.enabled=true) or one JSON object, got " + pair};
    const std::string key = pair.substr(0, eq);
    PatchNode* at = &root;
    std::string path;
    for (std::size_t from = 0;;) {
      const std::size_t dot = key.find('.', from);
      const std::string name = key.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
      if (name.empty()) throw Failure{exit_usage, "setting " + key + ": an empty name between dots"};
      if (!at->value.empty())
        throw Failure{exit_usage, "setting " + key + ": " + path + " is given a value too"};
      path += (path.empty() ? "" : ".") + name;
      at = &at->child(name);
      if (dot == std::string::npos) break;
      from = dot + 1;
    }
    if (!at->value.empty() || !at->children.empty())
      throw Failure{exit_usage, "setting " + key + " given twice"};
    at->value = value_json(pair.substr(eq + 1));
  }
  detail::Writer w;
  root.write(w);
  return w.take();
}

void show(const TenantOptions& o) {
  const std::string answer = open_engine(o.store, true)->tenant_settings_json(o.tenant, "{}");
  print_answer(answer, json_output(o.json), "Settings of tenant " + o.tenant);
}

void set(const TenantOptions& o) {
  const std::string patch = settings_patch(o.settings);
  const std::string answer = open_engine(o.store)->configure_tenant_json(o.tenant, patch);
  print_answer(answer, json_output(o.json), "Settings of tenant " + o.tenant + ", as stored now");
}

void list(const TenantOptions& o) {
  const std::string answer = tenant_counts_json(*open_store(o.store));
  if (o.json) {
    std::printf("%s\n", answer.c_str());
    return;
  }
  const JsonValue tenants = parse_json(answer).value_or(JsonValue{});
  std::vector<std::vector<std::string>> rows;
  for (const JsonValue& t : tenants.items)
    rows.push_back({t.get("tenant"), t.get("configured") == "true" ? "yes" : "no", t.get("customers"),
                    t.get("identifiers"), t.get("calls"), t.get("open_intents"), t.get("keys")});
  const std::string out =
      table({"TENANT", "CONFIGURED", "CUSTOMERS", "IDENTIFIERS", "CALLS", "OPEN_INTENTS", "KEYS"}, rows);
  std::fputs(out.c_str(), stdout);
}

}  // namespace

std::string tenant_counts_json(Store& store) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::unique_ptr<AcrossTenants> tx = store.begin_all(Access::read);
  const std::vector<TenantCounts> counts = tx->tenant_counts(now);
  tx->commit();
  detail::Writer w;
  w.begin_array();
  for (const TenantCounts& c : counts) {
    w.begin_object().key("tenant").str(c.tenant).key("configured").boolean(c.configured);
    w.key("customers").i64(c.customers).key("identifiers").i64(c.identifiers).key("calls").i64(c.calls);
    w.key("open_intents").i64(c.open_intents).key("keys").i64(c.keys).end_object();
  }
  return w.end_array().take();
}

void add_tenants(CLI::App& app) {
  auto o = std::make_shared<TenantOptions>();
  CLI::App* tenant = app.add_subcommand("tenant", "Read and change a tenant's settings; list the tenants");
  tenant->require_subcommand(1);

  CLI::App* s = tenant->add_subcommand(
      "show", "A tenant's settings (TTL, identity, thresholds, billing, rate limit), read without writing");
  add_store_options(*s, o->store);
  require_existing_database(*s);
  add_tenant_option(*s, o->tenant);
  add_json_flag(*s, o->json);
  s->footer("Example:\n  callmem tenant show --db calls.db --tenant acme");
  s->callback(with_exit_status([o] { show(*o); }));

  CLI::App* t = tenant->add_subcommand(
      "set",
      "Change some of a tenant's settings; the rest keep their values. Prints the settings as stored.\n"
      "KEY is a setting's dotted path; VALUE is JSON (60, true, 0.5, \"text\") or else a string (US).");
  add_store_options(*t, o->store);
  add_tenant_option(*t, o->tenant);
  t->add_option("SETTINGS", o->settings, "KEY=VALUE ..., or one JSON object of docs/contract.md 2.8")
      ->type_name("KEY=VALUE|JSON");
  add_json_flag(*t, o->json);
  t->footer(
      "Example:\n"
      "  callmem tenant set --db calls.db --tenant acme ttl_days=60 billing.enabled=true default_region=GB\n"
      "  callmem tenant set --db calls.db --tenant acme '{\"billing\": {\"prices\": {\"start_new\": 2}}}'");
  t->callback(with_exit_status([o] { set(*o); }));

  CLI::App* l = tenant->add_subcommand(
      "list",
      "Every tenant the database knows, with its customers, identifiers, calls, open intents and keys");
  add_store_options(*l, o->store);
  require_existing_database(*l);
  add_json_flag(*l, o->json, "Print a JSON array of the tenants and their counts");
  l->footer("Example:\n  callmem tenant list --db calls.db");
  l->callback(with_exit_status([o] { list(*o); }));
}

}  // namespace callmem::cli
