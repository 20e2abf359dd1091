#include "rate_limiter.hpp"

#include <functional>
#include <limits>

namespace callmem::server {

RateLimiter::Decision RateLimiter::take(const std::string& tenant, std::int64_t per_minute,
                                        std::int64_t now_ms) {
  if (per_minute <= 0) return {};
  const std::int64_t now = now_ms / 1000;
  Shard& shard = shards_[std::hash<std::string>{}(tenant) % shards_.size()];
  const std::lock_guard<std::mutex> lock(shard.mutex);
  Window& w = shard.windows[tenant];
  std::int64_t counted = 0;
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < w.second.size(); ++i) {
    if (w.count[i] > 0 && w.second[i] > now - 60 && w.second[i] <= now) {
      counted += w.count[i];
      if (w.second[i] < oldest) oldest = w.second[i];
    }
  }
  if (counted >= per_minute) return {false, oldest + 60 - now};
  const std::size_t slot = static_cast<std::size_t>(now % 60);
  if (w.second[slot] != now) {
    w.second[slot] = now;
    w.count[slot] = 0;
  }
  ++w.count[slot];
  return {};
}

}  // namespace callmem::server
