// The PostgreSQL store's transactions: each Transaction method as the
// statements it queues, and what it reads from the cache
// (store/postgres/transaction.hpp).
#include "store/postgres/transaction.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json/codec.hpp"
#include "store/postgres/batch.hpp"
#include "store/postgres/cache.hpp"
#include "store/postgres/operators.hpp"

namespace callmem::postgres {
namespace {

class PgTransaction final : public Transaction {
 public:
  PgTransaction(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write)
      : batch_(std::move(pool), std::move(conn), write) {}
  ~PgTransaction() override {
    if (!batch_.ended()) batch_.abort();
  }

  void commit() override {
    guarded([&] { batch_.commit(); });
  }

  void prefetch(const Prefetch& p) override {
    guarded([&] { cache_.fill(batch_, p); });
  }

  // ---- tenants

  std::optional<TenantRow> tenant_get(const std::string& tenant) override {
    if (cache_.covers(tenant) && cache_.have_tenant) return cache_.tenant_row;
    return query<std::optional<TenantRow>>(tenant, kTenantGet, params(tenant), [this](auto& out, auto&& c) {
      out = read_tenant(c, batch_.connection().weights);
    });
  }

  void tenant_put(const std::string& tenant, const TenantRow& row) override {
    write(tenant, kTenantPut, [&](Params& b) {
      cache_.have_tenant = false;
      bind_tenant(b, tenant, row, json::write_identity_weights(row.settings.identity_weights));
    });
  }

  void tenant_shift_expiry(const std::string& tenant, Millis delta) override {
    guarded([&] {
      wrote(tenant);
      cache_.clear();
      for (Sql id : kShiftExpiry) batch_.send(id, params(tenant, delta));
    });
  }

  // ---- customers

  std::optional<CustomerRow> customer_get(const std::string& tenant, const std::string& ref,
                                          Millis now) override {
    if (auto cached = cache_.customer_get(tenant, ref, now)) return std::move(*cached);
    return query<std::optional<CustomerRow>>(
        tenant, kCustomerGet, params(tenant, ref, now),
        [&](auto& found, auto&& c) { found = read_row(c, &CustomerRow::customer_ref, ref); });
  }

  void customer_insert(const std::string& tenant, const CustomerRow& row) override {
    write(tenant, kCustomerInsert, [&](Params& b) {
      forget(tenant, row.customer_ref, &RefCache::have_customer);
      bind_row(b, row, tenant, row.customer_ref);
    });
  }

  void customer_touch(const std::string& tenant, const std::string& ref, Millis last_seen,
                      Millis expires_at) override {
    write(tenant, kCustomerTouch, [&](Params& b) {
      forget(tenant, ref, &RefCache::have_customer);
      put_all(b, tenant, ref, last_seen, expires_at);
    });
  }

  void customer_keep(const std::string& tenant, const std::string& ref, Millis until, Millis ttl,
                     Millis now) override {
    guarded([&] {
      forget(tenant, ref, &RefCache::have_customer);
      forget(tenant, ref, &RefCache::have_links);
      cache_.have_find = false;
      cache_.aliases.clear();
      for (Sql id : kKeep)
        batch_.send(
            id, id == kKeepCustomer ? params(tenant, ref, until, ttl) : params(tenant, ref, until, ttl, now));
    });
  }

  Removed customer_delete(const std::string& tenant, const std::string& ref) override {
    return guarded([&] {
      wrote(tenant);
      cache_.clear();
      Removed r;
      std::int64_t ignored = 0;
      for (const Deletion& d : kCustomerDeletions)
        batch_.send(d.id, params(tenant, ref), changed(d.count ? r.*d.count : ignored));
      batch_.flush(true);
      return r;
    });
  }

  bool customer_remove(const std::string& tenant, const std::string& ref) override {
    return removed(tenant, kCustomerRemove, params(tenant, ref),
                   [&] { forget(tenant, ref, &RefCache::have_customer); });
  }

  // ---- identity links

