// The SQLite store's transactions across tenants: API keys, purge and the
// operators' reads, each as the statements it runs
// (store/sqlite/transaction.hpp).
#include <string>
#include <vector>

#include "store/checks.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/transaction.hpp"
#include "store/sqlite/work.hpp"

namespace callmem::sqlite {
namespace {

class SqliteAcross final : public AcrossTenants, Work {
 public:
  using Work::Work;

  void commit() override { Work::commit(); }

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
    // Live rows whose expiry_day has come (a call extended them since) get
    // their day, so that the next purge does not look at them again.
    for (Sql id : {kPurgeRepairVariables, kPurgeRepairIntents, kPurgeRepairIdentities, kPurgeRepairCustomers})
      run(id, now, limit);
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
        guarded([&] { return int_of(connection().db, "PRAGMA application_id", "read application_id"); });
    if (app != application_id())
      problems.push_back("application_id is " + std::to_string(app) + ", not callmem's " +
                         std::to_string(application_id()));
    check_version(database_info().schema_version, schema_version(), problems);
    check_tables(texts(kTableNames), {}, problems);
    return problems;
  }
};

}  // namespace

std::unique_ptr<AcrossTenants> begin_across(Lease conn, WriterTurn turn) {
  return std::make_unique<SqliteAcross>(std::move(conn), std::move(turn));
}

}  // namespace callmem::sqlite
