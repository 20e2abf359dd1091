// The SQLite store's transactions: each Transaction method as the statement
// it runs (store/sqlite/transaction.hpp).
#include "store/sqlite/transaction.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "callmem/error.hpp"
#include "json/codec.hpp"
#include "store/checks.hpp"
#include "store/sqlite/schema.hpp"

namespace callmem::sqlite {
namespace {

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(Lease conn, WriterTurn turn) : turn_(std::move(turn)), conn_(std::move(conn)) {}

  void commit() override {
    guarded([&] { Stmt(*conn_, kCommit).run(); });
    conn_.end();
    turn_.end();  // the next writer goes while this one writes its answer
  }

  // ---- tenants

  std::optional<TenantRow> tenant_get(const std::string& tenant) override {
    return first<TenantRow>(
        kTenantGet, [&](auto&& c) { return read_tenant(c, conn_->weights); }, tenant);
  }

  void tenant_put(const std::string& tenant, const TenantRow& row) override {
    guarded([&] {
      const std::string weights =
          json::write_identity_weights(row.settings.identity_weights);  // bound, not copied
      Stmt s(*conn_, kTenantPut);
      bind_tenant(s, tenant, row, weights);
      s.run();
    });
  }

  void tenant_shift_expiry(const std::string& tenant, Millis delta) override {
    for (Sql id : kShiftExpiry) run(id, tenant, delta);
  }

  // ---- customers

  std::optional<CustomerRow> customer_get(const std::string& tenant, const std::string& ref,
                                          Millis now) override {
    return first<CustomerRow>(
        kCustomerGet, [&](auto&& c) { return read_row(c, &CustomerRow::customer_ref, ref); }, tenant, ref,
        now);
  }

  void customer_insert(const std::string& tenant, const CustomerRow& row) override {
    exec(kCustomerInsert, [&](Stmt& s) { bind_row(s, row, tenant, row.customer_ref); });
  }

  void customer_touch(const std::string& tenant, const std::string& ref, Millis last_seen,
                      Millis expires_at) override {
    run(kCustomerTouch, tenant, ref, last_seen, expires_at);
  }

  void customer_keep(const std::string& tenant, const std::string& ref, Millis until, Millis ttl,
                     Millis now) override {
    for (Sql id : kKeep)
      exec(id, [&](Stmt& s) {
        put_all(s, tenant, ref, until, ttl);
        if (id != kKeepCustomer) s.i64(now);
      });
  }

  Removed customer_delete(const std::string& tenant, const std::string& ref) override {
    Removed r;
    for (const Deletion& d : kCustomerDeletions) {
      const std::int64_t n = run(d.id, tenant, ref);
      if (d.count) r.*d.count = n;
    }
    return r;
  }

  bool customer_remove(const std::string& tenant, const std::string& ref) override {
    return run(kCustomerRemove, tenant, ref) > 0;
  }

  // ---- identity links

