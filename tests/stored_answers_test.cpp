// The answers a call replays, as the SQLite store keeps them
// (store/sqlite/answers.hpp): packed, read back byte for byte, smaller than
// their text; a damaged one is a store error; one written as text before
// packing still replays.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <random>
#include <string>
#include <vector>

#include "callmem/error.hpp"
#include "engine.hpp"
#include "store/sqlite/answers.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

using namespace callmem;

namespace {

const Millis kT0 = *parse_iso("2026-03-02T09:00:00.000Z");

// The packed bytes; "" when the text is kept as it is.
std::string packed(std::string_view text) {
  sqlite::AnswerPacker packer;
  std::string out;
  if (!packer.pack(text, out)) return "";
  return out;
}

std::string round_trip(std::string_view text) {
  const std::string p = packed(text);
  REQUIRE_FALSE(p.empty());
  return sqlite::unpack_answer(p.data(), p.size());
}

Status unpack_status(const std::string& bytes) {
  try {
    sqlite::unpack_answer(bytes.data(), bytes.size());
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("stored answer is damaged") != std::string::npos);
    return e.status();
  }
  return Status::ok;
}

// One value of a query on a plain connection of the test's own.
struct Raw {
  explicit Raw(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  }
  ~Raw() { sqlite3_close(db); }
  std::string text(const std::string& sql, const std::string& param = "") {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    if (!param.empty())
      sqlite3_bind_text(s, 1, param.data(), static_cast<int>(param.size()), SQLITE_TRANSIENT);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW) {
      const void* b = sqlite3_column_blob(s, 0);
      out.assign(static_cast<const char*>(b), static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
    }
    sqlite3_finalize(s);
    return out;
  }
  void run(const std::string& sql, const std::string& p1, const std::string& p2) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    sqlite3_bind_text(s, 1, p1.data(), static_cast<int>(p1.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, p2.data(), static_cast<int>(p2.size()), SQLITE_TRANSIENT);
    CHECK(sqlite3_step(s) == SQLITE_DONE);
    sqlite3_finalize(s);
  }
  sqlite3* db = nullptr;
};

EngineOptions at(const std::string& path, Millis now) {
  EngineOptions o;
  o.path = path;
  o.clock = std::make_shared<ManualClock>(now);
  return o;
}

}  // namespace

TEST_CASE("stored answers: packing reads back every text byte for byte") {
  const std::string start =
      R"({"call_id":"c-1","customer_ref":"0b6f3ad8-9f0e-4f43-9a43-5f4b8a1e2c77","call_start":"2026-03-02T09:00:00.000Z",)"
      R"("identity":{"confidence":0.9994,"level":"very_high","sources":["ani:mobile","recency:1day"],)"
      R"("recommendation":"reuse","evidence":[{"signal":"ani","weight":8.7313,"detail":"mobile, last seen 2 hours ago"},)"
      R"({"signal":"recency","weight":1,"detail":"last call 2 hours ago"}]},"open_intents":[{"intent":"refund_request",)"
      R"("status":"open","attempt_count":2,"first_seen":"2026-03-01T10:00:00.000Z","last_seen":"2026-03-02T07:00:00.000Z"}],)"
      R"("variables":{"order_id":{"value":"A-1234","source":"c-0","ttl_seconds":2584800,"updated_at":"2026-03-02T07:00:00.000Z"}}})";
  CHECK(round_trip(start) == start);
  // What a start answer costs stored: under half its text.
  CHECK(packed(start).size() * 2 < start.size());

  const std::string unicode =
      R"({"variables":{"name":{"value":"Zoë Ñúñez 日本 🙂","source":"c-1","ttl_seconds":2592000,"updated_at":"2026-03-02T07:00:00.000Z"}}})";
  CHECK(round_trip(unicode) == unicode);
  // One packer, many answers in turn: each reads back alone.
  sqlite::AnswerPacker packer;
  std::vector<std::string> texts, packs;
  for (int i = 0; i < 50; ++i) {
    texts.push_back(start.substr(0, start.size() - static_cast<std::size_t>(i) * 7) + std::to_string(i));
    packs.emplace_back();
    REQUIRE(packer.pack(texts.back(), packs.back()));
  }
  for (std::size_t i = 0; i < texts.size(); ++i)
    CHECK(sqlite::unpack_answer(packs[i].data(), packs[i].size()) == texts[i]);
  // Longer than the dictionary's window (64 KiB).
  std::string long_text;
  while (long_text.size() < 300000) long_text += start;
  CHECK(round_trip(long_text) == long_text);
  CHECK(packed(long_text).size() < long_text.size() / 20);

  // Kept as text: empty, too short to shrink, or nothing LZ4 can shrink.
  CHECK(packed("").empty());
  CHECK(packed("{}").empty());
  std::mt19937 rng(7);
  std::string noise(5000, '\0');
  for (char& c : noise) c = static_cast<char>('!' + rng() % 90);
  CHECK(packed(noise).empty());
}

