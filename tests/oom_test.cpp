// Out of memory through the C ABI (and its JSON reader): this executable replaces malloc, calloc,
// realloc and operator new so that the Nth allocation after arming fails
// (and, in the persistent mode, every one after it). For N = 1, 2, ... until
// the calls run without a failure injected, each call must return a status
// (never terminate the host), a failure must say what it can (the error
// document or NULL, the last error or the static "out of memory"), and the
// database must work afterwards.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <regex>
#include <string>

#include "callmem/callmem.h"
#include "callmem/json.h"
#include "temp_dir.hpp"

// ---- allocation failure injection ------------------------------------------

// The hooks run before AddressSanitizer has mapped its shadow memory (the
// loader allocates too): they are not instrumented.
#define NOT_INSTRUMENTED __attribute__((no_sanitize("address")))

namespace {

bool armed = false;
bool persistent = false;
long count = 0;    // allocations since arming
long fail_at = 0;  // the first to fail
long failures = 0;

NOT_INSTRUMENTED bool inject() {
  if (!armed) return false;
  ++count;
  if (count == fail_at || (persistent && count > fail_at)) {
    ++failures;
    return true;
  }
  return false;
}

}  // namespace

// The allocator underneath: AddressSanitizer's when it is on, else glibc's.
#if defined(__SANITIZE_ADDRESS__)
#define REAL(name) __interceptor_##name
#else
#define REAL(name) __libc_##name
#endif

extern "C" {
void* REAL(malloc)(std::size_t);
void* REAL(calloc)(std::size_t, std::size_t);
void* REAL(realloc)(void*, std::size_t);

NOT_INSTRUMENTED void* malloc(std::size_t n) {
  if (inject()) {
    errno = ENOMEM;
    return nullptr;
  }
  return REAL(malloc)(n);
}

NOT_INSTRUMENTED void* calloc(std::size_t k, std::size_t n) {
  if (inject()) {
    errno = ENOMEM;
    return nullptr;
  }
  return REAL(calloc)(k, n);
}

NOT_INSTRUMENTED void* realloc(void* p, std::size_t n) {
  if (inject()) {
    errno = ENOMEM;
    return nullptr;
  }
  return REAL(realloc)(p, n);
}
}

void* operator new(std::size_t n) {
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

// ---- the test ---------------------------------------------------------------

namespace {

// What one call answered, captured without allocating.
struct Answer {
  int rc = 0;
  char* out = nullptr;
  char last_error[256] = {};
};

void capture(Answer& a, int rc) {
  a.rc = rc;
  std::strncpy(a.last_error, callmem_last_error(), sizeof a.last_error - 1);
}

bool is_status(int rc) { return rc <= CALLMEM_OK && rc >= CALLMEM_ESTORE; }

// A failed call says what it can: its document when one could be made, and
// its message or the static "out of memory".
void check_answer(const Answer& a, const std::string& what, long n, const char* expected_field) {
  CAPTURE(what);
  CAPTURE(n);
  CAPTURE(a.rc);
  CAPTURE(std::string(a.last_error));
  REQUIRE(is_status(a.rc));
  if (a.rc == CALLMEM_OK) {
    CHECK(a.last_error[0] == 0);
    if (expected_field) CHECK((a.out && std::strstr(a.out, expected_field)));
    return;
  }
  CHECK(a.last_error[0] != 0);
  if (a.out) CHECK(std::strncmp(a.out, "{\"error\":", 9) == 0);
}

// A valid call can fail only for want of memory.
void check_out_of_memory(const Answer& a, const std::string& what, long n) {
  CAPTURE(what);
  CAPTURE(n);
  CAPTURE(std::string(a.last_error));
  if (a.rc == CALLMEM_OK) return;
  CHECK(a.rc == CALLMEM_ERROR);
  CHECK(std::strcmp(a.last_error, "out of memory") == 0);
  if (a.out)
    CHECK(std::strcmp(a.out, "{\"error\":\"Internal Server Error\",\"message\":\"out of memory\"}") == 0);
}

// The count of one operation in a usage report.
long counted(const char* usage, const std::string& operation) {
  const std::regex row("\\{\"day\":\"[^\"]*\",\"operation\":\"" + operation + "\",\"count\":([0-9]+)");
  long total = 0;
  const std::string text = usage ? usage : "";
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it)
    total += std::stol((*it)[1]);
  return total;
}

// Database files on tmpfs when there is one: each open of a new file syncs it.
void use_tmpfs() {
  if (access("/dev/shm", W_OK) == 0) setenv("TMPDIR", "/dev/shm", 1);
}

std::string start_request(long n) {
  return "{\"call_id\": \"c" + std::to_string(n) +
         "\", \"identity_hints\": {\"ani\": \"+14155550123\"}, \"telco\": {\"line_type\": \"mobile\"}}";
}

std::string end_request(long n) {
  return "{\"call_id\": \"c" + std::to_string(n) + "\", \"intent\": \"refund\", \"variables\": {\"k" +
         std::to_string(n % 50) + "\": \"v\"}}";
}

// Arms the injection at n; runs f; answers whether a failure was injected.
template <class F>
bool with_failure_at(long n, bool keep_failing, F&& f) {
  count = 0;
  failures = 0;
  fail_at = n;
  persistent = keep_failing;
  armed = true;
  f();
  armed = false;
  return failures > 0;
}

constexpr long kMaxN = 200000;  // far above what a start and an end allocate

}  // namespace

