// The SQLite store's transactions on one tenant: each Transaction method as
// the statement it runs (store/sqlite/transaction.hpp).
#include "store/sqlite/transaction.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json/codec.hpp"
#include "store/sqlite/work.hpp"

namespace callmem::sqlite {
namespace {

class SqliteTransaction final : public Transaction, Work {
 public:
  SqliteTransaction(Lease conn, WriterTurn turn, std::string tenant)
      : Work(std::move(conn), std::move(turn)), tenant_(std::move(tenant)) {}

  const std::string& tenant() const override { return tenant_; }
  void commit() override { Work::commit(); }

  // ---- tenants

  std::optional<TenantRow> tenant_get() override {
    return first<TenantRow>(
        kTenantGet, [&](auto&& c) { return read_tenant(c, connection().weights); }, tenant_);
  }

  void tenant_put(const TenantRow& row) override {
    guarded([&] {
      const std::string weights =
          json::write_identity_weights(row.settings.identity_weights);  // bound, not copied
      Stmt s(connection(), kTenantPut);
      bind_tenant(s, tenant_, row, weights);
      s.run();
    });
  }

  // Under BEGIN IMMEDIATE nothing takes the balance between the meter's
  // check and this.
  void balance_debit(const std::string& op, std::int64_t amount) override {
    if (run(kBalanceDebit, tenant_, amount) == 0)
      throw Error(Status::insufficient_credits,
                  "insufficient credits: " + op + " needs " + std::to_string(amount));
  }

  void tenant_shift_expiry(Millis delta) override {
    for (Sql id : kShiftExpiry) run(id, tenant_, delta);
    rekey_calls();
  }

  // ---- customers

  std::optional<CustomerRow> customer_get(const std::string& ref, Millis now) override {
    return first<CustomerRow>(
        kCustomerGet, [&](auto&& c) { return read_row(c, &CustomerRow::customer_ref, ref); }, tenant_, ref,
        now);
  }

  void customer_insert(const CustomerRow& row) override {
    exec(kCustomerInsert, [&](Stmt& s) { bind_row(s, row, tenant_, row.customer_ref); });
  }

  void customer_touch(const std::string& ref, Millis last_seen, Millis expires_at) override {
    run(kCustomerTouch, tenant_, ref, last_seen, expires_at);
  }

  void customer_keep(const std::string& ref, Millis until, Millis ttl, Millis now) override {
    for (Sql id : kKeep)
      exec(id, [&](Stmt& s) {
        put_all(s, tenant_, ref, until, ttl);
        if (id != kKeepCustomer) s.i64(now);
      });
  }

  Removed customer_delete(const std::string& ref) override {
    Removed r;
    for (const Deletion& d : kCustomerDeletions) {
      const std::int64_t n = run(d.id, tenant_, ref);
      if (d.count) r.*d.count = n;
    }
    return r;
  }

  bool customer_remove(const std::string& ref) override { return run(kCustomerRemove, tenant_, ref) > 0; }

  // ---- identity links

  std::vector<LinkRow> links_find(const std::vector<Identifier>& ids, Millis now) override {
    return guarded([&] {
      std::vector<LinkRow> out;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const Identifier& id = ids[i];
        bool seen = false;  // the same identifier twice would return its links twice
        for (std::size_t j = 0; j < i && !seen; ++j) seen = ids[j] == id;
        if (seen) continue;
        Stmt s(connection(), kLinksFind);
        put_all(s, tenant_, id.type, id.key, id.value, now);
        while (s.step()) {
          LinkRow row;
          row.id = id;
          read_fields(s.row(), std::tuple_cat(std::tie(row.customer_ref), fields(row)));
          out.push_back(std::move(row));
        }
      }
      return out;
    });
  }

  std::vector<LinkRow> links_of(const std::string& ref, Millis now) override {
    auto read = [&](auto&& c) {
      LinkRow row;
      read_fields(c, std::tuple_cat(fields(row.id), fields(row)));
      row.customer_ref = ref;
      return row;
    };
    return all<LinkRow>(kLinksOf, read, tenant_, ref, now);
  }

