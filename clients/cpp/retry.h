// Bounded retries with exponential backoff, shared by the gRPC and HTTP
// transports. Only transient failures are retried (UNAVAILABLE,
// DEADLINE_EXCEEDED, ABORTED): a rejected chunk stays rejected however often
// it is sent.
//
//   RetryPolicy policy{.retries = 5};
//   absl::Status s = RetryWithBackoff(policy, [&](int attempt) { return SendChunk(i); },
//                                     [](int attempt, const absl::Status& why, absl::Duration wait) {
//                                       LogRetry(attempt, why, wait);
//                                     });
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace echelon::client {

struct RetryPolicy {
  int retries = 5;  // attempts after the first one
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
};

// Whether another attempt may succeed where this one failed.
bool IsRetriable(const absl::Status& status);

// The wait before retry number `retry` (1-based): initial * 2^(retry-1),
// capped, with +-20% jitter so that many producers do not retry in lockstep.
absl::Duration BackoffDelay(const RetryPolicy& policy, int retry);

using RetryObserver = std::function<void(int attempt, const absl::Status& why, absl::Duration wait)>;
// How the backoff before the next attempt is spent; by default it is slept.
// A gRPC client waits for its channel to reconnect instead (returning early).
using RetryWait = std::function<void(const absl::Status& why, absl::Duration backoff)>;

// Runs `op(attempt)` (attempt 0 first) until it succeeds, fails with a
// non-retriable status, or the retries are used up; returns the last status.
[[nodiscard]] absl::Status RetryWithBackoff(const RetryPolicy& policy,
                                            const std::function<absl::Status(int attempt)>& op,
                                            const RetryObserver& on_retry = {},
                                            const RetryWait& wait = {});

}  // namespace echelon::client
