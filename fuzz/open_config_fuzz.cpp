// libFuzzer target: the open configuration (callmem_open's JSON). It is read
// with the library's own reader; a configuration that reads is then opened
// for real, with its path replaced by ":memory:" (a fuzzer must not create
// files where the input says) and PostgreSQL left out (no server to reach).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "callmem/error.hpp"
#include "engine.hpp"
#include "json/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  callmem::EngineOptions options;
  try {
    options = callmem::json::parse_open_config(text);
  } catch (const callmem::Error&) {
    return 0;  // refused, naming the field: what bad input gets
  }
  if (options.store != "sqlite") return 0;
  options.path = ":memory:";
  try {
    callmem::Engine engine(options);
    engine.tenant_settings_json("acme", "{}");
  } catch (const callmem::Error&) {
  }
  return 0;
}
