// A merge log's rows as both stores keep them (the table merge_rows): one
// flat row per thing a merge moved or replaced, so that the log round-trips
// through any SQL store without a table per kind.
//
// By kind and role ("moved": keys only; "alias" and "target": whole rows):
//   link     k1..k3 = type, key, value; t1 line_type; i1..i3 = first_seen, last_seen, expires_at
//   intent   k1 intent; t1 status; t2 last_call_id; i1..i4 = attempt_count, first_seen, last_seen, expires_at
//   variable k1 name; t1 value; t2 source; i1..i3 = updated_at, own_ttl_seconds, expires_at
//   call     k1 call_id; i1 created_customer (moved only)
//   alias    k1 alias_ref (moved only)
#ifndef CALLMEM_STORE_MERGE_ROWS_HPP
#define CALLMEM_STORE_MERGE_ROWS_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace callmem {

struct MergeRow {
  std::string kind, role;
  std::string k1, k2, k3, t1, t2;
  std::int64_t i1 = 0, i2 = 0, i3 = 0, i4 = 0;
};

// The log's rows, in the order a store keeps them (their seq).
std::vector<MergeRow> merge_rows_of(const MergeLog& log);

// Adds one row, read back in seq order, to the log (whose alias_ref and
// target_ref are set). Throws Error(Status::store) on an unknown kind.
void add_merge_row(MergeLog& log, const MergeRow& row);

}  // namespace callmem

#endif
