// Bulk import of call history (Engine::import_calls_json, docs/import.md):
// the same database as the live path call by call, idempotent, resumable,
// bad lines named by line and field, strict, not billed; over SQLite and
// PostgreSQL.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>

#include "engine.hpp"
#include "import_history.hpp"
#include "json/codec.hpp"
#include "json/rapidjson.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;

namespace {

const Millis kT0 = *parse_iso("2025-11-01T08:00:00.000Z");

EngineOptions sqlite_at(const std::string& path, Millis now) {
  EngineOptions o;
  o.path = path;
  o.clock = std::make_shared<ManualClock>(now);
  return o;
}

json::rj::Document parse(const std::string& text) {
  json::rj::Document d;
  d.Parse(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// Each caller's next call, a day after the history, through the live path:
// the answers, refs named by first appearance.
std::string next_starts(Engine& e, const import_history::History& h) {
  std::map<std::string, std::string> names;
  std::string out;
  for (std::size_t c = 0; c < h.anis.size(); ++c) {
    const std::string body = fmt::format(
        R"({{"call_id": "next-{}", "identity_hints": {{"ani": "{}"}}, "telco": {{"line_type": "mobile"}}, "at": "{}"}})",
        c, h.anis[c], format_iso(h.last + kDay));
    out += import_history::rename_refs(e.start_call_json("acme", body), names) + "\n";
  }
  return out;
}

// The rejections of a summary: "line:field path" each.
std::vector<std::string> rejected(const std::string& summary) {
  std::vector<std::string> out;
  const auto d = parse(summary);
  for (const auto& r : d["rejected"].GetArray()) {
    std::string path;
    const auto& err = r["error"];
    if (err.HasMember("details"))
      for (const auto& p : err["details"]["issues"][0]["path"].GetArray())
        path += (path.empty() ? "" : ".") + std::string(p.GetString());
    else
      path = err["error"].GetString();
    out.push_back(fmt::format("{}:{}", r["line"].GetUint64(), path));
  }
  return out;
}

std::int64_t count(const std::string& summary, const char* what) { return parse(summary)[what].GetInt64(); }

}  // namespace

TEST_CASE("import: the same database and the same next answers as the live path call by call") {
  TempDir dir;
  const auto h = import_history::generate(3000, 400, 7, kT0);
  const Millis after = h.last + kDay;
  Engine imported(sqlite_at(dir.file("imported.db"), after));
  // Small batches: many calls start in one transaction and end in another.
  const std::string summary = imported.import_calls_json("acme", h.ndjson, R"({"batch": 100})");
  CHECK(count(summary, "imported") == 3000);
  CHECK(count(summary, "skipped") == 0);
  CHECK(rejected(summary).empty());

  Engine live(sqlite_at(dir.file("live.db"), after));
  for (const auto& r : h.live)
    r.end ? live.end_call_json("acme", r.json) : live.start_call_json("acme", r.json);

  // Row for row, but usage: an import is not metered.
  CHECK(import_history::dump(dir.file("imported.db"), {"usage"}) ==
        import_history::dump(dir.file("live.db"), {"usage"}));
  CHECK(parse(imported.usage_json("acme", "{}"))["days"].Size() == 0);
  CHECK(next_starts(imported, h) == next_starts(live, h));
}

TEST_CASE("import: again changes nothing and says so; an interrupted import resumes to the same database") {
  TempDir dir;
  const auto h = import_history::generate(1500, 200, 11, kT0);
  const Millis after = h.last + kDay;
  {
    Engine once(sqlite_at(dir.file("once.db"), after));
    CHECK(count(once.import_calls_json("acme", h.ndjson, R"({"batch": 200})"), "imported") == 1500);
  }
  const std::string before = import_history::dump(dir.file("once.db"));
  {
    Engine again(sqlite_at(dir.file("once.db"), after));
    const std::string summary = again.import_calls_json("acme", h.ndjson, R"({"batch": 200})");
    CHECK(count(summary, "imported") == 0);
    CHECK(count(summary, "skipped") == 1500);
    CHECK(rejected(summary).empty());
  }
  CHECK(import_history::dump(dir.file("once.db")) == before);

  // Stopped after three batches (the progress callback throws, after their commits).
  Engine resumed(sqlite_at(dir.file("resumed.db"), after));
  ImportOptions o;
  o.batch = 200;
  int batches = 0;
  CHECK_THROWS_AS(resumed.import_calls_ndjson("acme", h.ndjson, o,
                                              [&](std::size_t, std::size_t) {
                                                if (++batches == 3) throw std::runtime_error("killed");
                                              }),
                  std::runtime_error);
  const ImportSummary rest = resumed.import_calls_ndjson("acme", h.ndjson, o);
  CHECK(rest.skipped > 0);
  CHECK(rest.imported > 0);
  CHECK(rest.imported + rest.skipped == 1500);
  CHECK(import_history::dump(dir.file("resumed.db")) == before);
}

TEST_CASE("import: each bad line is named by its line and field; the rest is imported") {
  TempDir dir;
  Engine e(sqlite_at(dir.file("calls.db"), kT0 + kDay));
  const std::string good =
      R"({"start": {"call_id": "c1", "identity_hints": {"ani": "+14155550001"}, "at": "2025-11-01T09:00:00.000Z"}, "end": {"intent": "refund_request", "at": "2025-11-01T09:05:00.000Z"}})";
  const std::string ndjson =
      good + "\n" +  // 1
      "\n" +         // 2 blank
      R"({"start": {"call_id": "c3", "identity_hints": {"ani": "+14155550003"}}})"
      "\n"  // 3 no at
      R"({"start": {"call_id": "c4", "identity_hints": {"ani": 5}, "at": "2025-11-01T09:00:00.000Z"}})"
      "\n"
      R"({"start": {"call_id": "c5", "identity_hints": {"ani": "+14155550005"}, "at": "2025-11-01T09:00:00.000Z"}, "end": {"at": "2025-11-01T08:00:00.000Z"}})"
      "\n"
      "{not json\n"  // 6
      R"({"start": {"call_id": "c1", "identity_hints": {"ani": "+14155559999"}, "at": "2025-11-01T09:00:00.000Z"}})"
      "\n"  // 7 conflict
      R"({"start": {"call_id": "c8", "identity_hints": {"ani": "+14155550008"}, "at": "2025-11-01T10:00:00.000Z"}, "end": {"customer_ref": "not-its-ref", "at": "2025-11-01T10:01:00.000Z"}})"
      "\n"
      R"({"end": {"call_id": "c9", "at": "2025-11-01T10:00:00.000Z"}})"
      "\n"  // 9 an end of no call, without hints
      R"({"start": {"call_id": "c10", "identity_hints": {"ani": "+14155550010"}, "at": "2025-11-01T11:00:00.000Z"}, "end": {"variables": {"name": "Ann"}, "at": "2025-11-01T11:02:00.000Z"}})";
  const std::string summary = e.import_calls_json("acme", ndjson);
  CHECK(count(summary, "imported") == 2);
  CHECK(rejected(summary) == std::vector<std::string>{"3:start.at", "4:start.identity_hints.ani", "5:end.at",
                                                      "6:", "7:Conflict", "8:Conflict", "9:Not Found"});
  // A line that does not read is still named by its call_id when it has one.
  CHECK(summary.find(R"({"line":3,"call_id":"c3",)") != std::string::npos);
  CHECK(summary.find(R"({"line":4,"call_id":"c4",)") != std::string::npos);
  CHECK(summary.find(R"({"line":6,"call_id":"",)") != std::string::npos);
  CHECK(e.get_customer_json("acme", R"({"identity_hints": {"ani": "+14155550010"}})").find("Ann") !=
        std::string::npos);
  // Line 8's start was written before its end was refused: it was rolled back.
  CHECK_THROWS(e.get_customer_json("acme", R"({"identity_hints": {"ani": "+14155550008"}})"));
  // Fixed, the refused lines import; the good ones are skipped.
  const std::string fixed =
      good + "\n" +
      R"({"start": {"call_id": "c8", "identity_hints": {"ani": "+14155550008"}, "at": "2025-11-01T10:00:00.000Z"}, "end": {"at": "2025-11-01T10:01:00.000Z"}})";
  const std::string again = e.import_calls_json("acme", fixed);
  CHECK(count(again, "imported") == 1);
  CHECK(count(again, "skipped") == 1);
}

TEST_CASE("import: strict stops at the first refused call; an unreadable line stops it before anything") {
  TempDir dir;
  Engine e(sqlite_at(dir.file("calls.db"), kT0 + kDay));
  auto line = [](const std::string& id, const std::string& ani, const std::string& at) {
    return fmt::format(R"({{"start": {{"call_id": "{}", "identity_hints": {{"ani": "{}"}}, "at": "{}"}}}})",
                       id, ani, at);
  };
  const std::string unreadable = line("a", "+14155550001", "2025-11-01T09:00:00.000Z") + "\n{\n" +
                                 line("b", "+14155550002", "2025-11-01T09:10:00.000Z") + "\n";
  std::string s = e.import_calls_json("acme", unreadable, R"({"strict": true})");
  CHECK(count(s, "imported") == 0);
  CHECK(count(s, "stopped_at") == 2);
  CHECK(count(s, "not_applied") == 2);
  CHECK(rejected(s) == std::vector<std::string>{"2:"});

  CHECK(count(e.import_calls_json("acme", line("x", "+14155550009", "2025-11-01T09:05:00.000Z")),
              "imported") == 1);
  // In time order: a (09:00) goes in, x (09:05) conflicts and stops it, b (09:10) is not applied.
  const std::string conflicting = line("b", "+14155550002", "2025-11-01T09:10:00.000Z") + "\n" +
                                  line("x", "+14155550001", "2025-11-01T09:05:00.000Z") + "\n" +
                                  line("a", "+14155550001", "2025-11-01T09:00:00.000Z") + "\n";
  s = e.import_calls_json("acme", conflicting, R"({"strict": true})");
  CHECK(count(s, "imported") == 1);
  CHECK(count(s, "stopped_at") == 2);
  CHECK(count(s, "not_applied") == 1);
  CHECK(rejected(s) == std::vector<std::string>{"2:Conflict"});
}

TEST_CASE("import: history is not billed, even when the tenant has no credits") {
  TempDir dir;
  Engine e(sqlite_at(dir.file("calls.db"), kT0 + kDay));
  e.configure_tenant_json("acme", R"({"billing": {"enabled": true}})");
  const auto h = import_history::generate(50, 10, 3, kT0);
  CHECK(count(e.import_calls_json("acme", h.ndjson), "imported") == 50);
  const auto usage = parse(e.usage_json("acme", "{}"));
  CHECK(usage["balance"].GetInt64() == 0);
  CHECK(usage["days"].Size() == 0);
  // A live start of a new caller is metered: it is refused.
  CHECK_THROWS(
      e.start_call_json("acme", R"({"call_id": "live", "identity_hints": {"ani": "+14155559999"}})"));
}

TEST_CASE("import: the options and the typed API") {
  TempDir dir;
  Engine e(sqlite_at(dir.file("calls.db"), kT0 + kDay));
  CHECK_THROWS_AS(e.import_calls_json("acme", "", R"({"batch": 0})"), Error);
  CHECK_THROWS_AS(e.import_calls_json("acme", "", R"({"strictly": true})"), Error);
  CHECK_THROWS_AS(e.import_calls_json("bad tenant!", "", ""), Error);
  CHECK(e.import_calls_json("acme", "", "") == R"({"imported":0,"skipped":0,"rejected":[]})");

  ImportCall call;
  call.start = StartRequest{};
  call.start->call_id = "t1";
  call.start->identity_hints.ani = "+14155550001";
  call.start->at = kT0;
  call.end = EndRequest{};  // its call_id is the start's
  call.end->intents = {{"refund_request", callmem::IntentStatus::open}};
  call.end->at = kT0 + 60000;
  ImportCall bad = call;
  bad.start->call_id = "t2";
  bad.end->call_id = "t2";
  bad.end->at = kT0 - 1;
  const ImportSummary s = e.import_calls("acme", {call, bad});
  CHECK(s.imported == 1);
  REQUIRE(s.rejected.size() == 1);
  CHECK(s.rejected[0].line == 2);
  CHECK(s.rejected[0].call_id == "t2");
  CHECK(s.rejected[0].error.issues().at(0).path == std::vector<std::string>{"end", "at"});
  CHECK(e.import_calls("acme", {call}).skipped == 1);
}