  void link_upsert(const LinkRow& row) override {
    if (exec(kLinkUpdate, [&](Stmt& s) { bind_link(s, tenant_, row); }) == 0)
      exec(kLinkUpsert, [&](Stmt& s) { bind_link(s, tenant_, row); });
  }

  bool link_delete(const Identifier& id, const std::string& ref) override {
    return run(kLinkDelete, tenant_, id.type, id.key, id.value, ref) > 0;
  }

  // ---- calls

  // A call's rowid is where it expires (store/sqlite/statements.cpp): the
  // calls kShiftCalls moved go where they now expire, a page at a time.
  void rekey_calls() {
    struct Key {
      std::string call_id;
      std::int64_t rowid;
      Millis expires_at;
    };
    constexpr std::int64_t kPage = 10000;
    std::string after;
    for (;;) {
      const std::vector<Key> keys = all<Key>(
          kCallsToRekey,
          [](auto&& c) {
            return Key{c.text(), c.i64(), c.i64()};
          },
          tenant_, after, kPage);
      for (const Key& k : keys) run(kCallRekey, k.rowid, k.expires_at);
      if (static_cast<std::int64_t>(keys.size()) < kPage) return;
      after = keys.back().call_id;
    }
  }

  std::optional<CallRow> call_get(const std::string& call_id) override {
    return first<CallRow>(kCallGet, RowReader<CallRow>(), tenant_, call_id);
  }

  void call_insert(const CallRow& row) override {
    exec(kCallInsert, [&](Stmt& s) { bind_row(s, row, tenant_); });
  }

  void call_end(const CallRow& row) override {
    exec(kCallEnd, [&](Stmt& s) { bind_call_end(s, tenant_, row); });
  }

  void call_move(const std::string& call_id, const std::string& ref, bool created_customer) override {
    run(kCallMove, tenant_, call_id, ref, created_customer);
  }

  void call_feedback(const CallRow& row) override {
    exec(kCallFeedback, [&](Stmt& s) { bind_call_feedback(s, tenant_, row); });
  }

  std::vector<CallRow> calls_of(const std::string& ref, Millis now, const std::optional<CallCursor>& after,
                                std::int64_t limit) override {
    if (limit <= 0) return guarded([] { return std::vector<CallRow>(); });
    if (!after) return all<CallRow>(kCallsOf, RowReader<CallRow>(), tenant_, ref, now, limit);
    return all<CallRow>(kCallsOfAfter, RowReader<CallRow>(), tenant_, ref, now, limit, after->started_at,
                        after->call_id);
  }

  // ---- intents

  std::vector<IntentRow> intents_of(const std::string& ref, Millis now, bool open_only) override {
    return all<IntentRow>(
        kIntentsOf, [](auto&& c) { return read_intent(c); }, tenant_, ref, now, open_only);
  }

  std::optional<IntentRow> intent_get(const std::string& ref, const std::string& intent) override {
    return first<IntentRow>(
        kIntentGet, [&](auto&& c) { return read_row(c, &IntentRow::intent, intent); }, tenant_, ref, intent);
  }

  void intent_put(const std::string& ref, const IntentRow& row) override {
    exec(kIntentPut, [&](Stmt& s) { bind_row(s, row, tenant_, ref, row.intent); });
    run(kIntentExpiryDay, tenant_, ref, row.intent, row.expires_at);
  }

  bool intent_delete(const std::string& ref, const std::string& intent) override {
    return run(kIntentDelete, tenant_, ref, intent) > 0;
  }

  // ---- variables

  std::vector<VariableRow> variables_of(const std::string& ref, Millis now) override {
    return all<VariableRow>(kVariablesOf, RowReader<VariableRow>(), tenant_, ref, now);
  }

  void variable_put(const std::string& ref, const VariableRow& row) override {
    exec(kVariablePut, [&](Stmt& s) { bind_row(s, row, tenant_, ref); });
    run(kVariableExpiryDay, tenant_, ref, row.name, row.expires_at);
  }

  // An expired row goes too, but only an unexpired one counts as deleted.
  bool variable_delete(const std::string& ref, const std::string& name, Millis now) override {
    const std::vector<bool> unexpired = all<bool>(
        kVariableDelete, [](auto&& c) { return c.boolean(); }, tenant_, ref, name, now);
    return std::find(unexpired.begin(), unexpired.end(), true) != unexpired.end();
  }

