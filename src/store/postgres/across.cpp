// The PostgreSQL store's transactions across tenants: API keys, purge and the
// operators' reads (`callmem tenant list`, `stats`, `check`; docs/cli.md),
// each as the statements it sends (store/postgres/transaction.hpp).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/checks.hpp"
#include "store/postgres/batch.hpp"
#include "store/postgres/schema.hpp"
#include "store/postgres/transaction.hpp"

namespace callmem::postgres {
namespace {

class PgAcross final : public AcrossTenants {
 public:
  PgAcross(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write)
      : batch_(std::move(pool), std::move(conn), write) {}
  ~PgAcross() override {
    if (!batch_.ended()) batch_.abort();
  }

  void commit() override {
    batch_.guarded([&] { batch_.commit(); });
  }

  // ---- API keys (the reads take no tenant's lock; a write takes its key's tenant's)

  void api_key_insert(const ApiKeyRow& row) override {
    batch_.guarded([&] {
      batch_.lock(row.tenant);
      Params p;
      bind_row(p, row);
      batch_.send(kApiKeyInsert, std::move(p.values));
    });
  }

  std::optional<ApiKeyRow> api_key_by_hash(const std::string& key_hash) override {
    return read<std::optional<ApiKeyRow>>(kApiKeyByHash, params(key_hash),
                                          [](auto& out, auto&& c) { out = read_row<ApiKeyRow>(c); });
  }

  std::optional<ApiKeyRow> api_key_by_id(const std::string& key_id) override {
    return read<std::optional<ApiKeyRow>>(kApiKeyById, params(key_id),
                                          [](auto& out, auto&& c) { out = read_row<ApiKeyRow>(c); });
  }

  std::vector<ApiKeyRow> api_keys_of(const std::string& tenant) override {
    return read<std::vector<ApiKeyRow>>(kApiKeysOf, params(tenant),
                                        [](auto& out, auto&& c) { out.push_back(read_row<ApiKeyRow>(c)); });
  }

  void api_key_revoke(const std::string& tenant, const std::string& key_id, Millis at) override {
    batch_.guarded([&] {
      batch_.lock(tenant);
      batch_.send(kApiKeyRevoke, params(tenant, key_id, at));
    });
  }

  // ---- purge

  // Takes no tenant's lock: see kPurgeCustomers.
  Removed purge(Millis now, std::int64_t limit) override {
    return batch_.guarded([&] {
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

  // ---- operators

  std::vector<TenantCounts> tenant_counts(Millis now) override {
    return read<std::vector<TenantCounts>>(
        kTenantCounts, params(now), [](auto& out, auto&& c) { out.push_back(read_row<TenantCounts>(c)); });
  }

  DatabaseInfo database_info() override {
    DatabaseInfo info;
    info.store = "postgres";
    info.library_schema_version = schema_version();
    read<int>(kDatabaseInfo, {}, [&](int&, auto&& c) {
      info.schema_version = static_cast<int>(c.i64());
      info.size_bytes = c.i64();
    });
    return info;
  }

  // PostgreSQL checks its pages itself (and pg_amcheck checks them on
  // demand): here, callmem's tables, the schema version and the indexes.
  std::vector<std::string> integrity_check() override {
    std::vector<std::string> problems;
    const std::vector<std::string> tables = texts(kTableNames);
    check_tables(tables, {"schema_version"}, problems);
    if (std::find(tables.begin(), tables.end(), "schema_version") != tables.end()) {
      const std::vector<std::string> versions = texts(kSchemaVersions);
      if (versions.size() != 1)
        problems.push_back("schema_version holds " + std::to_string(versions.size()) + " rows, not one");
      else
        check_version(number_of<std::int64_t>(versions[0].data(), versions[0].size()), schema_version(),
                      problems);
    }
    for (const std::string& index : texts(kInvalidIndexes))
      problems.push_back("index " + index + " is invalid (a failed CREATE INDEX CONCURRENTLY or REINDEX)");
    return problems;
  }

 private:
  // Sends one read now and answers what `reader` made of its rows.
  template <typename Out, typename Read>
  Out read(Sql id, std::vector<std::string> p, Read&& reader) {
    return batch_.guarded([&] { return batch_.read<Out>(id, std::move(p), reader); });
  }

  // The first column of every row.
  std::vector<std::string> texts(Sql id) {
    return read<std::vector<std::string>>(id, {}, [](auto& out, auto&& c) { out.push_back(c.text()); });
  }

  Batch batch_;
};

}  // namespace

std::unique_ptr<AcrossTenants> begin_across(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write) {
  return std::make_unique<PgAcross>(std::move(pool), std::move(conn), write);
}

}  // namespace callmem::postgres