  std::vector<LinkRow> links_find(const std::string& tenant, const std::vector<Identifier>& ids,
                                  Millis now) override {
    if (auto cached = cache_.links_find(tenant, ids, now)) return std::move(*cached);
    std::vector<std::string> p = arrays_of(ids);
    p.insert(p.begin(), tenant);
    std::vector<LinkRow> found =
        query<std::vector<LinkRow>>(tenant, kLinksFind, std::move(p), [](auto& out, auto&& c) {
          LinkRow l;
          read_fields(c, std::tuple_cat(fields(l.id), std::tie(l.customer_ref), fields(l)));
          out.push_back(std::move(l));
        });
    return links_matching(found, ids, now);
  }

  std::vector<LinkRow> links_of(const std::string& tenant, const std::string& ref, Millis now) override {
    if (auto cached = cache_.links_of(tenant, ref, now)) return std::move(*cached);
    return query<std::vector<LinkRow>>(tenant, kLinksOf, params(tenant, ref, now),
                                       [&](auto& found, auto&& c) {
                                         LinkRow l;
                                         read_fields(c, std::tuple_cat(fields(l.id), fields(l)));
                                         l.customer_ref = ref;
                                         found.push_back(std::move(l));
                                       });
  }

  void link_upsert(const std::string& tenant, const LinkRow& row) override {
    write(tenant, kLinkUpsert, [&](Params& b) {
      forget(tenant, row.customer_ref, &RefCache::have_links);
      cache_.have_find = false;
      bind_link(b, tenant, row);
    });
  }

  bool link_delete(const std::string& tenant, const Identifier& id, const std::string& ref) override {
    return removed(tenant, kLinkDelete, params(tenant, id.type, id.key, id.value, ref), [&] {
      forget(tenant, ref, &RefCache::have_links);
      cache_.have_find = false;
    });
  }

  // ---- calls

  std::optional<CallRow> call_get(const std::string& tenant, const std::string& call_id) override {
    if (cache_.covers(tenant) && cache_.have_call && cache_.call_id == call_id) return cache_.call;
    return query<std::optional<CallRow>>(tenant, kCallGet, params(tenant, call_id),
                                         [](auto& out, auto&& c) { out = read_row<CallRow>(c); });
  }

  void call_insert(const std::string& tenant, const CallRow& row) override {
    call_write(tenant, kCallInsert, [&](Params& b) { bind_row(b, row, tenant); });
  }

  void call_end(const std::string& tenant, const CallRow& row) override {
    call_write(tenant, kCallEnd, [&](Params& b) { bind_call_end(b, tenant, row); });
  }

  void call_move(const std::string& tenant, const std::string& call_id, const std::string& ref,
                 bool created_customer) override {
    call_write(tenant, kCallMove, [&](Params& b) { put_all(b, tenant, call_id, ref, created_customer); });
  }

  void call_feedback(const std::string& tenant, const CallRow& row) override {
    call_write(tenant, kCallFeedback, [&](Params& b) { bind_call_feedback(b, tenant, row); });
  }

  std::vector<CallRow> calls_of(const std::string& tenant, const std::string& ref, Millis now,
                                const std::optional<CallCursor>& after, std::int64_t limit) override {
    if (limit <= 0) return guarded([] { return std::vector<CallRow>(); });
    auto read = [](auto& out, auto&& c) { out.push_back(read_row<CallRow>(c)); };
    if (!after) return query<std::vector<CallRow>>(tenant, kCallsOf, params(tenant, ref, now, limit), read);
    return query<std::vector<CallRow>>(
        tenant, kCallsOfAfter, params(tenant, ref, now, limit, after->started_at, after->call_id), read);
  }

  // ---- intents

  std::vector<IntentRow> intents_of(const std::string& tenant, const std::string& ref, Millis now,
                                    bool open_only) override {
    if (auto cached = cache_.intents_of(tenant, ref, now, open_only)) return std::move(*cached);
    return query<std::vector<IntentRow>>(tenant, kIntentsOf,
                                         {tenant, ref, text_of(now), open_only ? "1" : "0"},
                                         [](auto& found, auto&& c) { found.push_back(read_intent(c)); });
  }

