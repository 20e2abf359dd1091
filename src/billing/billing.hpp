// Prepaid credits: what each operation costs (the meter), grants of credits,
// and the usage report.
#ifndef CALLMEM_BILLING_BILLING_HPP
#define CALLMEM_BILLING_BILLING_HPP

#include <cstdint>
#include <string>

#include "callmem/types.hpp"
#include "context.hpp"
#include "store/store.hpp"

namespace callmem::billing {

// Takes the price of `op` from
// row.balance when billing is on, and from the stored balance
// (Transaction::balance_debit); throws insufficient_credits when the balance
// is short. Writes usage either way.
// Does nothing when the context is not metered (an import of history).
void meter(const Context& c, TenantRow& row, UsageOperation op, Millis at);

// Checks a grant before any transaction: a positive amount, a key of 1-128 characters.
void check(const CreditGrant& grant);
// Adds the credits once per idempotency key: a retry adds nothing and writes
// nothing (`wrote` false); the same key with another amount is a conflict.
// The balance.
std::int64_t grant(const Context& c, const CreditGrant& grant, bool& wrote);

// The balance, and usage by day from `from` to `to`.
UsageReport usage(const Context& c, Millis from, Millis to);

}  // namespace callmem::billing

#endif
