// A PostgreSQL write transaction's advisory locks (store/postgres/locks.hpp).
#include "store/postgres/locks.hpp"

#include <algorithm>
#include <utility>

namespace callmem::postgres {

// No tenant id holds it (tenants::check), so that no fine key is a tenant's.
constexpr char kSep = '\x1f';

Locks::Locks(const PgOptions& o, const std::string& tenant, bool write)
    : write_(write),
      finely_(o.lock == PgLock::fine),
      tenant_(tenant),
      tenant_key_(o.schema + ":" + tenant),
      prefix_(tenant_key_ + kSep) {}

std::string Locks::identifier(const Identifier& id) const {
  return prefix_ + "i" + id.type + kSep + id.key + kSep + id.value;
}

void Locks::decide(Batch& b, bool fine) {
  if (mode_ != Mode::undecided) return;
  mode_ = fine && finely_ ? Mode::fine : Mode::whole;
  b.send(mode_ == Mode::fine ? kLockShared : kLock, {tenant_key_});
}

void Locks::prefetch(Batch& b, const Prefetch& p) {
  if (!write_) return;
  decide(b, true);
  if (mode_ != Mode::fine) return;
  // First the call and the identifiers, whose links decide who the caller
  // is; then, reading the links once those are held, the customers.
  std::vector<std::string> first;
  if (!p.call_id.empty()) first.push_back(call(p.call_id));
  for (const Identifier& id : p.ids) first.push_back(identifier(id));
  keys(b, std::move(first));
  const std::vector<std::string> arrays = arrays_of(p.ids);
  b.send(kLockCustomers,
         {tenant_, arrays[0], arrays[1], arrays[2], p.call_id, array_of(p.refs), prefix_ + "c"},
         rows([this](auto&& c) { held_.insert(customer(c.text())); }));
}

void Locks::prefetch_call(Batch& b, const std::string& call_id) {
  if (!write_) return;
  decide(b, true);
  keys(b, {call(call_id)});
}

void Locks::keys(Batch& b, std::vector<std::string> keys) {
  if (!write_) return;
  decide(b, false);
  if (mode_ != Mode::fine) return;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  keys.erase(std::remove_if(keys.begin(), keys.end(), [&](const std::string& k) { return held_.count(k); }),
             keys.end());
  if (keys.empty()) return;
  held_.insert(keys.begin(), keys.end());
  b.send(kLockKeys, {array_of(keys)});
}

void Locks::whole(Batch& b) {
  if (!write_) return;
  if (mode_ == Mode::fine) {
    // Held shared: waits for the other fine writers (no operation of the
    // engine's does this: each begins as what it is).
    mode_ = Mode::whole;
    b.send(kLock, {tenant_key_});
  }
  decide(b, false);
}

std::vector<std::string> Locks::missing(const std::set<std::string>& refs) const {
  std::vector<std::string> out;
  if (mode_ != Mode::fine) return out;
  for (const std::string& r : refs)
    if (!held_.count(customer(r))) out.push_back(r);
  return out;
}

}  // namespace callmem::postgres
