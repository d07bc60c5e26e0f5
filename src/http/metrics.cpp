#include "http/metrics.hpp"

#include <fmt/format.h>

namespace kelu::http {

void Metrics::ObserveRequest(const std::string& method, const std::string& route, int status,
                             double seconds) {
  std::lock_guard lock(mutex_);
  Series& s = requests_[{method, route, status}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  }
  ++s.count;
  s.sum += seconds;
}

void Metrics::CountJobRun(const std::string& job, bool ok) {
  std::lock_guard lock(mutex_);
  ++jobs_[{job, ok}];
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::string out;
  std::lock_guard lock(mutex_);
  out += "# HELP kelu_http_requests_total HTTP requests by method, route and status.\n";
  out += "# TYPE kelu_http_requests_total counter\n";
  for (const auto& [key, s] : requests_) {
    const auto& [method, route, status] = key;
    out += fmt::format("kelu_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                       method, route, status, s.count);
  }
  out += "# HELP kelu_http_request_duration_seconds Request latency by method, route and status.\n";
  out += "# TYPE kelu_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : requests_) {
    const auto& [method, route, status] = key;
    std::string labels =
        fmt::format("method=\"{}\",route=\"{}\",status=\"{}\"", method, route, status);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("kelu_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         kBuckets[i], s.buckets[i]);
    }
    out += fmt::format("kelu_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                       s.count);
    out += fmt::format("kelu_http_request_duration_seconds_sum{{{}}} {}\n", labels, s.sum);
    out += fmt::format("kelu_http_request_duration_seconds_count{{{}}} {}\n", labels, s.count);
  }
  out += "# HELP kelu_job_runs_total Daily job runs by job and outcome.\n";
  out += "# TYPE kelu_job_runs_total counter\n";
  for (const auto& [key, n] : jobs_) {
    out += fmt::format("kelu_job_runs_total{{job=\"{}\",outcome=\"{}\"}} {}\n", key.first,
                       key.second ? "ok" : "failed", n);
  }
  for (const auto& [name, g] : gauges) {
    out +=
        fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, g.first, name, name, g.second);
  }
  return out;
}

}  // namespace kelu::http
