// callmem itself as a side of the peers benchmark: the C ABI of
// libcallmem.so (callmem_call_start / callmem_call_end, then callmem_free),
// as a host links it, on a file populated through the library's store.
#ifndef CALLMEM_BENCH_PEERS_CALLMEM_SIDE_HPP
#define CALLMEM_BENCH_PEERS_CALLMEM_SIDE_HPP

#include <cstdint>
#include <string>

#include "callmem/callmem.h"
#include "population.hpp"
#include "side.hpp"

namespace peers {

class CallmemSide : public Side {
 public:
  // Populates `path` (unless `reuse` and it exists), then opens it.
  CallmemSide(const std::string& path, std::int64_t n, const bench::Population& pop, bool reuse);
  ~CallmemSide() override;
  CallmemSide(const CallmemSide&) = delete;
  CallmemSide& operator=(const CallmemSide&) = delete;

  const char* name() const override { return "callmem"; }
  std::size_t start(const StartOp& op) override;
  std::size_t end(const EndOp& op) override;
  Footprint footprint() override;
  std::optional<std::size_t> page_slot() const override { return slot_; }

 private:
  std::string path_;
  std::size_t slot_;
  callmem_db* db_ = nullptr;
};

}  // namespace peers

#endif
