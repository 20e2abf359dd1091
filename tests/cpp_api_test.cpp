// The C++ API as a host uses it: include <callmem/callmem.hpp>, link
// libcallmem.so and nothing else (this executable links no core code), and
// every operation on a real SQLite file.
#include <doctest/doctest.h>
#include <unistd.h>

#include <callmem/callmem.hpp>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "temp_dir.hpp"

using namespace callmem;

// Options{"calls.db"} once compiled and set `store`; now it does not compile.
static_assert(!std::is_aggregate_v<Options>);
static_assert(!std::is_constructible_v<Options, const char*>);
static_assert(std::is_nothrow_move_constructible_v<CallMemory>);
static_assert(!std::is_copy_constructible_v<CallMemory>);

namespace {

StartRequest start(const std::string& call_id, const std::string& ani) {
  StartRequest r;
  r.call_id = call_id;
  r.identity_hints.ani = ani;
  r.telco.line_type = callmem::LineType::mobile;
  return r;
}

}  // namespace

TEST_CASE("C++ API: a caller is remembered across calls") {
  TempDir dir;
  CallMemory memory(Options::sqlite(dir.file("calls.db")));

  const StartResponse first = memory.start_call("acme", start("call_001", "+14155551234"));
  CHECK(first.call_id == "call_001");
  CHECK(first.customer_ref.size() == 36);  // a UUID
  CHECK(first.open_intents.empty());
  CHECK(first.call_start > 1700000000000);

  EndRequest end;
  end.call_id = "call_001";
  end.intents = {{"refund_request", callmem::IntentStatus::open}};
  end.variables = {{"name", JsonText{R"("John Doe")"}}, {"amount", JsonText{"12.5"}}};
  const EndResponse ended = memory.end_call("acme", end);
  CHECK(ended.customer_ref == first.customer_ref);
  CHECK(ended.intents_updated == 1);
  CHECK(ended.variables_updated == 2);

  const StartResponse second = memory.start_call("acme", start("call_002", "+14155551234"));
  CHECK(second.customer_ref == first.customer_ref);
  CHECK(second.identity.recommendation == callmem::Recommendation::reuse);
  CHECK(second.identity.confidence > 0.5);
  CHECK_FALSE(second.identity.sources.empty());
  REQUIRE(second.open_intents.size() == 1);
  CHECK(second.open_intents[0].intent == "refund_request");
  CHECK(second.open_intents[0].status == callmem::IntentStatus::open);
  REQUIRE(second.variables.count("name") == 1);
  CHECK(second.variables.at("name").value.text == R"("John Doe")");
  CHECK(second.variables.at("amount").value.text == "12.5");
  CHECK(second.variables.at("name").source == "call_001");

  // A replay answers the original bytes, through the JSON API too.
  const std::string replay = memory.start_call_json(
      "acme",
      R"({"call_id": "call_002", "identity_hints": {"ani": "+14155551234"}, "telco": {"line_type": "mobile"}})");
  CHECK(replay.find(first.customer_ref) != std::string::npos);

  GetRequest get;
  get.who.customer_ref = first.customer_ref;
  const CustomerView view = memory.get_customer("acme", get);
  CHECK(view.customer_ref == first.customer_ref);
  CHECK(view.calls.size() == 2);
  REQUIRE_FALSE(view.identities.empty());
  CHECK(view.identities[0].value == "+14155551234");

  CustomerSelector who;
  who.customer_ref = first.customer_ref;
  CHECK(memory.export_customer("acme", who).variables.size() == 2);

  // Tenants never see each other's data.
  CHECK(memory.start_call("other", start("call_001", "+14155551234")).customer_ref != first.customer_ref);

  const ForgetReceipt forgot = memory.forget_customer("acme", who);
  CHECK(forgot.customer_ref == first.customer_ref);
  CHECK(forgot.removed.calls == 2);
  CHECK(forgot.removed.variables == 2);
  try {
    memory.get_customer("acme", get);
    FAIL("a forgotten customer was found");
  } catch (const Error& e) {
    CHECK(e.status() == Status::not_found);
  }
}

