#include "tools/load/rss_sampler.h"

#include <algorithm>
#include <cstdlib>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace echelon::load {

int64_t ReadRssKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    // "VmRSS:     12345 kB"
    return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

double ReadCpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // "pid (comm) state ..." : comm may hold spaces, so count fields after ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

RssSampler::RssSampler(std::vector<pid_t> pids, absl::Duration period)
    : pids_(std::move(pids)), period_(period), epoch_(absl::Now()) {}

RssSampler::~RssSampler() { Stop(); }

void RssSampler::Start() { thread_ = std::thread([this] { Run(); }); }

void RssSampler::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

double RssSampler::Now() const { return absl::ToDoubleSeconds(absl::Now() - epoch_); }

int64_t RssSampler::SampleNow() {
  int64_t total = 0;
  for (pid_t pid : pids_) total += ReadRssKb(pid);
  const double t = Now();
  absl::MutexLock lock(&mu_);
  samples_.push_back({t, total});
  return total;
}

void RssSampler::Run() {
  do {
    SampleNow();
  } while (!stop_.WaitForNotificationWithTimeout(period_));
}

int64_t RssSampler::PeakKb(double from, double to) const {
  absl::MutexLock lock(&mu_);
  int64_t peak = 0;
  for (const RssSample& s : samples_) {
    if (s.t >= from && s.t <= to) peak = std::max(peak, s.rss_kb);
  }
  return peak;
}

std::vector<int64_t> RssSampler::PerSecondPeakKb() const {
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> series;  // -1: no sample in that second yet
  for (const RssSample& s : samples_) {
    const size_t second = static_cast<size_t>(s.t);
    if (series.size() <= second) series.resize(second + 1, -1);
    series[second] = std::max(series[second], s.rss_kb);
  }
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i] < 0) series[i] = i > 0 ? series[i - 1] : 0;
  }
  return series;
}

std::vector<RssSample> RssSampler::samples() const {
  absl::MutexLock lock(&mu_);
  return samples_;
}

}  // namespace echelon::load
