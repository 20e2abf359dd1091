#include "uuid.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <random>

namespace callmem {
namespace {

// Bumped in a forked child: a generator seeded before the fork would give
// the child the same refs as its parent and its siblings (a pre-forking
// server's workers would hand out one ref to different callers).
std::atomic<unsigned> fork_generation{0};
const int registered = pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); });

std::mt19937_64 seeded() {
  std::random_device rd;
  std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
  return std::mt19937_64(seq);
}

}  // namespace

std::string uuid_v4() {
  (void)registered;
  thread_local std::mt19937_64 gen = seeded();
  thread_local unsigned generation = fork_generation.load();
  if (generation != fork_generation.load(std::memory_order_relaxed)) {
    generation = fork_generation.load();
    gen = seeded();
  }
  std::uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  static const char kHex[] = "0123456789abcdef";
  std::string s(36, '-');
  int pos = 0;
  auto put = [&](std::uint64_t v, int nibbles_from, int count) {
    for (int i = 0; i < count; ++i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      s[pos++] = kHex[(v >> ((nibbles_from - 1 - i) * 4)) & 0xf];
    }
  };
  put(hi, 16, 16);
  put(lo, 16, 16);
  return s;
}

}  // namespace callmem
