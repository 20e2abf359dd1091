// The PostgreSQL store's transactions on one tenant: each Transaction method
// as the statements it queues, and what it reads from the cache
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
#include "store/postgres/locks.hpp"

namespace callmem::postgres {
namespace {

class PgTransaction final : public Transaction {
 public:
  PgTransaction(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write, std::string tenant)
      : batch_(std::move(pool), std::move(conn), write),
        tenant_(std::move(tenant)),
        locks_(batch_.options(), tenant_, write) {}
  ~PgTransaction() override {
    if (!batch_.ended()) batch_.abort();
  }

  const std::string& tenant() const override { return tenant_; }

  void commit() override {
    guarded([&] { batch_.commit(); });
  }

  // The locks, then the reads, in one round trip. A customer the reads
  // found that the locks did not cover (a merge or a start committed in
  // between) is locked, and everything read again, holding it.
  void prefetch(const Prefetch& p) override {
    guarded([&] {
      locks_.prefetch(batch_, p);
      cache_.fill(batch_, tenant_, p);
      for (int tries = 0;; ++tries) {
        const std::vector<std::string> missing = locks_.missing(cache_.about);
        if (missing.empty()) break;
        if (tries == 3)
          throw Error(Status::busy, "postgres: the customers of this call kept changing; retry");
        std::vector<std::string> keys;
        for (const std::string& r : missing) keys.push_back(locks_.customer(r));
        locks_.keys(batch_, std::move(keys));
        cache_.fill(batch_, tenant_, p);
      }
    });
  }

  void prefetch_call(const std::string& call_id) override {
    guarded([&] {
      locks_.prefetch_call(batch_, call_id);
      cache_.fill_call(batch_, tenant_, call_id);
    });
  }

  // ---- tenants

  std::optional<TenantRow> tenant_get() override {
    if (cache_.have_tenant) return cache_.tenant_row;
    return query<std::optional<TenantRow>>({}, kTenantGet, params(tenant_), [this](auto& out, auto&& c) {
      out = read_tenant(c, batch_.connection().weights);
    });
  }

  void tenant_put(const TenantRow& row) override {
    write(kTenantPut, [&](Params& b) {
      locks_.whole(batch_);
      cache_.have_tenant = false;
      bind_tenant(b, tenant_, row, json::write_identity_weights(row.settings.identity_weights));
    });
  }

  void balance_debit(const std::string& op, std::int64_t amount) override {
    guarded([&] {
      locks_.keys(batch_, {});
      cache_.have_tenant = false;
      batch_.send(
          kBalanceDebit, params(tenant_, amount), nullptr,
          Error(Status::insufficient_credits, "insufficient credits: " + op + " needs " + text_of(amount) +
                                                  ", and another operation took the balance first"));
    });
  }

  void tenant_shift_expiry(Millis delta) override {
    guarded([&] {
      locks_.whole(batch_);
      cache_.clear();
      for (Sql id : kShiftExpiry) batch_.send(id, params(tenant_, delta));
    });
  }

  // ---- customers

  std::optional<CustomerRow> customer_get(const std::string& ref, Millis now) override {
    if (auto cached = cache_.customer_get(ref, now)) return std::move(*cached);
    return query<std::optional<CustomerRow>>(
        {locks_.customer(ref)}, kCustomerGet, params(tenant_, ref, now),
        [&](auto& found, auto&& c) { found = read_row(c, &CustomerRow::customer_ref, ref); });
  }

  void customer_insert(const CustomerRow& row) override {
    write(kCustomerInsert, [&](Params& b) {
      forget(row.customer_ref, &RefCache::have_customer);
      bind_row(b, row, tenant_, row.customer_ref);
    });
  }

  void customer_touch(const std::string& ref, Millis last_seen, Millis expires_at) override {
    write(kCustomerTouch, [&](Params& b) {
      forget(ref, &RefCache::have_customer);
      put_all(b, tenant_, ref, last_seen, expires_at);
    });
  }

  void customer_keep(const std::string& ref, Millis until, Millis ttl, Millis now) override {
    guarded([&] {
      forget(ref, &RefCache::have_customer);
      forget(ref, &RefCache::have_links);
      cache_.have_find = false;
      cache_.aliases.clear();
      for (Sql id : kKeep)
        batch_.send(id, id == kKeepCustomer ? params(tenant_, ref, until, ttl)
                                            : params(tenant_, ref, until, ttl, now));
    });
  }

  Removed customer_delete(const std::string& ref) override {
    return guarded([&] {
      locks_.keys(batch_, {locks_.customer(ref)});
      cache_.clear();
      Removed r;
      std::int64_t ignored = 0;
      for (const Deletion& d : kCustomerDeletions)
        batch_.send(d.id, params(tenant_, ref), changed(d.count ? r.*d.count : ignored));
      batch_.flush(true);
      return r;
    });
  }