  std::optional<IntentRow> intent_get(const std::string& tenant, const std::string& ref,
                                      const std::string& intent) override {
    if (auto cached = cache_.intent_get(tenant, ref, intent)) return std::move(*cached);
    return query<std::optional<IntentRow>>(
        tenant, kIntentGet, params(tenant, ref, intent),
        [&](auto& out, auto&& c) { out = read_row(c, &IntentRow::intent, intent); });
  }

  void intent_put(const std::string& tenant, const std::string& ref, const IntentRow& row) override {
    write(tenant, kIntentPut, [&](Params& b) {
      forget(tenant, ref, &RefCache::have_intents);
      bind_row(b, row, tenant, ref, row.intent);
    });
  }

  bool intent_delete(const std::string& tenant, const std::string& ref, const std::string& intent) override {
    return removed(tenant, kIntentDelete, params(tenant, ref, intent),
                   [&] { forget(tenant, ref, &RefCache::have_intents); });
  }

  // ---- variables

  std::vector<VariableRow> variables_of(const std::string& tenant, const std::string& ref,
                                        Millis now) override {
    if (auto cached = cache_.variables_of(tenant, ref, now)) return std::move(*cached);
    return query<std::vector<VariableRow>>(
        tenant, kVariablesOf, params(tenant, ref, now),
        [](auto& found, auto&& c) { found.push_back(read_row<VariableRow>(c)); });
  }

  void variable_put(const std::string& tenant, const std::string& ref, const VariableRow& row) override {
    write(tenant, kVariablePut, [&](Params& b) {
      forget(tenant, ref, &RefCache::have_variables);
      bind_row(b, row, tenant, ref);
    });
  }

  bool variable_delete(const std::string& tenant, const std::string& ref, const std::string& name,
                       Millis now) override {
    return guarded([&] {
      forget(tenant, ref, &RefCache::have_variables);
      bool unexpired = false;
      batch_.send(kVariableDelete, params(tenant, ref, name, now),
                  rows([&](auto&& c) { unexpired = unexpired || c.boolean(); }));
      batch_.flush(true);
      return unexpired;
    });
  }

  // ---- aliases and merges

  std::optional<std::string> alias_target(const std::string& tenant, const std::string& alias_ref,
                                          Millis now) override {
    if (auto cached = cache_.alias_target(tenant, alias_ref, now)) return std::move(*cached);
    return query<std::optional<std::string>>(tenant, kAliasGet, params(tenant, alias_ref, now),
                                             [](auto& found, auto&& c) { found = c.text(); });
  }

  void alias_put(const std::string& tenant, const AliasRow& row) override {
    write(tenant, kAliasPut, [&](Params& b) {
      cache_.aliases.clear();
      bind_row(b, row, tenant);
    });
  }

  bool alias_delete(const std::string& tenant, const std::string& alias_ref) override {
    return removed(tenant, kAliasDelete, params(tenant, alias_ref), [&] { cache_.aliases.clear(); });
  }

  std::vector<std::string> aliases_retarget(const std::string& tenant, const std::string& from,
                                            const std::string& to) override {
    return guarded([&] {
      wrote(tenant);
      cache_.aliases.clear();
      std::vector<std::string> out;
      batch_.send(kAliasesRetarget, params(tenant, from, to),
                  rows([&](auto&& c) { out.push_back(c.text()); }));
      batch_.flush(true);
      std::sort(out.begin(), out.end());
      return out;
    });
  }

  // merge_rows: one row per thing moved or replaced (store/merge_rows.hpp).
  void merge_insert(const std::string& tenant, const MergeLog& log) override {
    guarded([&] {
      wrote(tenant);
      Params m;
      bind_row(m, log, tenant, log.merge_id);
      batch_.send(kMergeInsert, std::move(m.values));
      std::int64_t seq = 0;
      for (const MergeRow& r : merge_rows_of(log)) {
        Params p;
        bind_row(p, r, tenant, log.merge_id, seq++);
        batch_.send(kMergeRowInsert, std::move(p.values));
      }
    });
  }

