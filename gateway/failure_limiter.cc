#include "gateway/failure_limiter.h"

namespace echelon::gateway {

std::optional<absl::Duration> FailureLimiter::Blocked(const std::string& address, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = windows_.find(address);
  if (it == windows_.end() || !Live(it->second, now) || it->second.failures < options_.max_failures) {
    return std::nullopt;
  }
  return it->second.start + options_.window - now;
}

void FailureLimiter::RecordFailure(const std::string& address, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = windows_.find(address);
  if (it != windows_.end() && Live(it->second, now)) {
    ++it->second.failures;
    return;
  }
  if (it == windows_.end() && windows_.size() >= options_.max_addresses) {
    absl::erase_if(windows_, [&](const auto& entry) { return !Live(entry.second, now); });
    if (windows_.size() >= options_.max_addresses) return;
  }
  windows_[address] = Window{now, 1};
}

}  // namespace echelon::gateway
