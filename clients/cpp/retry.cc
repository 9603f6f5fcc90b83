#include "clients/cpp/retry.h"

#include <algorithm>
#include <random>

#include "absl/time/clock.h"

namespace echelon::client {

bool IsRetriable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

absl::Duration BackoffDelay(const RetryPolicy& policy, int retry) {
  absl::Duration delay = policy.initial_backoff;
  for (int i = 1; i < retry && delay < policy.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, policy.max_backoff);
  thread_local std::minstd_rand jitter(std::random_device{}());
  return delay * std::uniform_real_distribution<double>(0.8, 1.2)(jitter);
}

absl::Status RetryWithBackoff(const RetryPolicy& policy,
                              const std::function<absl::Status(int attempt)>& op,
                              const RetryObserver& on_retry, const RetryWait& wait) {
  for (int attempt = 0;; ++attempt) {
    absl::Status status = op(attempt);
    if (status.ok() || !IsRetriable(status) || attempt >= policy.retries) return status;
    const absl::Duration backoff = BackoffDelay(policy, attempt + 1);
    if (on_retry) on_retry(attempt + 1, status, backoff);
    if (wait) {
      wait(status, backoff);
    } else {
      absl::SleepFor(backoff);
    }
  }
}

}  // namespace echelon::client
