// Writing the Prometheus text exposition format (version 0.0.4), shared by
// the core's and the gateway's /metrics sections.
//
//   PrometheusText out;
//   out.Counter("echelon_pushes_total", "Chunks pushed", 42);
//   out.Gauge("echelon_sse_clients", "Viewers connected", 3);
//   std::string body = out.Take();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace echelon {

class PrometheusText {
 public:
  void Counter(std::string_view name, std::string_view help, double value);
  void Gauge(std::string_view name, std::string_view help, double value);
  // One counter family with one label: name{label="key"} value, per pair.
  void LabeledCounters(std::string_view name, std::string_view help, std::string_view label,
                       const std::vector<std::pair<std::string, double>>& values);
  // Cumulative buckets: `counts[i]` observations were <= `bounds[i]`;
  // `count` and `sum` over all observations.
  void Histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& cumulative_counts, uint64_t count, double sum);

  std::string Take() { return std::move(out_); }

 private:
  void Header(std::string_view name, std::string_view help, std::string_view type);
  void Sample(std::string_view name, std::string_view labels, double value);

  std::string out_;
};

// Resident set size of this process in bytes (from /proc/self/status).
uint64_t ProcessRssBytes();

}  // namespace echelon