  bool customer_remove(const std::string& ref) override {
    return removed({}, kCustomerRemove, params(tenant_, ref), [&] { forget(ref, &RefCache::have_customer); });
  }

  // ---- identity links

  std::vector<LinkRow> links_find(const std::vector<Identifier>& ids, Millis now) override {
    if (auto cached = cache_.links_find(ids, now)) return std::move(*cached);
    std::vector<std::string> p = arrays_of(ids), keys;
    p.insert(p.begin(), tenant_);
    for (const Identifier& id : ids) keys.push_back(locks_.identifier(id));
    std::vector<LinkRow> found =
        query<std::vector<LinkRow>>(std::move(keys), kLinksFind, std::move(p), [](auto& out, auto&& c) {
          LinkRow l;
          read_fields(c, std::tuple_cat(fields(l.id), std::tie(l.customer_ref), fields(l)));
          out.push_back(std::move(l));
        });
    return links_matching(found, ids, now);
  }

  std::vector<LinkRow> links_of(const std::string& ref, Millis now) override {
    if (auto cached = cache_.links_of(ref, now)) return std::move(*cached);
    return query<std::vector<LinkRow>>({locks_.customer(ref)}, kLinksOf, params(tenant_, ref, now),
                                       [&](auto& found, auto&& c) {
                                         LinkRow l;
                                         read_fields(c, std::tuple_cat(fields(l.id), fields(l)));
                                         l.customer_ref = ref;
                                         found.push_back(std::move(l));
                                       });
  }

  void link_upsert(const LinkRow& row) override {
    write(kLinkUpsert, [&](Params& b) {
      forget(row.customer_ref, &RefCache::have_links);
      cache_.have_find = false;
      bind_link(b, tenant_, row);
    });
  }

  bool link_delete(const Identifier& id, const std::string& ref) override {
    return removed({}, kLinkDelete, params(tenant_, id.type, id.key, id.value, ref), [&] {
      forget(ref, &RefCache::have_links);
      cache_.have_find = false;
    });
  }

  // ---- calls

  std::optional<CallRow> call_get(const std::string& call_id) override {
    if (cache_.have_call && cache_.call_id == call_id) return cache_.call;
    return query<std::optional<CallRow>>({locks_.call(call_id)}, kCallGet, params(tenant_, call_id),
                                         [](auto& out, auto&& c) { out = read_row<CallRow>(c); });
  }

  void call_insert(const CallRow& row) override {
    call_write({locks_.call(row.call_id), locks_.customer(row.customer_ref)}, kCallInsert,
               [&](Params& b) { bind_row(b, row, tenant_); });
  }

  void call_end(const CallRow& row) override {
    call_write({locks_.call(row.call_id), locks_.customer(row.customer_ref)}, kCallEnd,
               [&](Params& b) { bind_call_end(b, tenant_, row); });
  }

  void call_move(const std::string& call_id, const std::string& ref, bool created_customer) override {
    // The call's customer before, whose calls these are, is held already.
    call_write({locks_.customer(ref)}, kCallMove,
               [&](Params& b) { put_all(b, tenant_, call_id, ref, created_customer); });
  }

  void call_feedback(const CallRow& row) override {
    call_write({locks_.call(row.call_id)}, kCallFeedback,
               [&](Params& b) { bind_call_feedback(b, tenant_, row); });
  }

  std::vector<CallRow> calls_of(const std::string& ref, Millis now, const std::optional<CallCursor>& after,
                                std::int64_t limit) override {
    if (limit <= 0) return guarded([] { return std::vector<CallRow>(); });
    auto read = [](auto& out, auto&& c) { out.push_back(read_row<CallRow>(c)); };
    if (!after)
      return query<std::vector<CallRow>>({locks_.customer(ref)}, kCallsOf, params(tenant_, ref, now, limit),
                                         read);
    return query<std::vector<CallRow>>({locks_.customer(ref)}, kCallsOfAfter,
                                       params(tenant_, ref, now, limit, after->started_at, after->call_id),
                                       read);
  }

  // ---- intents

  std::vector<IntentRow> intents_of(const std::string& ref, Millis now, bool open_only) override {
    if (auto cached = cache_.intents_of(ref, now, open_only)) return std::move(*cached);
    return query<std::vector<IntentRow>>({locks_.customer(ref)}, kIntentsOf,
                                         {tenant_, ref, text_of(now), open_only ? "1" : "0"},
                                         [](auto& found, auto&& c) { found.push_back(read_intent(c)); });
  }

  std::optional<IntentRow> intent_get(const std::string& ref, const std::string& intent) override {
    if (auto cached = cache_.intent_get(ref, intent)) return std::move(*cached);
    return query<std::optional<IntentRow>>(
        {locks_.customer(ref)}, kIntentGet, params(tenant_, ref, intent),
        [&](auto& out, auto&& c) { out = read_row(c, &IntentRow::intent, intent); });
  }

