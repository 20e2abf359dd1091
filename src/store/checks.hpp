// What both stores' integrity checks report about the schema (the operators'
// `callmem check`, docs/cli.md), in the same words.
#ifndef CALLMEM_STORE_CHECKS_HPP
#define CALLMEM_STORE_CHECKS_HPP

#include <cstdint>
#include <string>
#include <vector>

namespace callmem {

// "table <name> is missing" for each table of kTables (and of `also`) not
// among `tables`.
void check_tables(const std::vector<std::string>& tables, const std::vector<std::string>& also,
                  std::vector<std::string>& problems);

// "schema version <v>, this library's is <library>" unless they agree.
void check_version(std::int64_t version, int library, std::vector<std::string>& problems);

}  // namespace callmem

#endif