TEST_CASE("C++ API: settings, credits, usage, purge") {
  TempDir dir;
  Options options = Options::sqlite(dir.file("calls.db"));
  options.default_settings.ttl_days = 60;
  CHECK(options.json().find("cache_mb") == std::string::npos);  // SQLite's default unless set
  options.cache_mb = 16;
  CHECK(options.json().find(R"("cache_mb":16)") != std::string::npos);
  CallMemory memory(options);

  CHECK(memory.tenant_settings("acme").ttl_days == 60);
  TenantSettingsPatch patch;
  patch.billing_enabled = true;
  patch.price_start_new = 2;
  patch.identity_weights.ani_u_voip = 0.4;
  const TenantSettings s = memory.configure_tenant("acme", patch);
  CHECK(s.billing_enabled);
  CHECK(s.prices.start_new == 2);
  CHECK(s.identity_weights.ani_u_voip == 0.4);
  CHECK(s.ttl_days == 60);
  CHECK(memory.tenant_settings("acme").billing_enabled);

  try {
    memory.start_call("acme", start("call_1", "+14155551234"));
    FAIL("a start without credits passed");
  } catch (const Error& e) {
    CHECK(e.status() == Status::insufficient_credits);
  }
  CHECK(memory.grant_credits("acme", CreditGrant{5, "grant-1"}) == 5);
  CHECK(memory.grant_credits("acme", CreditGrant{5, "grant-1"}) == 5);  // the same grant again
  memory.start_call("acme", start("call_1", "+14155551234"));
  const UsageReport usage = memory.usage("acme");
  CHECK(usage.balance == 3);
  REQUIRE(usage.days.size() == 1);
  CHECK(usage.days[0].operation == callmem::UsageOperation::start_new);
  CHECK(usage.days[0].credits == 2);

  const PurgeResult purged = memory.purge_expired();
  CHECK(purged.deleted.total() == 0);
  CHECK_FALSE(purged.more);
}

TEST_CASE("C++ API: feedback and unmerge") {
  TempDir dir;
  CallMemory memory(Options::sqlite(dir.file("calls.db")));
  const std::string a = memory.start_call("acme", start("call_1", "+14155551234")).customer_ref;
  const std::string b = memory.start_call("acme", start("call_2", "+14155559999")).customer_ref;
  REQUIRE(a != b);
  const FeedbackResponse f = memory.identity_feedback(
      "acme", FeedbackRequest{"call_2", FeedbackOutcome::corrected, a, std::nullopt});
  CHECK(f.previous_customer_ref == b);
  CHECK(f.customer_ref == a);
  REQUIRE(f.merge);
  CHECK(f.merge->alias == b);
  const UnmergeResponse u = memory.unmerge("acme", UnmergeRequest{f.merge->merge_id});
  CHECK(u.restored_customer_ref == b);
  CHECK(u.customer_ref == a);
}

TEST_CASE("C++ API: errors name the field and the problem") {
  TempDir dir;
  CallMemory memory(Options::sqlite(dir.file("calls.db")));
  StartRequest bad = start("call_1", "not a number");
  bad.call_id.clear();
  try {
    memory.start_call("acme", bad);
    FAIL("an empty call_id passed");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    const std::string what = e.what();
    CHECK(what.find("call_id") != std::string::npos);
    REQUIRE_FALSE(e.issues().empty());
    CHECK(e.issues()[0].path == std::vector<std::string>{"call_id"});
    CHECK_FALSE(e.issues()[0].message.empty());
  }
  try {
    memory.start_call("bad tenant!", start("call_1", "+14155551234"));
    FAIL("a bad tenant passed");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(std::string(e.what()).find("tenant") != std::string::npos);
  }
  try {
    memory.start_call_json("acme", std::string("{\"call_id\": \"a\0b\"}", 18));
    FAIL("a NUL inside the request passed");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(std::string(e.what()).find("request") != std::string::npos);
  }
  // An open that fails throws too, naming the field.
  Options pg = Options::postgres("");
  try {
    CallMemory m(pg);
    FAIL("postgres without a dsn opened");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid);
    CHECK(std::string(e.what()).find("dsn") != std::string::npos);
  }
}

TEST_CASE("C++ API: a moved CallMemory carries its handle") {
  TempDir dir;
  CallMemory a(Options::sqlite(dir.file("calls.db")));
  CallMemory b(std::move(a));
  CHECK_NOTHROW(b.start_call("acme", start("call_1", "+14155551234")));
  CHECK_THROWS_AS(a.start_call("acme", start("call_2", "+14155551234")),
                  Error);  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("C++ API: a bulk import of history, through callmem_import") {
  TempDir dir;
  CallMemory memory(Options::sqlite(dir.file("calls.db")));
  const std::string ndjson =
      R"({"start": {"call_id": "h1", "identity_hints": {"ani": "+14155550101"}, "at": "2026-01-05T09:00:00.000Z"}, "end": {"intent": "refund_request", "at": "2026-01-05T09:04:00.000Z"}})"
      "\n"
      R"({"start": {"call_id": "h2", "identity_hints": {"ani": "+14155550102"}}})";
  const std::string summary = memory.import_calls_json("acme", ndjson, R"({"batch": 10})");
  CHECK(summary.find(R"("imported":1,"skipped":0)") != std::string::npos);
  CHECK(summary.find(R"("line":2,"call_id":"h2")") != std::string::npos);
  CHECK(summary.find(R"("path":["start","at"])") != std::string::npos);
  CHECK(memory.import_calls_json("acme", ndjson).find(R"("imported":0,"skipped":1)") != std::string::npos);
  CHECK_THROWS_AS(memory.import_calls_json("acme", ndjson, R"({"batch": "x"})"), Error);
}
