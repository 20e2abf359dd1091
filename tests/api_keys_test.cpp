// API keys and the rate limit setting through Engine (what `callmem serve`
// and `callmem keys` use), over a real SQLite file with a manual clock, and
// the C ABI's lookup of a key's tenant on the same file.
#include "server/api_keys.hpp"

#include <callmem/callmem.h>
#include <doctest/doctest.h>

#include <functional>

#include "engine.hpp"
#include "engine_on_file.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;

namespace {

using test::kT0;

struct Keys : test::EngineOnFile {
  ApiKey make(const std::string& tenant, const std::string& name, server::NewKey& made) {
    made = server::make_key();
    ApiKey k;
    k.key_id = made.key_id;
    k.tenant = tenant;
    k.name = name;
    k.key_hash = made.hash;
    return mem.api_key_create(k);
  }
};

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error");
  return Error(Status::ok, "");
}

}  // namespace

TEST_CASE("api keys: made from 256 random bits, kept as their SHA-256") {
  const server::NewKey a = server::make_key(), b = server::make_key();
  CHECK(a.key.rfind("cmk_", 0) == 0);
  CHECK(a.key.size() == 4 + 52);  // 256 bits in base32
  CHECK(a.key != b.key);
  CHECK(a.key_id != b.key_id);
  CHECK(a.hash == server::hash_key(a.key));
  CHECK(a.hash.size() == 64);
  CHECK(server::hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  std::string_view key;
  CHECK(server::parse_bearer("", key) == server::Bearer::missing);
  CHECK(server::parse_bearer("Basic dXNlcjpwYXNz", key) == server::Bearer::malformed);
  CHECK(server::parse_bearer("Bearer", key) == server::Bearer::malformed);
  CHECK(server::parse_bearer("Bearer ", key) == server::Bearer::malformed);
  CHECK(server::parse_bearer("Bearer a b", key) == server::Bearer::malformed);
  REQUIRE(server::parse_bearer("bearer  cmk_x ", key) == server::Bearer::key);
  CHECK(key == "cmk_x");
}

TEST_CASE("api keys: create, list, authenticate, revoke") {
  Keys k;
  server::NewKey made, other;
  const ApiKey created = k.make("acme", "ivr", made);
  CHECK(created.created_at == kT0);
  CHECK(created.revoked_at == 0);
  k.make("globex", "", other);

  auto caller = k.mem.authenticate(made.hash);
  REQUIRE(caller.has_value());
  CHECK(caller->tenant == "acme");
  CHECK(caller->key_id == made.key_id);
  CHECK(caller->requests_per_minute == 0);
  CHECK_FALSE(k.mem.authenticate(server::hash_key("cmk_unknown")).has_value());

  // The tenant's rate limit comes with the caller.
  TenantSettingsPatch p;
  p.rate_limit_per_minute = 120;
  CHECK(k.mem.configure_tenant("acme", p).rate_limit_per_minute == 120);
  CHECK(k.mem.authenticate(made.hash)->requests_per_minute == 120);
  CHECK(k.mem.authenticate(other.hash)->requests_per_minute == 0);

  const auto listed = k.mem.api_keys("acme");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].key_id == made.key_id);
  CHECK(listed[0].name == "ivr");

  k.clock->advance(5000);
  const ApiKey revoked = k.mem.api_key_revoke(made.key_id);
  CHECK(revoked.revoked_at == kT0 + 5000);
  CHECK_FALSE(k.mem.authenticate(made.hash).has_value());
  k.clock->advance(5000);
  CHECK(k.mem.api_key_revoke(made.key_id).revoked_at == kT0 + 5000);  // revoking again keeps the first time
  CHECK(k.mem.authenticate(other.hash).has_value());
  CHECK(error_of([&] { k.mem.api_key_revoke("key_0000000000000000"); }).status() == Status::not_found);
  k.mem.ping();
}