TEST_CASE("stored answers: damaged bytes are a store error, never a wrong answer") {
  const std::string text = R"({"call_id":"c-1","customer_ref":"r","identity":{"level":"low"}})";
  const std::string good = packed(text);
  REQUIRE(unpack_status(good) == Status::ok);
  CHECK(unpack_status("") == Status::store);
  CHECK(unpack_status(std::string(1, '\x01')) == Status::store);
  CHECK(unpack_status(text) == Status::store);  // text is not packed: another format byte
  std::string format = good;
  format[0] = '\x02';
  CHECK(unpack_status(format) == Status::store);
  // A length that runs past any answer (refused before it is allocated), or never ends.
  CHECK(unpack_status(std::string("\x01\xff\xff\xff\xff\x7f", 6) + good.substr(2)) == Status::store);
  CHECK(unpack_status(std::string("\x01\x80\x80\x80\x04", 5) + good.substr(2)) == Status::store);  // 1 GiB
  CHECK(unpack_status(std::string("\x01\xff\xff", 3)) == Status::store);
  // The block cut short, or its length byte wrong.
  CHECK(unpack_status(good.substr(0, good.size() - 3)) == Status::store);
  std::string longer = good;
  longer[1] = static_cast<char>(longer[1] + 1);
  CHECK(unpack_status(longer) == Status::store);
}

TEST_CASE("stored answers: a call's answers are kept packed and replayed byte for byte") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  const std::string start_req =
      R"({"call_id": "c-1", "identity_hints": {"ani": "+14155550100"}, "telco": {"line_type": "mobile"}})";
  const std::string end_req =
      R"({"call_id": "c-1", "intent": "refund_request", "intent_status": "open", "variables": {"order_id": "A-1"}})";
  const std::string again_req =
      R"({"call_id": "c-2", "identity_hints": {"ani": "+14155550100"}, "telco": {"line_type": "mobile"}})";
  std::string start, end, again, feedback;
  {
    Engine e(at(path, kT0));
    start = e.start_call_json("acme", start_req);
    end = e.end_call_json("acme", end_req);
    again = e.start_call_json("acme", again_req);
    feedback = e.identity_feedback_json("acme", R"({"call_id": "c-2", "outcome": "confirmed"})");
  }
  {
    Raw raw(path);
    for (const char* column : {"start_response", "end_response"}) {
      CAPTURE(column);
      CHECK(raw.text(std::string("SELECT typeof(") + column + ") FROM calls WHERE call_id = 'c-1'") ==
            "blob");
    }
    const std::string stored = raw.text("SELECT start_response FROM calls WHERE call_id = 'c-2'");
    CHECK(stored.size() * 2 < again.size());
    CHECK(sqlite::unpack_answer(stored.data(), stored.size()) == again);
    CHECK(raw.text("SELECT typeof(feedback_response) FROM calls WHERE call_id = 'c-2'") == "blob");
    // A call not ended keeps '' as text.
    CHECK(raw.text("SELECT typeof(end_response) || ':' || end_response FROM calls WHERE call_id = 'c-2'") ==
          "text:");
  }
  Engine e(at(path, kT0 + 60 * kSecond));
  CHECK(e.start_call_json("acme", start_req) == start);
  CHECK(e.end_call_json("acme", end_req) == end);
  CHECK(e.start_call_json("acme", again_req) == again);
  CHECK(e.identity_feedback_json("acme", R"({"call_id": "c-2", "outcome": "confirmed"})") == feedback);
}

TEST_CASE("stored answers: an answer written as text before packing still replays") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  const std::string start_req =
      R"({"call_id": "old-1", "identity_hints": {"ani": "+14155550123", "external_ids": {"crm_id": "K-9"}}})";
  std::string start;
  {
    Engine e(at(path, kT0));
    start = e.start_call_json("acme", start_req);
  }
  {
    // The call as a library of schema 10 left it: its answer as text.
    Raw raw(path);
    raw.run("UPDATE calls SET start_response = ?1 WHERE call_id = ?2", start, "old-1");
    REQUIRE(raw.text("SELECT typeof(start_response) FROM calls WHERE call_id = 'old-1'") == "text");
    REQUIRE(std::stoi(raw.text("PRAGMA user_version")) >= 11);
    // Schema 10 had the index of calls' expiry (migration 12 drops it).
    sqlite3_exec(raw.db, "CREATE INDEX calls_expiry ON calls(expires_at); PRAGMA user_version = 10", nullptr,
                 nullptr, nullptr);
  }
  Engine e(at(path, kT0 + 60 * kSecond));
  CHECK(e.start_call_json("acme", start_req) == start);
  // The end reads the start's answer (whether the caller was reused) as it is.
  const std::string end =
      e.end_call_json("acme", R"({"call_id": "old-1", "external_ids": {"account": "77"}})");
  CHECK(end.find(R"("call_id":"old-1")") != std::string::npos);
  Raw raw(path);
  CHECK(raw.text("SELECT typeof(end_response) FROM calls WHERE call_id = 'old-1'") == "blob");
  CHECK(raw.text("SELECT typeof(start_response) FROM calls WHERE call_id = 'old-1'") == "text");
  // Migration 11 ran: a library of schema 10, which would read the packed
  // end as text, refuses the file as newer than itself.
  CHECK(std::stoi(raw.text("PRAGMA user_version")) >= 11);
}
