// A PostgreSQL write transaction's advisory locks on one tenant
// (docs/storage.md, "Concurrency across nodes"). With PgLock::fine, a
// transaction that begins with a prefetch locks what it contends on: the
// tenant's lock shared, then the call's and the identifiers' (sorted), then
// the customers they lead to (sorted, chosen by the server once the former
// are held), and later any other call, identifier or customer before its
// first statement on it. Any other transaction, and every one with
// PgLock::tenant, takes the tenant's lock exclusively with its first
// statement: it waits for the fine writers in flight and holds new ones.
// All are transaction-scoped (pg_advisory_xact_lock*): COMMIT or ROLLBACK
// releases them.
#ifndef CALLMEM_STORE_POSTGRES_LOCKS_HPP
#define CALLMEM_STORE_POSTGRES_LOCKS_HPP

#include <set>
#include <string>
#include <vector>

#include "store/postgres/batch.hpp"
#include "store/store.hpp"

namespace callmem::postgres {

class Locks {
 public:
  Locks(const PgOptions& o, const std::string& tenant, bool write);

  // The keys, as texts the server hashes (hashtextextended): the tenant's is
  // "<schema>:<tenant>", as it always was (a node locking the tenant and
  // one locking finely exclude each other); the others follow it, after a
  // character no tenant id holds.
  std::string call(const std::string& call_id) const { return prefix_ + "k" + call_id; }
  std::string customer(const std::string& ref) const { return prefix_ + "c" + ref; }
  std::string identifier(const Identifier& id) const;

  // A prefetch's locks, queued before its reads: the first statement of
  // the transaction decides that it locks finely (PgLock::fine).
  void prefetch(Batch& b, const Prefetch& p);
  // The same for the call alone (Transaction::prefetch_call).
  void prefetch_call(Batch& b, const std::string& call_id);
  // Before a statement on these calls, identifiers or customers (keys of
  // the functions above): the keys not held yet, sorted, in a transaction
  // that locks finely; else the tenant's lock.
  void keys(Batch& b, std::vector<std::string> keys);
  // Before a statement on the tenant as a whole (its settings, grants,
  // expiry, merge logs): the tenant's lock, exclusive.
  void whole(Batch& b);
  // Of these customers, those this transaction does not hold (none but in a
  // transaction that locks finely).
  std::vector<std::string> missing(const std::set<std::string>& refs) const;

 private:
  enum class Mode { undecided, fine, whole };
  void decide(Batch& b, bool fine);

  const bool write_;
  const bool finely_;  // PgLock::fine
  const std::string tenant_, tenant_key_, prefix_;
  Mode mode_ = Mode::undecided;
  std::set<std::string> held_;
};

}  // namespace callmem::postgres

#endif