  void intent_put(const std::string& ref, const IntentRow& row) override {
    write(kIntentPut, [&](Params& b) {
      forget(ref, &RefCache::have_intents);
      bind_row(b, row, tenant_, ref, row.intent);
    });
  }

  bool intent_delete(const std::string& ref, const std::string& intent) override {
    return removed({}, kIntentDelete, params(tenant_, ref, intent),
                   [&] { forget(ref, &RefCache::have_intents); });
  }

  // ---- variables

  std::vector<VariableRow> variables_of(const std::string& ref, Millis now) override {
    if (auto cached = cache_.variables_of(ref, now)) return std::move(*cached);
    return query<std::vector<VariableRow>>(
        {locks_.customer(ref)}, kVariablesOf, params(tenant_, ref, now),
        [](auto& found, auto&& c) { found.push_back(read_row<VariableRow>(c)); });
  }

  void variable_put(const std::string& ref, const VariableRow& row) override {
    write(kVariablePut, [&](Params& b) {
      forget(ref, &RefCache::have_variables);
      bind_row(b, row, tenant_, ref);
    });
  }

  bool variable_delete(const std::string& ref, const std::string& name, Millis now) override {
    return guarded([&] {
      forget(ref, &RefCache::have_variables);
      bool unexpired = false;
      batch_.send(kVariableDelete, params(tenant_, ref, name, now),
                  rows([&](auto&& c) { unexpired = unexpired || c.boolean(); }));
      batch_.flush(true);
      return unexpired;
    });
  }

  // ---- aliases and merges

  std::optional<std::string> alias_target(const std::string& alias_ref, Millis now) override {
    if (auto cached = cache_.alias_target(alias_ref, now)) return std::move(*cached);
    return query<std::optional<std::string>>({locks_.customer(alias_ref)}, kAliasGet,
                                             params(tenant_, alias_ref, now),
                                             [](auto& found, auto&& c) { found = c.text(); });
  }

  void alias_put(const AliasRow& row) override {
    write(kAliasPut, [&](Params& b) {
      locks_.keys(batch_, {locks_.customer(row.alias_ref), locks_.customer(row.target_ref)});
      cache_.aliases.clear();
      bind_row(b, row, tenant_);
    });
  }

  bool alias_delete(const std::string& alias_ref) override {
    return removed({locks_.customer(alias_ref)}, kAliasDelete, params(tenant_, alias_ref),
                   [&] { cache_.aliases.clear(); });
  }

  std::vector<std::string> aliases_retarget(const std::string& from, const std::string& to) override {
    return guarded([&] {
      locks_.keys(batch_, {locks_.customer(from), locks_.customer(to)});
      cache_.aliases.clear();
      std::vector<std::string> out;
      batch_.send(kAliasesRetarget, params(tenant_, from, to),
                  rows([&](auto&& c) { out.push_back(c.text()); }));
      batch_.flush(true);
      std::sort(out.begin(), out.end());
      return out;
    });
  }

  // merge_rows: one row per thing moved or replaced (store/merge_rows.hpp).
  void merge_insert(const MergeLog& log) override {
    guarded([&] {
      locks_.keys(batch_, {});  // a new log: its customers are held
      Params m;
      bind_row(m, log, tenant_, log.merge_id);
      batch_.send(kMergeInsert, std::move(m.values));
      std::int64_t seq = 0;
      for (const MergeRow& r : merge_rows_of(log)) {
        Params p;
        bind_row(p, r, tenant_, log.merge_id, seq++);
        batch_.send(kMergeRowInsert, std::move(p.values));
      }
    });
  }

  std::optional<MergeLog> merge_get(const std::string& merge_id) override {
    return guarded([&]() -> std::optional<MergeLog> {
      locks_.whole(batch_);
      std::optional<MergeLog> log;
      std::vector<MergeRow> merge_rows;
      batch_.send(kMergeGet, params(tenant_, merge_id), rows([&](auto&& c) { log = read_row<MergeLog>(c); }));
      batch_.send(kMergeRowsGet, params(tenant_, merge_id),
                  rows([&](auto&& c) { merge_rows.push_back(read_row<MergeRow>(c)); }));
      batch_.flush(true);
      if (!log) return std::nullopt;
      log->merge_id = merge_id;
      log->alias_customer.customer_ref = log->alias_ref;
      for (const MergeRow& r : merge_rows) add_merge_row(*log, r);
      return log;
    });
  }

  void merge_undone(const std::string& merge_id, Millis at, const std::string& response) override {
    write(kMergeUndone, [&](Params& b) {
      locks_.whole(batch_);
      put_all(b, tenant_, merge_id, at, response);
    });
  }

  // ---- feedback outcomes

