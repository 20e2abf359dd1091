// Prepaid credit metering: prices, grants and the usage report.
#ifndef CALLMEM_PUBLIC_BILLING_HPP
#define CALLMEM_PUBLIC_BILLING_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "callmem/enums.hpp"
#include "callmem/values.hpp"

namespace callmem {

struct Prices {
  std::int64_t start_new = 1;
  std::int64_t start_returning = 0;
  std::int64_t end = 0;
};

struct CreditGrant {
  std::int64_t amount = 0;
  std::string idempotency_key;
};

struct UsageRequest {
  std::optional<Millis> from;  // not given: the beginning
  std::optional<Millis> to;    // not given: now
};

struct UsageRow {
  std::string day;  // YYYY-MM-DD (UTC)
  UsageOperation operation = UsageOperation::start_new;
  std::int64_t count = 0;
  std::int64_t credits = 0;
};

struct UsageReport {
  std::int64_t balance = 0;
  std::vector<UsageRow> days;
};

}  // namespace callmem

#endif