  std::vector<LinkRow> links_find(const std::string& tenant, const std::vector<Identifier>& ids,
                                  Millis now) override {
    return guarded([&] {
      std::vector<LinkRow> out;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const Identifier& id = ids[i];
        bool seen = false;  // the same identifier twice would return its links twice
        for (std::size_t j = 0; j < i && !seen; ++j) seen = ids[j] == id;
        if (seen) continue;
        Stmt s(*conn_, kLinksFind);
        put_all(s, tenant, id.type, id.key, id.value, now);
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

  std::vector<LinkRow> links_of(const std::string& tenant, const std::string& ref, Millis now) override {
    auto read = [&](auto&& c) {
      LinkRow row;
      read_fields(c, std::tuple_cat(fields(row.id), fields(row)));
      row.customer_ref = ref;
      return row;
    };
    return all<LinkRow>(kLinksOf, read, tenant, ref, now);
  }

  void link_upsert(const std::string& tenant, const LinkRow& row) override {
    exec(kLinkUpsert, [&](Stmt& s) { bind_link(s, tenant, row); });
  }

  bool link_delete(const std::string& tenant, const Identifier& id, const std::string& ref) override {
    return run(kLinkDelete, tenant, id.type, id.key, id.value, ref) > 0;
  }

  // ---- calls

  std::optional<CallRow> call_get(const std::string& tenant, const std::string& call_id) override {
    return first<CallRow>(kCallGet, RowReader<CallRow>(), tenant, call_id);
  }

  void call_insert(const std::string& tenant, const CallRow& row) override {
    exec(kCallInsert, [&](Stmt& s) { bind_row(s, row, tenant); });
  }

  void call_end(const std::string& tenant, const CallRow& row) override {
    exec(kCallEnd, [&](Stmt& s) { bind_call_end(s, tenant, row); });
  }

  void call_move(const std::string& tenant, const std::string& call_id, const std::string& ref,
                 bool created_customer) override {
    run(kCallMove, tenant, call_id, ref, created_customer);
  }

  void call_feedback(const std::string& tenant, const CallRow& row) override {
    exec(kCallFeedback, [&](Stmt& s) { bind_call_feedback(s, tenant, row); });
  }

  std::vector<CallRow> calls_of(const std::string& tenant, const std::string& ref, Millis now,
                                const std::optional<CallCursor>& after, std::int64_t limit) override {
    if (limit <= 0) return guarded([] { return std::vector<CallRow>(); });
    if (!after) return all<CallRow>(kCallsOf, RowReader<CallRow>(), tenant, ref, now, limit);
    return all<CallRow>(kCallsOfAfter, RowReader<CallRow>(), tenant, ref, now, limit, after->started_at,
                        after->call_id);
  }

  // ---- intents

  std::vector<IntentRow> intents_of(const std::string& tenant, const std::string& ref, Millis now,
                                    bool open_only) override {
    return all<IntentRow>(
        kIntentsOf, [](auto&& c) { return read_intent(c); }, tenant, ref, now, open_only);
  }

  std::optional<IntentRow> intent_get(const std::string& tenant, const std::string& ref,
                                      const std::string& intent) override {
    return first<IntentRow>(
        kIntentGet, [&](auto&& c) { return read_row(c, &IntentRow::intent, intent); }, tenant, ref, intent);
  }

  void intent_put(const std::string& tenant, const std::string& ref, const IntentRow& row) override {
    exec(kIntentPut, [&](Stmt& s) { bind_row(s, row, tenant, ref, row.intent); });
  }

  bool intent_delete(const std::string& tenant, const std::string& ref, const std::string& intent) override {
    return run(kIntentDelete, tenant, ref, intent) > 0;
  }

  // ---- variables

  std::vector<VariableRow> variables_of(const std::string& tenant, const std::string& ref,
                                        Millis now) override {
    return all<VariableRow>(kVariablesOf, RowReader<VariableRow>(), tenant, ref, now);
  }

  void variable_put(const std::string& tenant, const std::string& ref, const VariableRow& row) override {
    exec(kVariablePut, [&](Stmt& s) { bind_row(s, row, tenant, ref); });
  }

  // An expired row goes too, but only an unexpired one counts as deleted.
  bool variable_delete(const std::string& tenant, const std::string& ref, const std::string& name,
                       Millis now) override {
    const std::vector<bool> unexpired = all<bool>(
        kVariableDelete, [](auto&& c) { return c.boolean(); }, tenant, ref, name, now);
    return std::find(unexpired.begin(), unexpired.end(), true) != unexpired.end();
  }

  // ---- aliases and merges

  std::optional<std::string> alias_target(const std::string& tenant, const std::string& alias_ref,
                                          Millis now) override {
    return first<std::string>(
        kAliasGet, [](auto&& c) { return c.text(); }, tenant, alias_ref, now);
  }

  void alias_put(const std::string& tenant, const AliasRow& row) override {
    exec(kAliasPut, [&](Stmt& s) { bind_row(s, row, tenant); });
  }

  bool alias_delete(const std::string& tenant, const std::string& alias_ref) override {
    return run(kAliasDelete, tenant, alias_ref) > 0;
  }

  std::vector<std::string> aliases_retarget(const std::string& tenant, const std::string& from,
                                            const std::string& to) override {
    std::vector<std::string> moved = all<std::string>(
        kAliasesOfTarget, [](auto&& c) { return c.text(); }, tenant, from);
    if (!moved.empty()) run(kAliasesRetarget, tenant, from, to);
    return moved;
  }

  // merge_rows: one row per thing moved or replaced (store/merge_rows.hpp).
  void merge_insert(const std::string& tenant, const MergeLog& log) override {
    exec(kMergeInsert, [&](Stmt& s) { bind_row(s, log, tenant, log.merge_id); });
    std::int64_t seq = 0;
    for (const MergeRow& r : guarded([&] { return merge_rows_of(log); }))
      exec(kMergeRowInsert, [&](Stmt& s) { bind_row(s, r, tenant, log.merge_id, seq++); });
  }

  std::optional<MergeLog> merge_get(const std::string& tenant, const std::string& merge_id) override {
    std::optional<MergeLog> log = first<MergeLog>(kMergeGet, RowReader<MergeLog>(), tenant, merge_id);
    if (!log) return std::nullopt;
    log->merge_id = merge_id;
    log->alias_customer.customer_ref = log->alias_ref;
    for (const MergeRow& r : all<MergeRow>(kMergeRowsGet, RowReader<MergeRow>(), tenant, merge_id))
      guarded([&] { add_merge_row(*log, r); });
    return log;
  }

  void merge_undone(const std::string& tenant, const std::string& merge_id, Millis at,
                    const std::string& response) override {
    run(kMergeUndone, tenant, merge_id, at, response);
  }

  // ---- feedback outcomes

  void feedback_stat_add(const std::string& tenant, const std::string& signal, const std::string& outcome,
                         double predicted) override {
    run(kFeedbackStatAdd, tenant, signal, outcome == "confirmed", outcome == "rejected", predicted);
  }

  std::vector<FeedbackStat> feedback_stats(const std::string& tenant) override {
    return all<FeedbackStat>(kFeedbackStats, RowReader<FeedbackStat>(), tenant);
  }

  // ---- API keys

  void api_key_insert(const ApiKeyRow& row) override {
    exec(kApiKeyInsert, [&](Stmt& s) { bind_row(s, row); });
  }

  std::optional<ApiKeyRow> api_key_by_hash(const std::string& key_hash) override {
    return first<ApiKeyRow>(kApiKeyByHash, RowReader<ApiKeyRow>(), key_hash);
  }

  std::optional<ApiKeyRow> api_key_by_id(const std::string& key_id) override {
    return first<ApiKeyRow>(kApiKeyById, RowReader<ApiKeyRow>(), key_id);
  }

  std::vector<ApiKeyRow> api_keys_of(const std::string& tenant) override {
    return all<ApiKeyRow>(kApiKeysOf, RowReader<ApiKeyRow>(), tenant);
  }

  void api_key_revoke(const std::string& tenant, const std::string& key_id, Millis at) override {
    run(kApiKeyRevoke, tenant, key_id, at);
  }

  // ---- credits and usage

  std::optional<std::int64_t> grant_get(const std::string& tenant, const std::string& key) override {
    return first<std::int64_t>(
        kGrantGet, [](auto&& c) { return c.i64(); }, tenant, key);
  }

  void grant_insert(const std::string& tenant, const std::string& key, std::int64_t amount,
                    Millis at) override {
    run(kGrantInsert, tenant, key, amount, at);
  }

  void usage_add(const std::string& tenant, const std::string& day, const std::string& operation,
                 std::int64_t credits) override {
    run(kUsageAdd, tenant, day, operation, credits);
  }

  std::vector<UsageRow> usage_between(const std::string& tenant, const std::string& from_day,
                                      const std::string& to_day) override {
    return all<UsageRow>(kUsageBetween, RowReader<UsageRow>(), tenant, from_day, to_day);
  }

  // ---- purge

  Removed purge(Millis now, std::int64_t limit) override {
    guarded([] {});  // an ended transaction is refused even with nothing to sweep
    Removed r;
    std::int64_t left = limit;
    for (const Deletion& d : kPurges) {
      if (left <= 0) break;
      r.*d.count = run(d.id, now, left);
      left -= r.*d.count;
    }
    // The rows of merges that are gone (merges are rare: a scan is fine).
    if (r.merges > 0) run(kPurgeMergeRows);
    return r;
  }

  // ---- operators (callmem tenant list, stats, check)

  std::vector<TenantCounts> tenant_counts(Millis now) override {
    return all<TenantCounts>(kTenantCounts, RowReader<TenantCounts>(), now);
  }

  DatabaseInfo database_info() override {
    DatabaseInfo info;
    info.store = "sqlite";
    info.library_schema_version = schema_version();
    first<int>(kDatabaseInfo, [&](auto&& c) {
      info.schema_version = static_cast<int>(c.i64());
      info.size_bytes = c.i64();
      return 0;
    });
    return info;
  }

  std::vector<std::string> integrity_check() override {
    auto texts = [&](Sql id) { return all<std::string>(id, [](auto&& c) { return c.text(); }); };
    std::vector<std::string> problems;
    for (const std::string& row : texts(kIntegrityCheck))
      if (row != "ok") problems.push_back("integrity_check: " + row);
    const int app =
        guarded([&] { return int_of(conn_->db, "PRAGMA application_id", "read application_id"); });
    if (app != application_id())
      problems.push_back("application_id is " + std::to_string(app) + ", not callmem's " +
                         std::to_string(application_id()));
    check_version(database_info().schema_version, schema_version(), problems);
    check_tables(texts(kTableNames), {}, problems);
    return problems;
  }

 private:
  // Runs one method's statements. Any failure rolls the whole transaction
  // back and gives the connection back, so nothing partial can be committed.
  template <typename F>
  auto guarded(F&& body) -> decltype(body()) {
    if (!conn_) throw Error(Status::store, "sqlite: the transaction has already ended");
    try {
      return body();
    } catch (...) {
      conn_.end();  // the pool rolls it back
      throw;
    }
  }

  // Runs a statement that returns no rows, its parameters bound by `bind`;
  // the number of rows it changed.
  template <typename Bind>
  std::int64_t exec(Sql id, Bind&& bind) {
    return guarded([&] {
      Stmt s(*conn_, id);
      bind(s);
      return s.run();
    });
  }

  // The same with `params` bound in order.
  template <typename... P>
  std::int64_t run(Sql id, const P&... params) {
    return exec(id, [&](Stmt& s) { put_all(s, params...); });
  }

  // Every row of a statement, as `read` reads it from its cursor.
  template <typename Out, typename Read, typename... P>
  std::vector<Out> all(Sql id, Read&& read, const P&... params) {
    return guarded([&] {
      std::vector<Out> out;
      Stmt s(*conn_, id);
      put_all(s, params...);
      while (s.step()) out.push_back(read(s.row()));
      return out;
    });
  }

  // The first row of a statement, if any.
  template <typename Out, typename Read, typename... P>
  std::optional<Out> first(Sql id, Read&& read, const P&... params) {
    return guarded([&]() -> std::optional<Out> {
      Stmt s(*conn_, id);
      put_all(s, params...);
      if (!s.step()) return std::nullopt;
      return read(s.row());
    });
  }

  WriterTurn turn_;  // a writer's turn in this process; none for a reader
  Lease conn_;       // ends (rolled back, given back) before the turn does
};

}  // namespace

std::unique_ptr<Transaction> begin_transaction(Lease conn, WriterTurn turn) {
  return std::make_unique<SqliteTransaction>(std::move(conn), std::move(turn));
}

}  // namespace callmem::sqlite