  // ---- aliases and merges

  std::optional<std::string> alias_target(const std::string& alias_ref, Millis now) override {
    return first<std::string>(
        kAliasGet, [](auto&& c) { return c.text(); }, tenant_, alias_ref, now);
  }

  void alias_put(const AliasRow& row) override {
    exec(kAliasPut, [&](Stmt& s) { bind_row(s, row, tenant_); });
  }

  bool alias_delete(const std::string& alias_ref) override {
    return run(kAliasDelete, tenant_, alias_ref) > 0;
  }

  std::vector<std::string> aliases_retarget(const std::string& from, const std::string& to) override {
    std::vector<std::string> moved = all<std::string>(
        kAliasesOfTarget, [](auto&& c) { return c.text(); }, tenant_, from);
    if (!moved.empty()) run(kAliasesRetarget, tenant_, from, to);
    return moved;
  }

  // merge_rows: one row per thing moved or replaced (store/merge_rows.hpp).
  void merge_insert(const MergeLog& log) override {
    exec(kMergeInsert, [&](Stmt& s) { bind_row(s, log, tenant_, log.merge_id); });
    std::int64_t seq = 0;
    for (const MergeRow& r : guarded([&] { return merge_rows_of(log); }))
      exec(kMergeRowInsert, [&](Stmt& s) { bind_row(s, r, tenant_, log.merge_id, seq++); });
  }

  std::optional<MergeLog> merge_get(const std::string& merge_id) override {
    std::optional<MergeLog> log = first<MergeLog>(kMergeGet, RowReader<MergeLog>(), tenant_, merge_id);
    if (!log) return std::nullopt;
    log->merge_id = merge_id;
    log->alias_customer.customer_ref = log->alias_ref;
    for (const MergeRow& r : all<MergeRow>(kMergeRowsGet, RowReader<MergeRow>(), tenant_, merge_id))
      guarded([&] { add_merge_row(*log, r); });
    return log;
  }

  void merge_undone(const std::string& merge_id, Millis at, const std::string& response) override {
    run(kMergeUndone, tenant_, merge_id, at, response);
  }

  // ---- feedback outcomes

  void feedback_stat_add(const std::string& signal, const std::string& outcome, double predicted) override {
    run(kFeedbackStatAdd, tenant_, signal, outcome == "confirmed", outcome == "rejected", predicted);
  }

  std::vector<FeedbackStat> feedback_stats() override {
    return all<FeedbackStat>(kFeedbackStats, RowReader<FeedbackStat>(), tenant_);
  }

  // ---- credits and usage

  std::optional<std::int64_t> grant_get(const std::string& key) override {
    return first<std::int64_t>(
        kGrantGet, [](auto&& c) { return c.i64(); }, tenant_, key);
  }

  void grant_insert(const std::string& key, std::int64_t amount, Millis at) override {
    run(kGrantInsert, tenant_, key, amount, at);
  }

  void usage_add(const std::string& day, const std::string& operation, std::int64_t credits) override {
    run(kUsageAdd, tenant_, day, operation, credits);
  }

  std::vector<UsageRow> usage_between(const std::string& from_day, const std::string& to_day) override {
    return all<UsageRow>(kUsageBetween, RowReader<UsageRow>(), tenant_, from_day, to_day);
  }

  std::vector<CallOutcome> calls_between(Millis from, Millis to, std::int64_t limit) override {
    return all<CallOutcome>(kCallsBetween, RowReader<CallOutcome>(), tenant_, from, to, limit);
  }

  MergeCounts merges_between(Millis from, Millis to) override {
    return first<MergeCounts>(kMergesBetween, RowReader<MergeCounts>(), tenant_, from, to)
        .value_or(MergeCounts{});
  }

 private:
  const std::string tenant_;
};

}  // namespace

std::unique_ptr<Transaction> begin_transaction(Lease conn, WriterTurn turn, std::string tenant) {
  return std::make_unique<SqliteTransaction>(std::move(conn), std::move(turn), std::move(tenant));
}

}  // namespace callmem::sqlite
