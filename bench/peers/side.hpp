// One side of the peers benchmark (bench/README.md, "callmem_peers_bench"):
// a design that answers a call's start and saves its end, measured on the
// same customers (bench/population.hpp) with the same operations.
#ifndef CALLMEM_BENCH_PEERS_SIDE_HPP
#define CALLMEM_BENCH_PEERS_SIDE_HPP

#include <cstdint>
#include <optional>
#include <string>

namespace peers {

// A call's start: a returning customer (customer >= 0) or a number never
// seen (customer < 0, new_ref the ref a design that makes its own uses).
struct StartOp {
  std::int64_t customer = -1;
  std::string ani;
  std::string crm;  // "" when the customer has none
  std::string call_id;
  std::string new_ref;
  std::string json;  // the callmem request
};

// A call's end: one open intent and two variables.
struct EndOp {
  std::string call_id;
  std::string intent;
  std::string name;   // JSON text
  std::string order;  // JSON text
  std::string json;   // the callmem request
};

// What the design keeps, for N customers.
struct Footprint {
  double disk_bytes = 0;    // the files (SQLite: database and WAL; Redis: the AOF)
  double memory_bytes = 0;  // what it holds in memory (Redis: used_memory); 0: the page cache's business
};

class Side {
 public:
  virtual ~Side() = default;
  virtual const char* name() const = 0;
  // Answers the start: the customer's ref (a new one for a new number), open
  // intents and variables. Returns the bytes of the answer (to keep it alive).
  virtual std::size_t start(const StartOp& op) = 0;
  virtual std::size_t end(const EndOp& op) = 0;
  virtual Footprint footprint() = 0;
  // The page counter's slot of its SQLite file (bench/peers/page_count.hpp).
  virtual std::optional<std::size_t> page_slot() const { return std::nullopt; }
  // Bytes appended to an append-only log so far (Redis's AOF), when it has one.
  virtual std::optional<double> log_bytes() { return std::nullopt; }
};

}  // namespace peers

#endif
