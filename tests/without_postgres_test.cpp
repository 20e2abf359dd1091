// A build without PostgreSQL (CALLMEM_WITH_POSTGRES=OFF): opening a postgres
// store is refused as invalid, naming `store`, by the core and the C ABI alike.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "callmem/callmem.h"
#include "callmem/error.hpp"
#include "engine.hpp"

using namespace callmem;

TEST_CASE("without postgres: a postgres store is invalid, naming store") {
  EngineOptions o;
  o.store = "postgres";
  o.dsn = "postgresql://callmem@127.0.0.1/postgres";
  try {
    Engine m(o);
    FAIL("opened a postgres store in a build without PostgreSQL");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].path == std::vector<std::string>{"store"});
    CHECK(e.issues()[0].message.find("not supported") != std::string::npos);
  }

  callmem_db* db = nullptr;
  CHECK(callmem_open(&db, R"({"store": "postgres", "dsn": "postgresql://callmem@127.0.0.1/postgres"})") ==
        CALLMEM_EINVALID);
  CHECK(db == nullptr);
  CHECK(std::string(callmem_last_error()).find("store: store postgres is not supported") !=
        std::string::npos);
}