  std::optional<MergeLog> merge_get(const std::string& tenant, const std::string& merge_id) override {
    return guarded([&]() -> std::optional<MergeLog> {
      batch_.lock(tenant);
      std::optional<MergeLog> log;
      std::vector<MergeRow> merge_rows;
      batch_.send(kMergeGet, params(tenant, merge_id), rows([&](auto&& c) { log = read_row<MergeLog>(c); }));
      batch_.send(kMergeRowsGet, params(tenant, merge_id),
                  rows([&](auto&& c) { merge_rows.push_back(read_row<MergeRow>(c)); }));
      batch_.flush(true);
      if (!log) return std::nullopt;
      log->merge_id = merge_id;
      log->alias_customer.customer_ref = log->alias_ref;
      for (const MergeRow& r : merge_rows) add_merge_row(*log, r);
      return log;
    });
  }

  void merge_undone(const std::string& tenant, const std::string& merge_id, Millis at,
                    const std::string& response) override {
    write(tenant, kMergeUndone, [&](Params& b) { put_all(b, tenant, merge_id, at, response); });
  }

  // ---- feedback outcomes

  void feedback_stat_add(const std::string& tenant, const std::string& signal, const std::string& outcome,
                         double predicted) override {
    write(tenant, kFeedbackStatAdd, [&](Params& b) {
      b.text(tenant)
          .text(signal)
          .text(outcome == "confirmed" ? "1" : "0")
          .text(outcome == "rejected" ? "1" : "0");
      b.real(predicted);
    });
  }

  std::vector<FeedbackStat> feedback_stats(const std::string& tenant) override {
    return query<std::vector<FeedbackStat>>(tenant, kFeedbackStats, params(tenant), [](auto& out, auto&& c) {
      out.push_back(read_row<FeedbackStat>(c));
    });
  }

  // ---- API keys (across tenants: the reads take no tenant's lock)

  void api_key_insert(const ApiKeyRow& row) override {
    write(row.tenant, kApiKeyInsert, [&](Params& b) { bind_row(b, row); });
  }

  std::optional<ApiKeyRow> api_key_by_hash(const std::string& key_hash) override {
    return query<std::optional<ApiKeyRow>>({}, kApiKeyByHash, params(key_hash),
                                           [](auto& out, auto&& c) { out = read_row<ApiKeyRow>(c); });
  }

  std::optional<ApiKeyRow> api_key_by_id(const std::string& key_id) override {
    return query<std::optional<ApiKeyRow>>({}, kApiKeyById, params(key_id),
                                           [](auto& out, auto&& c) { out = read_row<ApiKeyRow>(c); });
  }

  std::vector<ApiKeyRow> api_keys_of(const std::string& tenant) override {
    return query<std::vector<ApiKeyRow>>({}, kApiKeysOf, params(tenant),
                                         [](auto& out, auto&& c) { out.push_back(read_row<ApiKeyRow>(c)); });
  }

  void api_key_revoke(const std::string& tenant, const std::string& key_id, Millis at) override {
    write(tenant, kApiKeyRevoke, [&](Params& b) { put_all(b, tenant, key_id, at); });
  }

  // ---- credits and usage

  std::optional<std::int64_t> grant_get(const std::string& tenant, const std::string& key) override {
    return query<std::optional<std::int64_t>>(tenant, kGrantGet, params(tenant, key),
                                              [](auto& out, auto&& c) { out = c.i64(); });
  }

  void grant_insert(const std::string& tenant, const std::string& key, std::int64_t amount,
                    Millis at) override {
    write(tenant, kGrantInsert, [&](Params& b) { put_all(b, tenant, key, amount, at); });
  }

  void usage_add(const std::string& tenant, const std::string& day, const std::string& operation,
                 std::int64_t credits) override {
    write(tenant, kUsageAdd, [&](Params& b) { put_all(b, tenant, day, operation, credits); });
  }

