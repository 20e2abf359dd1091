// libFuzzer target: raw HTTP requests to `callmem serve` (its routes, keys,
// limits and errors over an in-memory call memory), headers and body, through
// Server::answer: no socket. A live key for tenant acme is
// "cmk_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz" (in the seeds and
// the dictionary), so that requests get past authentication.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "engine.hpp"
#include "server/api_keys.hpp"
#include "server/server.hpp"

namespace {

constexpr const char* kKey = "cmk_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";

struct Served {
  callmem::Engine engine{[] {
    callmem::EngineOptions o;
    o.path = ":memory:";
    return o;
  }()};
  std::unique_ptr<callmem::server::Server> server;

  Served() {
    callmem::ApiKey k;
    k.key_id = "key_00000000000000f1";
    k.tenant = "acme";
    k.name = "fuzz";
    k.key_hash = callmem::server::hash_key(kKey);
    engine.api_key_create(k);
    callmem::server::ServerOptions o;
    o.access_log = false;
    server = std::make_unique<callmem::server::Server>(engine, o);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A fresh server and call memory now and then, so that memory stays flat over long runs.
  static std::unique_ptr<Served> served;
  static long runs = 0;
  if (!served || ++runs % 5000 == 0) {
    served.reset();
    served = std::make_unique<Served>();
  }
  served->server->answer(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
