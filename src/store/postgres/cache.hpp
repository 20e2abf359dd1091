// A PostgreSQL transaction's read cache: what prefetch() reads in one round
// trip (fill), as stored (expired rows too: reads filter by their own `now`),
// kept until the transaction writes what it covers. Each read answers from
// it as the server would, when it can (an Answer), else nullopt.
#ifndef CALLMEM_STORE_POSTGRES_CACHE_HPP
#define CALLMEM_STORE_POSTGRES_CACHE_HPP

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/postgres/batch.hpp"
#include "store/store.hpp"

namespace callmem::postgres {

// What the cache answers for a read; nullopt when it cannot.
template <typename T>
using Answer = std::optional<T>;

// What is known of one customer.
struct RefCache {
  bool have_customer = false, have_links = false, have_intents = false, have_variables = false;
  std::optional<CustomerRow> customer;
  std::vector<LinkRow> links;
  std::vector<IntentRow> intents;
  std::vector<VariableRow> variables;
};

// Of one transaction, and so of its one tenant.
struct Cache {
  bool have_call = false;
  std::string call_id;
  std::optional<CallRow> call;
  bool have_tenant = false;
  std::optional<TenantRow> tenant_row;
  bool have_find = false;
  std::vector<Identifier> find_ids;
  std::vector<LinkRow> find_rows;
  std::map<std::string, std::optional<AliasRow>> aliases;
  std::map<std::string, RefCache> refs;
  std::set<std::string> about;  // the customers the last fill was about

  void clear() noexcept { *this = Cache(); }
  RefCache* ref_of(const std::string& r) {
    auto it = refs.find(r);
    return it == refs.end() ? nullptr : &it->second;
  }
  // Reads, in one batch (after the locks queued before it), what `p` is
  // about: the call, the tenant's row, the links of the identifiers, and
  // everything of the customers they, the call and the refs name (`about`).
  void fill(Batch& b, const std::string& tenant, const Prefetch& p);
  // The same for the call and the tenant's row alone.
  void fill_call(Batch& b, const std::string& tenant, const std::string& call_id);

  Answer<std::optional<CustomerRow>> customer_get(const std::string& ref, Millis now);
  Answer<std::vector<LinkRow>> links_find(const std::vector<Identifier>& ids, Millis now) const;
  Answer<std::vector<LinkRow>> links_of(const std::string& ref, Millis now);
  Answer<std::vector<IntentRow>> intents_of(const std::string& ref, Millis now, bool open_only);
  Answer<std::optional<IntentRow>> intent_get(const std::string& ref, const std::string& intent);
  Answer<std::vector<VariableRow>> variables_of(const std::string& ref, Millis now);
  Answer<std::optional<std::string>> alias_target(const std::string& alias_ref, Millis now) const;
};

// The links of `ids` among rows, unexpired at `now`, in the order of ids (each
// identifier once), then by customer_ref.
std::vector<LinkRow> links_matching(const std::vector<LinkRow>& rows, const std::vector<Identifier>& ids,
                                    Millis now);

}  // namespace callmem::postgres

#endif
