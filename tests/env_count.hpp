// A count a long run of a test takes from the environment
// (CALLMEM_FAULT_STRIDE, CALLMEM_CRASH_KILLS): positive, else the default.
#ifndef CALLMEM_TESTS_ENV_COUNT_HPP
#define CALLMEM_TESTS_ENV_COUNT_HPP

#include <cstdlib>

inline long env_count(const char* name, long fallback) {
  const char* s = std::getenv(name);
  const long n = s ? std::atol(s) : fallback;
  return n > 0 ? n : fallback;
}

#endif
