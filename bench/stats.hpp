// Latency statistics of the benchmarks: percentiles (nearest rank) of a
// sample of microseconds.
#ifndef CALLMEM_BENCH_STATS_HPP
#define CALLMEM_BENCH_STATS_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace bench {

struct Stats {
  std::size_t ops = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0, ops_per_s = 0;
};

inline Stats stats_of(std::vector<double> us) {
  Stats s;
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    const std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(us.size())));
    return us[std::min(us.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  double sum = 0;
  for (double v : us) sum += v;
  s.ops = us.size();
  s.p50 = pct(0.50);
  s.p90 = pct(0.90);
  s.p99 = pct(0.99);
  s.p999 = pct(0.999);
  s.max = us.back();
  s.mean = sum / static_cast<double>(us.size());
  s.ops_per_s = sum > 0 ? 1e6 * static_cast<double>(us.size()) / sum : 0;
  return s;
}

}  // namespace bench

#endif