  std::vector<UsageRow> usage_between(const std::string& tenant, const std::string& from_day,
                                      const std::string& to_day) override {
    return query<std::vector<UsageRow>>(tenant, kUsageBetween, params(tenant, from_day, to_day),
                                        [](auto& out, auto&& c) { out.push_back(read_row<UsageRow>(c)); });
  }

  // ---- purge

  // Takes no tenant's lock: see kPurgeCustomers.
  Removed purge(Millis now, std::int64_t limit) override {
    return guarded([&] {
      cache_.clear();
      Removed r;
      std::int64_t left = limit;
      const std::string prefix = batch_.options().schema + ":";
      for (const Deletion& d : kPurges) {
        if (left <= 0) break;
        std::int64_t& count = r.*d.count;
        if (d.id == kPurgeCustomers)
          batch_.send(d.id, params(now, left, prefix), changed(count));
        else if (d.id == kPurgeMerges)  // counts the logs, not their rows
          batch_.send(d.id, params(now, left), rows([&](auto&& c) { count = c.i64(); }));
        else
          batch_.send(d.id, params(now, left), changed(count));
        batch_.flush(true);
        left -= count;
      }
      return r;
    });
  }

  // ---- operators (callmem tenant list, stats, check)

  std::vector<TenantCounts> tenant_counts(Millis now) override {
    return guarded([&] { return postgres::tenant_counts(batch_, now); });
  }

  DatabaseInfo database_info() override {
    return guarded([&] { return postgres::database_info(batch_); });
  }

  std::vector<std::string> integrity_check() override {
    return guarded([&] { return postgres::integrity_check(batch_); });
  }

 private:
  template <typename F>
  auto guarded(F&& body) -> decltype(body()) {
    if (batch_.ended()) throw Error(Status::store, "postgres: the transaction has already ended");
    try {
      return body();
    } catch (...) {
      cache_.clear();
      batch_.abort();
      throw;
    }
  }

  // Before a write: the lock, and what the cache knows of the tenant is
  // dropped when the write is about another tenant.
  void wrote(const std::string& tenant) {
    batch_.lock(tenant);
    if (cache_.active && cache_.tenant != tenant) cache_.clear();
  }
  // Before a write about one customer: what the cache holds of it goes.
  void forget(const std::string& tenant, const std::string& ref, bool RefCache::*what) {
    wrote(tenant);
    if (RefCache* c = cache_.ref_of(tenant, ref)) c->*what = false;
  }

  // Queues a write that returns nothing; `bind` tells the cache, and binds
  // its parameters.
  template <typename Bind>
  void write(const std::string& tenant, Sql id, Bind&& bind) {
    guarded([&] {
      wrote(tenant);
      Params p;
      bind(p);
      batch_.send(id, std::move(p.values));
    });
  }

  // A write to the call the cache may hold.
  template <typename Bind>
  void call_write(const std::string& tenant, Sql id, Bind&& bind) {
    write(tenant, id, [&](Params& b) {
      cache_.have_call = false;
      bind(b);
    });
  }

  // Sends a delete now (`tell` tells the cache first); whether it removed a row.
  template <typename Tell>
  bool removed(const std::string& tenant, Sql id, std::vector<std::string> p, Tell&& tell) {
    return guarded([&] {
      wrote(tenant);
      tell();
      std::int64_t n = 0;
      batch_.send(id, std::move(p), changed(n));
      batch_.flush(true);
      return n > 0;
    });
  }

  // Sends one read (after the tenant's lock; none for "") and answers what
  // `read` made of its rows.
  template <typename Out, typename Read>
  Out query(const std::string& tenant, Sql id, std::vector<std::string> p, Read&& read) {
    return guarded([&] {
      if (!tenant.empty()) batch_.lock(tenant);
      return batch_.read<Out>(id, std::move(p), read);
    });
  }

  Batch batch_;
  Cache cache_;
};

}  // namespace

std::unique_ptr<Transaction> begin_transaction(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write) {
  return std::make_unique<PgTransaction>(std::move(pool), std::move(conn), write);
}

}  // namespace callmem::postgres
