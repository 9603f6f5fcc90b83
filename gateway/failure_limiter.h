// FailureLimiter: slows down token guessing. Each client address may fail
// authentication (a wrong token at login or in a bearer header) at most
// `max_failures` times per `window`; after that it is refused (429 with
// Retry-After) until its window ends, right token or not, so a guesser
// learns nothing more. Requests without any token do not count: a browser
// that has not logged in yet is not guessing. Addresses are forgotten when
// their window ends; at most `max_addresses` are tracked (a flood of new
// addresses evicts expired ones first, then refuses to track more, which
// only means those addresses are not limited).
//
//   FailureLimiter limiter({.max_failures = 10, .window = absl::Minutes(1)});
//   if (auto wait = limiter.Blocked(addr, now)) return TooManyRequests(*wait);
//   if (wrong) limiter.RecordFailure(addr, now);
//
// Thread safety: all methods may be called from any HTTP worker.
#pragma once

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace echelon::gateway {

struct FailureLimiterOptions {
  int max_failures = 10;
  absl::Duration window = absl::Minutes(1);
  size_t max_addresses = 65536;
};

class FailureLimiter {
 public:
  explicit FailureLimiter(FailureLimiterOptions options) : options_(options) {}

  // How long `address` must wait before trying again; nullopt when it may try.
  std::optional<absl::Duration> Blocked(const std::string& address, absl::Time now) const;
  void RecordFailure(const std::string& address, absl::Time now);

 private:
  struct Window {
    absl::Time start;
    int failures = 0;
  };
  bool Live(const Window& w, absl::Time now) const { return now < w.start + options_.window; }

  const FailureLimiterOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
};

}  // namespace echelon::gateway
