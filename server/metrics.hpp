// The server's Prometheus metrics (GET /metrics, text format 0.0.4): requests
// by route and status, latency histograms by route, recommendations given,
// store busy errors. Safe from every thread.
#ifndef CALLMEM_SERVER_METRICS_HPP
#define CALLMEM_SERVER_METRICS_HPP

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace callmem::server {

class Metrics {
 public:
  void request(const std::string& route, int status, std::int64_t micros);
  void recommendation(const std::string& recommendation);
  void busy();
  std::string render() const;

  // For the web console: a route's latency quantile (0 < q < 1) in
  // milliseconds, the upper bound of the bucket it falls in (-1 when the
  // route has no request yet), its request count, and the requests answered
  // 500 or 503 (the store failed or was busy) on any route.
  double quantile_ms(const std::string& route, double q) const;
  std::int64_t count(const std::string& route) const;
  std::int64_t store_errors() const;

 private:
  // Upper bounds of the latency buckets, in microseconds.
  static constexpr std::array<std::int64_t, 14> kBuckets = {
      100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000};
  struct Histogram {
    std::array<std::int64_t, kBuckets.size()> buckets{};
    std::int64_t count = 0;
    std::int64_t sum_micros = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::int64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, std::int64_t> recommendations_;
  std::int64_t busy_ = 0;
};

}  // namespace callmem::server

#endif
