// "Redis keyed by ANI", the design users build by hand instead of a call
// memory: a hash per number (c:<ani>: ref, intent:<name>, var:<name>) and a
// key per call (k:<call_id> -> ani), both with the TTL. A start is one
// pipelined round trip (HGETALL, SET with EX, EXPIRE), plus an HSET for a new
// number; an end two (GET the call's number, then HSET and EXPIRE). The
// server is a redis-server on loopback with the AOF on and fsync every
// second (bench/peers/run starts one); the client is hiredis.
#ifndef CALLMEM_BENCH_PEERS_REDIS_ANI_HPP
#define CALLMEM_BENCH_PEERS_REDIS_ANI_HPP

#include <cstdint>
#include <string>

#include "population.hpp"
#include "side.hpp"

struct redisContext;

namespace peers {

class RedisAni : public Side {
 public:
  RedisAni(const std::string& host, int port);
  ~RedisAni() override;
  RedisAni(const RedisAni&) = delete;
  RedisAni& operator=(const RedisAni&) = delete;

  // Writes N customers (the population's), unless `reuse` and they are there.
  void populate(std::int64_t n, const bench::Population& pop, bool reuse);

  const char* name() const override { return "Redis by ANI"; }
  std::size_t start(const StartOp& op) override;
  std::size_t end(const EndOp& op) override;
  Footprint footprint() override;
  std::optional<double> log_bytes() override;

 private:
  double info_field(const char* section, const char* field);
  redisContext* ctx_ = nullptr;
};

}  // namespace peers

#endif
