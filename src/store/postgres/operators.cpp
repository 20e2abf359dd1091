// The PostgreSQL store's reads for operators (store/postgres/operators.hpp).
#include "store/postgres/operators.hpp"

#include <algorithm>

#include "store/checks.hpp"
#include "store/postgres/schema.hpp"

namespace callmem::postgres {
namespace {

// The first column of every row.
std::vector<std::string> texts(Batch& b, Sql id) {
  return b.read<std::vector<std::string>>(id, {}, [](auto& out, auto&& c) { out.push_back(c.text()); });
}

}  // namespace

std::vector<TenantCounts> tenant_counts(Batch& b, Millis now) {
  return b.read<std::vector<TenantCounts>>(
      kTenantCounts, params(now), [](auto& out, auto&& c) { out.push_back(read_row<TenantCounts>(c)); });
}

DatabaseInfo database_info(Batch& b) {
  DatabaseInfo info;
  info.store = "postgres";
  info.library_schema_version = schema_version();
  b.read<int>(kDatabaseInfo, {}, [&](int&, auto&& c) {
    info.schema_version = static_cast<int>(c.i64());
    info.size_bytes = c.i64();
  });
  return info;
}

std::vector<std::string> integrity_check(Batch& b) {
  std::vector<std::string> problems;
  const std::vector<std::string> tables = texts(b, kTableNames);
  check_tables(tables, {"schema_version"}, problems);
  if (std::find(tables.begin(), tables.end(), "schema_version") != tables.end()) {
    const std::vector<std::string> versions = texts(b, kSchemaVersions);
    if (versions.size() != 1)
      problems.push_back("schema_version holds " + std::to_string(versions.size()) + " rows, not one");
    else
      check_version(number_of<std::int64_t>(versions[0].data(), versions[0].size()), schema_version(),
                    problems);
  }
  for (const std::string& index : texts(b, kInvalidIndexes))
    problems.push_back("index " + index + " is invalid (a failed CREATE INDEX CONCURRENTLY or REINDEX)");
  return problems;
}

}  // namespace callmem::postgres
