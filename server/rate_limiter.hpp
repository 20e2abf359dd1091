// Requests per minute per tenant, over a rolling 60-second window, shared by
// every thread of one server process (docs/server.md: per node).
#ifndef CALLMEM_SERVER_RATE_LIMITER_HPP
#define CALLMEM_SERVER_RATE_LIMITER_HPP

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace callmem::server {

class RateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    std::int64_t retry_after_seconds = 0;  // when refused: until a request leaves the window
  };

  // Counts one request of `tenant` at `now_ms` when fewer than `per_minute`
  // were counted in the 60 seconds before; refuses it (counting nothing)
  // otherwise. per_minute <= 0 is no limit.
  Decision take(const std::string& tenant, std::int64_t per_minute, std::int64_t now_ms);

 private:
  // One count per second of the last 60: exact to the second.
  struct Window {
    std::array<std::int64_t, 60> second{};  // which second each slot counts
    std::array<std::int64_t, 60> count{};
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Window> windows;
  };
  std::array<Shard, 16> shards_;
};

}  // namespace callmem::server

#endif
