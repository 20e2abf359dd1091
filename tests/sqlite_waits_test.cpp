// How the SQLite store waits for another connection's write lock (its busy
// handler) and checkpoints its WAL (a thread of its own), as writers of
// other processes meet them.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "doctest/doctest.h"
#include "engine.hpp"
#include "store/sqlite/checkpointer.hpp"
#include "temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

callmem::EngineOptions on_file(const std::string& path) {
  callmem::EngineOptions o;
  o.path = path;
  return o;
}

std::string start(int i) {
  return R"({"call_id":"c)" + std::to_string(i) + R"(","identity_hints":{"ani":"+1415)" +
         std::to_string(2000000 + i) + R"("}})";
}

}  // namespace

TEST_CASE("sqlite store: a writer waiting for another process's lock resumes soon after its release") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  callmem::Engine engine(on_file(path));
  engine.start_call_json("acme", start(0));
  // Another connection (as another process's) holds the write lock 60 ms.
  // SQLite's own busy handler would sleep 1, 2, 5, 10, 15, 20, 25 ms and
  // resume 18 ms after the release; the store's polls every 250 µs at most.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  auto late = Clock::duration::max();
  for (int round = 1; round <= 5; ++round) {
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    const auto release = Clock::now() + 60ms;
    std::thread holder([&] {
      std::this_thread::sleep_until(release);
      sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
    });
    engine.start_call_json("acme", start(round));
    const auto done = Clock::now();
    holder.join();
    CHECK(done >= release);
    late = std::min(late, done - release);
  }
  sqlite3_close(other);
  // The best of five, so that a loaded machine's scheduling does not decide.
  CHECK(late < 5ms);
}

TEST_CASE("sqlite store: the WAL is checkpointed, and its file stays bounded") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  callmem::Engine engine(on_file(path));
  const std::string note(3000, 'x');  // about a page a call
  for (int i = 0; i < 3000; ++i) {
    engine.start_call_json("acme", start(i));
    engine.end_call_json(
        "acme", R"({"call_id":"c)" + std::to_string(i) + R"(","variables":{"note":")" + note + R"("}})");
    // Calls come with gaps, as a host's do: the checkpoints catch up.
    if (i % 100 == 99) std::this_thread::sleep_for(20ms);
  }
  const auto written = std::filesystem::file_size(path + "-wal") + std::filesystem::file_size(path);
  const auto wal = std::filesystem::file_size(path + "-wal");
  // About 9000 pages were written; the WAL was reused from its start after
  // checkpoints: the thread catches up with it in the gaps.
  CHECK(written > 8u * 1024 * 1024);
  CHECK(wal < 5000u * 4096);
  // The rows are in the database file itself once checkpointed.
  CHECK(std::filesystem::file_size(path) > 6u * 1024 * 1024);
}

TEST_CASE("sqlite store: writers back to back keep the WAL within the writer's limit, and every call") {
  TempDir dir;
  const std::string path = dir.file("calls.db");
  constexpr int kCalls = 4000;
  std::uintmax_t largest = 0;
  {
    callmem::Engine engine(on_file(path));
    const std::string note(3000, 'x');  // about a page a call, some 10 in all
    for (int i = 0; i < kCalls; ++i) {
      engine.start_call_json("acme", start(i));
      engine.end_call_json(
          "acme", R"({"call_id":"c)" + std::to_string(i) + R"(","variables":{"note":")" + note + R"("}})");
      if (i % 200 == 199) largest = std::max(largest, std::filesystem::file_size(path + "-wal"));
    }
  }
  // No gaps: the thread never catches up, and the writer that takes the WAL
  // past the limit checkpoints the rest, so that the WAL starts over (more
  // than twice the limit's pages were written; the file is reused from its
  // start, not cut, so it keeps the largest size it had).
  const std::uintmax_t frame = 4096 + 24;
  CHECK(largest >= callmem::sqlite::Checkpointer::kWriterPages * frame);
  CHECK(largest <= 32 + (callmem::sqlite::Checkpointer::kWriterPages + 256) * frame);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM calls WHERE ended_at > 0", -1, &count, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_step(count) == SQLITE_ROW);
  CHECK(sqlite3_column_int(count, 0) == kCalls);
  sqlite3_finalize(count);
  sqlite3_close(db);
}
