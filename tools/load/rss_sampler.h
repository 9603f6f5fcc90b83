// RssSampler: the resident memory of a few processes (the servers under test),
// read from /proc/PID/status (VmRSS) every `period` on its own thread. Keeps
// every sample so a tool can ask for the peak over any window and for a
// per-second series (the soak's RSS curve). Samples sum the RSS of all
// watched processes (a core plus its gateways counts as one server).
//
//   RssSampler rss({server->pid()}, absl::Milliseconds(20));
//   rss.Start();
//   const double t0 = rss.Now();
//   ... run ...
//   double peak_mb = rss.PeakKb(t0, rss.Now()) / 1024.0;
//   rss.Stop();
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace echelon::load {

// VmRSS of `pid` in KiB; 0 when it cannot be read (the process is gone).
int64_t ReadRssKb(pid_t pid);

// User + system CPU time `pid` has used so far, in seconds (/proc/PID/stat).
// A benchmark's most robust figure on a shared machine: other load slows a
// server down but does not make it do more work.
double ReadCpuSeconds(pid_t pid);

struct RssSample {
  double t = 0;        // seconds since the sampler was created
  int64_t rss_kb = 0;  // summed over the watched processes
};

class RssSampler {
 public:
  RssSampler(std::vector<pid_t> pids, absl::Duration period);
  ~RssSampler();

  void Start();
  void Stop();

  // Seconds since construction, on the samples' clock.
  double Now() const;
  // Takes one sample right now (also usable without Start()).
  int64_t SampleNow();

  // Largest sample with from <= t <= to (0 when there is none).
  int64_t PeakKb(double from, double to) const;
  // One value per whole second since construction: the largest sample in it
  // (a second without samples repeats the previous value).
  std::vector<int64_t> PerSecondPeakKb() const;
  std::vector<RssSample> samples() const;

 private:
  void Run();

  const std::vector<pid_t> pids_;
  const absl::Duration period_;
  const absl::Time epoch_;
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<RssSample> samples_ ABSL_GUARDED_BY(mu_);
};

}  // namespace echelon::load
