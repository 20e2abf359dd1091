// Small builders of typed requests shared by the tests.
#ifndef CALLMEM_TESTS_REQUESTS_HPP
#define CALLMEM_TESTS_REQUESTS_HPP

#include <string>

#include "callmem/types.hpp"

// A get of one customer by its ref.
inline callmem::GetRequest by_ref(const std::string& ref, std::int64_t history_limit = 20) {
  callmem::GetRequest g;
  g.who.customer_ref = ref;
  g.history_limit = history_limit;
  return g;
}

#endif
