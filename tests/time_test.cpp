#include "time.hpp"

#include <doctest/doctest.h>

using namespace callmem;

TEST_CASE("timestamps round trip with milliseconds and Z") {
  const auto t = parse_iso("2026-02-07T10:30:00.000Z");
  REQUIRE(t);
  CHECK(*t == 1770460200000);
  CHECK(format_iso(*t) == "2026-02-07T10:30:00.000Z");
  CHECK(format_iso(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_day(*t) == "2026-02-07");
  CHECK(format_iso(*parse_iso("2024-02-29T23:59:59.999Z")) == "2024-02-29T23:59:59.999Z");
}

TEST_CASE("timestamps: every field's edges, and each format read back to its time") {
  CHECK(format_iso(253402300799999) == "9999-12-31T23:59:59.999Z");
  CHECK(format_day(253402300799999) == "9999-12-31");
  CHECK(format_iso(253402300800000) == "10000-01-01T00:00:00.000Z");
  CHECK(format_iso(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_day(-1) == "1969-12-31");
  CHECK(format_iso(951782400000 + 86399999) == "2000-02-29T23:59:59.999Z");
  CHECK(format_iso(1000) == "1970-01-01T00:00:01.000Z");
  CHECK(format_iso(3723004) == "1970-01-01T01:02:03.004Z");
  // Every day of 2024 at a moment whose fields all differ, read back.
  for (Millis t = 1704067200000 + 45296789; t < 1735689600000; t += kDay) {
    const std::string iso = format_iso(t);
    REQUIRE(parse_iso(iso) == t);
    CHECK(format_day(t) == iso.substr(0, 10));
  }
}

TEST_CASE("timestamps: fractions, offsets and no fraction") {
  CHECK(*parse_iso("2026-02-07T10:30:00Z") == *parse_iso("2026-02-07T10:30:00.000Z"));
  CHECK(*parse_iso("2026-02-07T10:30:00.5Z") == *parse_iso("2026-02-07T10:30:00.500Z"));
  CHECK(*parse_iso("2026-02-07T10:30:00.123456789Z") == *parse_iso("2026-02-07T10:30:00.123Z"));
  CHECK(*parse_iso("2026-02-07T12:30:00.000+02:00") == *parse_iso("2026-02-07T10:30:00.000Z"));
  CHECK(*parse_iso("2026-02-07T05:30:00.000-05:00") == *parse_iso("2026-02-07T10:30:00.000Z"));
}

TEST_CASE("timestamps: malformed ones are refused") {
  for (const char* bad :
       {"", "2026-02-07", "2026-02-07T10:30:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-02-07T24:00:00Z", "2026-02-07T10:60:00Z", "2026-02-07T10:30:00.Z",
        "2026-02-07T10:30:00ZZ", "1969-12-31T23:59:59Z", "2026-02-07 10:30:00Z", "２０２６-02-07T10:30:00Z",
        "2026-02-07T10:30:00+2:00", "2026-02-07T10:30:00.1234567890Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_iso(bad));
  }
}
