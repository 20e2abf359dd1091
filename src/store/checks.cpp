// The schema problems an integrity check reports (store/checks.hpp).
#include "store/checks.hpp"

#include <algorithm>

#include "store/statements.hpp"

namespace callmem {

void check_tables(const std::vector<std::string>& tables, const std::vector<std::string>& also,
                  std::vector<std::string>& problems) {
  std::vector<std::string> wanted(std::begin(kTables), std::end(kTables));
  wanted.insert(wanted.end(), also.begin(), also.end());
  std::sort(wanted.begin(), wanted.end());
  for (const std::string& t : wanted)
    if (std::find(tables.begin(), tables.end(), t) == tables.end())
      problems.push_back("table " + t + " is missing");
}

void check_version(std::int64_t version, int library, std::vector<std::string>& problems) {
  if (version != library)
    problems.push_back("schema version " + std::to_string(version) + ", this library's is " +
                       std::to_string(library));
}

}  // namespace callmem