TEST_CASE("out of memory: a start, an end and a bad request answer a status at every allocation") {
  use_tmpfs();
  for (const bool keep_failing : {false, true}) {
    CAPTURE(keep_failing);
    TempDir dir;
    const std::string config = "{\"path\": \"" + dir.file("calls.db") + "\"}";
    callmem_db* db = nullptr;
    REQUIRE(callmem_open(&db, config.c_str()) == CALLMEM_OK);
    long n = 1;
    for (; n < kMaxN; ++n) {
      const std::string start = start_request(n), end = end_request(n);
      Answer s, e, bad;
      const bool injected = with_failure_at(n, keep_failing, [&] {
        capture(s, callmem_call_start(db, "acme", start.c_str(), &s.out));
        capture(e, callmem_call_end(db, "acme", end.c_str(), &e.out));
        capture(bad, callmem_call_start(db, "acme", "{\"call_id\": 5}", &bad.out));
      });
      check_answer(s, "start", n, "\"customer_ref\"");
      check_answer(e, "end", n, "\"customer_ref\"");
      check_answer(bad, "bad start", n, nullptr);
      check_out_of_memory(s, "start", n);
      if (!(s.rc != CALLMEM_OK && e.rc == CALLMEM_ENOTFOUND))
        check_out_of_memory(e, "end", n);  // no start, no call
      // The bad request is refused as such, with its document or without.
      if (bad.rc == CALLMEM_EINVALID) {
        if (bad.out) CHECK(std::strstr(bad.out, "\"path\":[\"call_id\"]"));
      } else {
        check_out_of_memory(bad, "bad start", n);
      }
      for (char* out : {s.out, e.out, bad.out}) callmem_free(out);
      // The database works: the same calls again (a replay when they were saved).
      Answer s2, e2;
      capture(s2, callmem_call_start(db, "acme", start.c_str(), &s2.out));
      capture(e2, callmem_call_end(db, "acme", end.c_str(), &e2.out));
      check_answer(s2, "start again", n, "\"customer_ref\"");
      check_answer(e2, "end again", n, "\"customer_ref\"");
      CHECK(s2.rc == CALLMEM_OK);
      CHECK(e2.rc == CALLMEM_OK);
      callmem_free(s2.out);
      callmem_free(e2.out);
      if (!injected) break;
    }
    CHECK(n < kMaxN);
    // Nothing partial was written: each call was counted once, by the run that saved it.
    char* usage = nullptr;
    REQUIRE(callmem_usage(db, "acme", nullptr, &usage) == CALLMEM_OK);
    CHECK(counted(usage, "start_new") + counted(usage, "start_returning") == n);
    CHECK(counted(usage, "end") == n);
    callmem_free(usage);
    MESSAGE("a start, an end and a bad start: "
            << n - 1 << " allocations, each failed in turn"
            << std::string(keep_failing ? " with every one after it" : ""));
    callmem_close(db);
  }
}

TEST_CASE("out of memory: opening (migrating) a new database and closing it answer a status at every one") {
  use_tmpfs();
  for (const bool keep_failing : {false, true}) {
    CAPTURE(keep_failing);
    TempDir dir;
    long n = 1;
    for (; n < kMaxN; ++n) {
      const std::string file = dir.file("open" + std::to_string(n) + ".db");
      const std::string config = "{\"path\": \"" + file + "\"}";
      callmem_db* db = nullptr;
      Answer open;
      const bool injected = with_failure_at(n, keep_failing, [&] {
        capture(open, callmem_open(&db, config.c_str()));
        callmem_close(db);
      });
      check_answer(open, "open", n, nullptr);
      check_out_of_memory(open, "open", n);
      if (open.rc != CALLMEM_OK) CHECK(db == nullptr);
      // The file opens and works, whatever the failed open left.
      callmem_db* again = nullptr;
      REQUIRE(callmem_open(&again, config.c_str()) == CALLMEM_OK);
      char* out = nullptr;
      CHECK(callmem_call_start(again, "acme", start_request(n).c_str(), &out) == CALLMEM_OK);
      callmem_free(out);
      callmem_close(again);
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((file + suffix).c_str());
      if (!injected) break;
    }
    CHECK(n < kMaxN);
    MESSAGE("open and close: " << n - 1 << " allocations, each failed in turn"
                               << std::string(keep_failing ? " with every one after it" : ""));
  }
}

TEST_CASE("out of memory: the JSON reader parses and writes, or answers out of memory, at every allocation") {
  const char* text =
      R"({"call_id": "c1", "customer_ref": "0b1c", "identity": {"confidence": 0.97, "evidence": [{"signal": "ani",)"
      R"( "bits": 8.5}, {"signal": "recency", "bits": 1}]}, "variables": {"name": {"value": "Ann", "n": 12345678901}}})";
  for (const bool keep_failing : {false, true}) {
    CAPTURE(keep_failing);
    long n = 1;
    for (; n < kMaxN; ++n) {
      callmem_json* doc = nullptr;
      char* written = nullptr;
      Answer parse, write;
      const bool injected = with_failure_at(n, keep_failing, [&] {
        capture(parse, callmem_json_parse(&doc, text));
        if (doc) capture(write, callmem_json_write(callmem_json_root(doc), &written));
        callmem_json_free(doc);
      });
      CAPTURE(n);
      check_out_of_memory(parse, "parse", n);
      if (parse.rc != CALLMEM_OK) CHECK(doc == nullptr);
      if (parse.rc == CALLMEM_OK) {
        check_out_of_memory(write, "write", n);
        if (write.rc == CALLMEM_OK) CHECK(std::strstr(written, "\"n\":12345678901"));
        if (write.rc != CALLMEM_OK) CHECK(written == nullptr);
      }
      callmem_free(written);
      if (!injected) break;
    }
    CHECK(n < kMaxN);
    MESSAGE("parse and write: " << n - 1 << " allocations, each failed in turn"
                                << std::string(keep_failing ? " with every one after it" : ""));
  }
}
