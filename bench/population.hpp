// The benchmarks' population of customers, the same for every side that
// measures it (bench/README.md): customer i (0 <= i < N), deterministic from i:
//   - a mobile ANI "+1" + (2012000000 + 7 i), linked with line_type mobile;
//   - 40%: an external id crm_id = "CRM" + 8 digits, linked too;
//   - one past call (its own first call: created_customer, a new-caller start
//     response, an end response), started between 29 and 1 days ago;
//   - 30%: an open intent (1-3 attempts); 15%: a resolved one;
//   - variables name and order_id; 20% also a ~160-byte summary.
// Everything expires 30 days after that call, so all of it is live.
#ifndef CALLMEM_BENCH_POPULATION_HPP
#define CALLMEM_BENCH_POPULATION_HPP

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "time.hpp"

namespace bench {

using callmem::Millis;

inline const std::string kTenant = "acme";
inline constexpr Millis kTtl = 30 * callmem::kDay;  // the default tenant settings (never configured)

inline const std::array<const char*, 5> kIntents = {"refund_request", "billing_question", "address_change",
                                                    "technical_support", "cancel_subscription"};

Millis now_ms();
double seconds_since(std::chrono::steady_clock::time_point t0);
std::uint64_t splitmix(std::uint64_t x);
std::string json_str(const std::string& s);
// A count given on a command line: 1000, 100k, 1m; throws std::invalid_argument.
std::int64_t parse_count(const std::string& s);

std::string ani_of(std::int64_t i);
bool has_crm(std::int64_t i);
std::string crm_of(std::int64_t i);

struct Population {
  Millis base = 0;  // the first customer's call
  Millis span = 0;  // spread of the calls
};

// What customer i holds beyond its identifiers, as every side stores it.
struct CustomerData {
  Millis call_at = 0;       // its past call's start
  Millis call_end = 0;      // and end
  std::string open_intent;  // "" when none
  std::int64_t open_attempts = 0;
  std::string resolved_intent;                                 // "" when none
  std::vector<std::pair<std::string, std::string>> variables;  // name -> JSON text
};
CustomerData customer_data(std::int64_t i, std::int64_t n, const Population& pop);

// Writes N customers into a fresh callmem SQLite file through the library's
// own store (large transactions, sorted keys); returns the seconds it took.
double populate(const std::string& path, std::int64_t n, const Population& pop);

}  // namespace bench

#endif
