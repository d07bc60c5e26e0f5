// Request counters and latency histograms per route and status, rendered in the Prometheus
// text format together with gauges supplied at scrape time. Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace kelu::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  void ObserveRequest(const std::string& method, const std::string& route, int status,
                      double seconds);
  void CountJobRun(const std::string& job, bool ok);
  // Gauges read when rendering: name → (help, value).
  using Gauges = std::map<std::string, std::pair<std::string, double>>;
  std::string Render(const Gauges& gauges) const;

 private:
  struct Series {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, Series> requests_;
  std::map<std::pair<std::string, bool>, std::uint64_t> jobs_;
};

}  // namespace kelu::http
