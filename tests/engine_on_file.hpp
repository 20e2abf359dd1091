// An Engine over a real SQLite file in a temporary folder, its clock a manual
// one that starts at kT0: the fixture of the tests that drive the façade.
#ifndef CALLMEM_TESTS_ENGINE_ON_FILE_HPP
#define CALLMEM_TESTS_ENGINE_ON_FILE_HPP

#include <memory>

#include "engine.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

namespace callmem::test {

inline const Millis kT0 = *parse_iso("2026-02-07T10:30:00.000Z");

struct EngineOnFile {
  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kT0);
  Engine mem{make_options()};

  EngineOptions make_options() {
    EngineOptions o;
    o.path = dir.file("calls.db");
    o.clock = clock;
    return o;
  }
};

}  // namespace callmem::test

#endif