  void feedback_stat_add(const std::string& signal, const std::string& outcome, double predicted) override {
    write(kFeedbackStatAdd, [&](Params& b) {
      b.text(tenant_)
          .text(signal)
          .text(outcome == "confirmed" ? "1" : "0")
          .text(outcome == "rejected" ? "1" : "0");
      b.real(predicted);
    });
  }

  std::vector<FeedbackStat> feedback_stats() override {
    return query<std::vector<FeedbackStat>>({}, kFeedbackStats, params(tenant_), [](auto& out, auto&& c) {
      out.push_back(read_row<FeedbackStat>(c));
    });
  }

  // ---- credits and usage

  std::optional<std::int64_t> grant_get(const std::string& key) override {
    return guarded([&] {
      locks_.whole(batch_);
      return batch_.read<std::optional<std::int64_t>>(kGrantGet, params(tenant_, key),
                                                      [](auto& out, auto&& c) { out = c.i64(); });
    });
  }

  void grant_insert(const std::string& key, std::int64_t amount, Millis at) override {
    write(kGrantInsert, [&](Params& b) {
      locks_.whole(batch_);
      put_all(b, tenant_, key, amount, at);
    });
  }

  void usage_add(const std::string& day, const std::string& operation, std::int64_t credits) override {
    write(kUsageAdd, [&](Params& b) { put_all(b, tenant_, day, operation, credits); });
  }

  std::vector<UsageRow> usage_between(const std::string& from_day, const std::string& to_day) override {
    return query<std::vector<UsageRow>>({}, kUsageBetween, params(tenant_, from_day, to_day),
                                        [](auto& out, auto&& c) { out.push_back(read_row<UsageRow>(c)); });
  }

  std::vector<CallOutcome> calls_between(Millis from, Millis to, std::int64_t limit) override {
    return query<std::vector<CallOutcome>>(
        {}, kCallsBetween, params(tenant_, from, to, limit),
        [](auto& out, auto&& c) { out.push_back(read_row<CallOutcome>(c)); });
  }

  MergeCounts merges_between(Millis from, Millis to) override {
    return query<MergeCounts>({}, kMergesBetween, params(tenant_, from, to),
                              [](auto& out, auto&& c) { out = read_row<MergeCounts>(c); });
  }

 private:
  // Runs one method's statements (Batch::guarded); on a failure the cache
  // goes too, so that nothing answers from it after the end.
  template <typename F>
  auto guarded(F&& body) -> decltype(body()) {
    return batch_.guarded([&]() -> decltype(body()) {
      try {
        return body();
      } catch (...) {
        cache_.clear();
        throw;
      }
    });
  }

  // Before a write about one customer: its lock, and what the cache holds
  // of it goes.
  void forget(const std::string& ref, bool RefCache::*what) {
    locks_.keys(batch_, {locks_.customer(ref)});
    if (RefCache* c = cache_.ref_of(ref)) c->*what = false;
  }

  // Queues a write that returns nothing; `bind` takes its locks, tells the
  // cache, and binds its parameters.
  template <typename Bind>
  void write(Sql id, Bind&& bind) {
    guarded([&] {
      locks_.keys(batch_, {});  // the first statement: the tenant's lock
      Params p;
      bind(p);
      batch_.send(id, std::move(p.values));
    });
  }

  // A write to the call the cache may hold, holding `keys`.
  template <typename Bind>
  void call_write(std::vector<std::string> keys, Sql id, Bind&& bind) {
    write(id, [&](Params& b) {
      locks_.keys(batch_, std::move(keys));
      cache_.have_call = false;
      bind(b);
    });
  }

  // Sends a delete now, holding `keys` (`tell` tells the cache first, and
  // may take more); whether it removed a row.
  template <typename Tell>
  bool removed(std::vector<std::string> keys, Sql id, std::vector<std::string> p, Tell&& tell) {
    return guarded([&] {
      locks_.keys(batch_, std::move(keys));
      tell();
      std::int64_t n = 0;
      batch_.send(id, std::move(p), changed(n));
      batch_.flush(true);
      return n > 0;
    });
  }

  // Sends one read, holding `keys` (in a write transaction), and answers
  // what `read` made of its rows.
  template <typename Out, typename Read>
  Out query(std::vector<std::string> keys, Sql id, std::vector<std::string> p, Read&& read) {
    return guarded([&] {
      locks_.keys(batch_, std::move(keys));
      return batch_.read<Out>(id, std::move(p), read);
    });
  }

  Batch batch_;
  const std::string tenant_;
  Locks locks_;
  Cache cache_;  // of tenant_ only
};

}  // namespace

std::unique_ptr<Transaction> begin_transaction(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write,
                                               std::string tenant) {
  return std::make_unique<PgTransaction>(std::move(pool), std::move(conn), write, std::move(tenant));
}

}  // namespace callmem::postgres
