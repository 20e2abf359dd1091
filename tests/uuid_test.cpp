// customer_refs and merge_ids: random version 4 UUIDs whose bits come from
// the kernel's CSPRNG (getrandom), never from a generator whose output a
// caller could predict from the refs it has seen.
#include "uuid.hpp"

#include <doctest/doctest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <regex>
#include <set>

#include "engine.hpp"
#include "json/codec.hpp"
#include "races.hpp"

using namespace callmem;

namespace {

// Makes getrandom(2) fail with ENOSYS in this process, as on a kernel older
// than 3.17. False when seccomp filters are not allowed here.
bool forbid_getrandom() {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getrandom, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0;
}

}  // namespace

TEST_CASE("uuid: 36 characters, version 4, variant 10, all different") {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string ref = uuid_v4();
    CHECK(std::regex_match(ref, shape));
    seen.insert(ref);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("uuid: the random bytes are read across short reads and EINTR; a failure is an error") {
  static int calls;
  static unsigned char next;
  calls = 0;
  next = 0;
  // Three bytes at a time (0, 1, 2, ...), and EINTR every other call.
  const RandomSource trickle = [](void* buf, std::size_t n, unsigned) -> ssize_t {
    if (++calls % 2 == 0) {
      errno = EINTR;
      return -1;
    }
    const std::size_t k = n < 3 ? n : 3;
    for (std::size_t i = 0; i < k; ++i) static_cast<unsigned char*>(buf)[i] = next++;
    return static_cast<ssize_t>(k);
  };
  unsigned char b[16] = {};
  random_bytes(b, sizeof b, trickle);
  for (int i = 0; i < 16; ++i) CHECK(b[i] == i);
  CHECK(calls == 11);

  const RandomSource missing = [](void*, std::size_t, unsigned) -> ssize_t {
    errno = ENOSYS;
    return -1;
  };
  try {
    random_bytes(b, sizeof b, missing);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.status() == Status::error);
    CHECK(std::string(e.what()) == std::string("getrandom failed: ") + std::strerror(ENOSYS));
  }
}

#if defined(__x86_64__)
TEST_CASE("uuid: without the kernel's random numbers, a new customer fails with an error instead") {
  const std::string result = run_processes(1, [](int) -> std::string {
    EngineOptions o;
    o.path = ":memory:";
    Engine mem{o};
    if (!forbid_getrandom()) return "no seccomp";
    try {
      return "ref " + json::read_start_response(
                          mem.start_call_json("acme", R"({"call_id": "c1", "ani": "+14155550111"})"))
                          .customer_ref;
    } catch (const Error& e) {
      return "status " + std::to_string(static_cast<int>(e.status())) + ": " + e.what();
    }
  });
  if (result == "no seccomp") {
    MESSAGE("seccomp filters are not allowed here: not tested");
    return;
  }
  CHECK(result.rfind("status -1: ", 0) == 0);
  CHECK(result.find("getrandom") != std::string::npos);
}
#endif
