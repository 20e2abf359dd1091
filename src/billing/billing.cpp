// Prepaid credits: the meter, grants and usage (billing/billing.hpp).
#include "billing/billing.hpp"

#include <fmt/format.h>

#include <limits>

#include "callmem/error.hpp"
#include "tenant.hpp"
#include "time.hpp"

namespace callmem::billing {

void meter(const Context& c, TenantRow& row, UsageOperation op, Millis at) {
  if (!c.metered) return;
  const std::string name(to_string(op));  // as the store keeps it
  std::int64_t price = 0;
  if (row.settings.billing_enabled) {
    price = op == UsageOperation::start_new         ? row.settings.prices.start_new
            : op == UsageOperation::start_returning ? row.settings.prices.start_returning
                                                    : row.settings.prices.end;
    if (price > 0) {
      if (row.balance < price)
        throw Error(
            Status::insufficient_credits,
            fmt::format("insufficient credits: {} needs {}, the balance is {}", name, price, row.balance));
      // One conditional statement, not the row written back: writers of
      // one tenant may run at once (docs/storage.md).
      row.balance -= price;
      c.tx.balance_debit(name, price);
    }
  }
  c.tx.usage_add(format_day(at), name, price);
}

void check(const CreditGrant& grant) {
  if (grant.amount < 1) throw invalid_field({"amount"}, "amount must be a positive integer");
  if (grant.idempotency_key.empty() || grant.idempotency_key.size() > 128)
    throw invalid_field({"idempotency_key"}, "idempotency_key must be 1-128 characters");
}

std::int64_t grant(const Context& c, const CreditGrant& grant, bool& wrote) {
  wrote = false;
  TenantRow row = tenants::row_of(c);
  if (auto earlier = c.tx.grant_get(grant.idempotency_key)) {
    if (*earlier != grant.amount)
      throw Error(Status::conflict, fmt::format("idempotency_key {} was already used for {} credits",
                                                grant.idempotency_key, *earlier));
    return row.balance;
  }
  if (row.balance > std::numeric_limits<std::int64_t>::max() - grant.amount)
    throw invalid_field({"amount"}, "the balance would overflow");
  row.balance += grant.amount;
  c.tx.grant_insert(grant.idempotency_key, grant.amount, c.now());
  c.tx.tenant_put(row);
  wrote = true;
  return row.balance;
}

UsageReport usage(const Context& c, Millis from, Millis to) {
  UsageReport r;
  r.balance = tenants::row_of(c).balance;
  r.days = c.tx.usage_between(format_day(from), format_day(to));
  return r;
}

}  // namespace callmem::billing
