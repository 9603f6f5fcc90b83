#include "gateway/failure_limiter.h"

#include <gtest/gtest.h>

namespace echelon::gateway {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(FailureLimiterTest, BlocksAnAddressAfterMaxFailuresUntilItsWindowEnds) {
  FailureLimiter limiter({.max_failures = 3, .window = absl::Seconds(60)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.Blocked("10.0.0.1", kStart + absl::Seconds(i)));
    limiter.RecordFailure("10.0.0.1", kStart + absl::Seconds(i));
  }
  auto wait = limiter.Blocked("10.0.0.1", kStart + absl::Seconds(10));
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, absl::Seconds(50));
  EXPECT_FALSE(limiter.Blocked("10.0.0.2", kStart + absl::Seconds(10)));  // per address
  EXPECT_FALSE(limiter.Blocked("10.0.0.1", kStart + absl::Seconds(60)));  // a new window
  limiter.RecordFailure("10.0.0.1", kStart + absl::Seconds(61));
  EXPECT_FALSE(limiter.Blocked("10.0.0.1", kStart + absl::Seconds(62)));
}

TEST(FailureLimiterTest, TracksABoundedNumberOfAddresses) {
  FailureLimiter limiter({.max_failures = 1, .window = absl::Seconds(60), .max_addresses = 2});
  limiter.RecordFailure("a", kStart);
  limiter.RecordFailure("b", kStart);
  limiter.RecordFailure("c", kStart);  // full: not tracked
  EXPECT_TRUE(limiter.Blocked("a", kStart));
  EXPECT_FALSE(limiter.Blocked("c", kStart));
  // Once the old windows ended, new addresses are tracked again.
  limiter.RecordFailure("c", kStart + absl::Seconds(61));
  EXPECT_TRUE(limiter.Blocked("c", kStart + absl::Seconds(62)));
}

}  // namespace
}  // namespace echelon::gateway