TEST_CASE("api keys: bad input names the field and writes nothing") {
  Keys k;
  server::NewKey made = server::make_key();
  ApiKey key{made.key_id, "bad tenant!", "", made.hash, 0, 0};
  Error e = error_of([&] { k.mem.api_key_create(key); });
  CHECK(e.status() == Status::invalid);
  CHECK(e.issues().at(0).path == std::vector<std::string>{"tenant"});
  key.tenant = "acme";
  key.name = std::string(65, 'n');
  CHECK(error_of([&] { k.mem.api_key_create(key); }).issues().at(0).path == std::vector<std::string>{"name"});
  key.name = std::string(64, 'n');
  key.key_hash = "nothex";
  CHECK(error_of([&] { k.mem.api_key_create(key); }).issues().at(0).path ==
        std::vector<std::string>{"key_hash"});
  CHECK(k.mem.api_keys("acme").empty());
  key.key_hash = made.hash;
  k.mem.api_key_create(key);
  CHECK(error_of([&] { k.mem.api_key_create(key); }).status() == Status::conflict);
  CHECK(k.mem.api_keys("acme").size() == 1);
}

TEST_CASE("settings: rate_limit.requests_per_minute, from 0 (no limit) to 1000000") {
  Keys k;
  CHECK(k.mem.tenant_settings("acme").rate_limit_per_minute == 0);
  Error e = error_of(
      [&] { k.mem.configure_tenant_json("acme", R"({"rate_limit": {"requests_per_minute": -1}})"); });
  CHECK(e.issues().at(0).path == std::vector<std::string>{"rate_limit", "requests_per_minute"});
  e = error_of([&] { k.mem.configure_tenant_json("acme", R"({"rate_limit": {"per_minute": 5}})"); });
  CHECK(e.issues().at(0).path == std::vector<std::string>{"rate_limit", "per_minute"});
  CHECK(k.mem.configure_tenant_json("acme", R"({"rate_limit": {"requests_per_minute": 1000000}})")
            .find(R"("rate_limit":{"requests_per_minute":1000000})") != std::string::npos);
}

TEST_CASE("api keys: callmem_api_key_tenant answers a live key's tenant through the C ABI") {
  Keys k;
  server::NewKey acme, globex;
  k.make("acme", "ivr", acme);
  k.make("globex", "", globex);
  callmem_db* db = nullptr;
  const std::string config = R"({"path": ")" + k.dir.file("calls.db") + R"("})";
  REQUIRE(callmem_open(&db, config.c_str()) == CALLMEM_OK);
  char* out = nullptr;

  REQUIRE(callmem_api_key_tenant(db, acme.hash.c_str(), &out) == CALLMEM_OK);
  CHECK(std::string(out) == R"({"key_id":")" + acme.key_id + R"(","tenant":"acme"})");
  callmem_free(out);
  REQUIRE(callmem_api_key_tenant(db, server::hash_key(globex.key).c_str(), &out) == CALLMEM_OK);
  CHECK(std::string(out).find(R"("tenant":"globex")") != std::string::npos);
  callmem_free(out);

  // Unknown and revoked are one answer; the revocation holds from the next call.
  CHECK(callmem_api_key_tenant(db, server::hash_key("cmk_unknown").c_str(), &out) == CALLMEM_ENOTFOUND);
  const std::string unknown = out;
  callmem_free(out);
  CHECK(unknown.find("invalid API key: unknown or revoked") != std::string::npos);
  k.mem.api_key_revoke(acme.key_id);
  CHECK(callmem_api_key_tenant(db, acme.hash.c_str(), &out) == CALLMEM_ENOTFOUND);
  CHECK(std::string(out) == unknown);
  callmem_free(out);

  // The key itself, or anything but 64 lowercase hex digits, is refused naming the argument.
  for (const std::string& bad : {acme.key, std::string(64, 'A'), std::string(63, 'a'), std::string()}) {
    CHECK(callmem_api_key_tenant(db, bad.c_str(), &out) == CALLMEM_EINVALID);
    CHECK(std::string(out).find(R"("path":["key_sha256"])") != std::string::npos);
    callmem_free(out);
  }
  CHECK(callmem_api_key_tenant(db, nullptr, &out) == CALLMEM_EINVALID);
  callmem_free(out);
  CHECK(callmem_api_key_tenant(nullptr, acme.hash.c_str(), nullptr) == CALLMEM_EINVALID);
  callmem_close(db);
}
