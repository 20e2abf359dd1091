#include "metrics.hpp"

#include <fmt/format.h>

namespace callmem::server {

void Metrics::request(const std::string& route, int status, std::int64_t micros) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  Histogram& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (micros <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum_micros += micros;
}

void Metrics::recommendation(const std::string& recommendation) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++recommendations_[recommendation];
}

void Metrics::busy() {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++busy_;
}

double Metrics::quantile_ms(const std::string& route, double q) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = latency_.find(route);
  if (it == latency_.end() || it->second.count == 0) return -1;
  const Histogram& h = it->second;
  const double rank = q * static_cast<double>(h.count);
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (static_cast<double>(h.buckets[i]) >= rank) return static_cast<double>(kBuckets[i]) / 1000.0;
  return static_cast<double>(kBuckets.back()) / 1000.0;  // past the last bucket: at least that
}

std::int64_t Metrics::count(const std::string& route) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = latency_.find(route);
  return it == latency_.end() ? 0 : it->second.count;
}

std::int64_t Metrics::store_errors() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::int64_t n = 0;
  for (const auto& [key, count] : requests_)
    if (key.second == 500 || key.second == 503) n += count;
  return n;
}

std::string Metrics::render() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out += "# HELP callmem_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE callmem_http_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += fmt::format("callmem_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first,
                       key.second, n);
  out +=
      "# HELP callmem_http_request_duration_seconds Time from reading a request to answering it, by route.\n";
  out += "# TYPE callmem_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out += fmt::format("callmem_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
                         static_cast<double>(kBuckets[i]) / 1e6, h.buckets[i]);
    out += fmt::format("callmem_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route,
                       h.count);
    out += fmt::format("callmem_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route,
                       static_cast<double>(h.sum_micros) / 1e6);
    out += fmt::format("callmem_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
  }
  out += "# HELP callmem_recommendations_total Recommendations given by call starts.\n";
  out += "# TYPE callmem_recommendations_total counter\n";
  for (const char* r : {"reuse", "confirm", "ignore"}) {
    const auto it = recommendations_.find(r);
    out += fmt::format("callmem_recommendations_total{{recommendation=\"{}\"}} {}\n", r,
                       it == recommendations_.end() ? 0 : it->second);
  }
  out +=
      "# HELP callmem_store_busy_total Requests answered 503 because the store could not take the write in "
      "time.\n";
  out += "# TYPE callmem_store_busy_total counter\n";
  out += fmt::format("callmem_store_busy_total {}\n", busy_);
  return out;
}

}  // namespace callmem::server
