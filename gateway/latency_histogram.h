// LatencyHistogram: push latencies in fixed buckets, cheap to record from
// any thread (one mutex, no allocation), rendered for /metrics.
#pragma once

#include <array>
#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/prometheus_text.h"

namespace echelon::gateway {

class LatencyHistogram {
 public:
  static constexpr std::array<double, 12> kBoundsSeconds = {
      0.001, 0.0025, 0.005, 0.008, 0.0125, 0.02, 0.03, 0.05, 0.1, 0.25, 1.0, 5.0};

  void Record(absl::Duration latency) {
    const double seconds = absl::ToDoubleSeconds(latency);
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < kBoundsSeconds.size(); ++i) {
      if (seconds <= kBoundsSeconds[i]) ++counts_[i];
    }
    ++count_;
    sum_ += seconds;
  }

  void Render(PrometheusText& out, std::string_view name, std::string_view help) const {
    absl::MutexLock lock(&mu_);
    out.Histogram(name, help, {kBoundsSeconds.begin(), kBoundsSeconds.end()},
                  {counts_.begin(), counts_.end()}, count_, sum_);
  }

 private:
  mutable absl::Mutex mu_;
  std::array<uint64_t, kBoundsSeconds.size()> counts_ ABSL_GUARDED_BY(mu_) = {};
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace echelon::gateway
