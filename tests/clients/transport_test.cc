// Transport pieces that need no server: retries, URLs, push bodies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clients/cpp/http_pusher.h"
#include "clients/cpp/push_options.h"
#include "clients/cpp/retry.h"

namespace echelon::client {
namespace {

RetryPolicy FastPolicy(int retries) {
  return {.retries = retries, .initial_backoff = absl::Milliseconds(1), .max_backoff = absl::Milliseconds(4)};
}

TEST(RetryTest, RetriesTransientFailuresUntilSuccess) {
  int calls = 0;
  std::vector<int> observed;
  absl::Status status = RetryWithBackoff(
      FastPolicy(5),
      [&](int attempt) {
        EXPECT_EQ(attempt, calls);
        return ++calls < 3 ? absl::UnavailableError("down") : absl::OkStatus();
      },
      [&](int attempt, const absl::Status& why, absl::Duration) {
        observed.push_back(attempt);
        EXPECT_EQ(why.code(), absl::StatusCode::kUnavailable);
      });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(observed, (std::vector<int>{1, 2}));
}

TEST(RetryTest, GivesUpAfterTheRetries) {
  int calls = 0;
  absl::Status status = RetryWithBackoff(FastPolicy(2), [&](int) {
    ++calls;
    return absl::DeadlineExceededError("slow");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 3);
}

TEST(RetryTest, DoesNotRetryRejections) {
  int calls = 0;
  absl::Status status = RetryWithBackoff(FastPolicy(5), [&](int) {
    ++calls;
    return absl::InvalidArgumentError("bad chunk");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(IsRetriable(absl::AbortedError("")));
  EXPECT_FALSE(IsRetriable(absl::ResourceExhaustedError("too big")));
}

TEST(RetryTest, BackoffDoublesWithJitterAndIsCapped) {
  const RetryPolicy policy{.retries = 10, .initial_backoff = absl::Milliseconds(100), .max_backoff = absl::Seconds(1)};
  for (int retry = 1; retry <= 8; ++retry) {
    const absl::Duration base = std::min(absl::Milliseconds(100) * (1 << (retry - 1)), absl::Seconds(1));
    const absl::Duration delay = BackoffDelay(policy, retry);
    EXPECT_GE(delay, base * 0.8) << retry;
    EXPECT_LE(delay, base * 1.2) << retry;
  }
}

TEST(HttpBaseUrlTest, AcceptsTrainerStyleUrls) {
  for (const char* url : {"http://127.0.0.1:8090", "http://127.0.0.1:8090/", "http://127.0.0.1:8090/push",
                          "http://127.0.0.1:8090/push/"}) {
    auto base = HttpBaseUrl(url);
    ASSERT_TRUE(base.ok()) << url;
    EXPECT_EQ(*base, "http://127.0.0.1:8090");
  }
  EXPECT_EQ(*HttpBaseUrl("http://replays.lan"), "http://replays.lan");
  for (const char* url : {"https://x:1", "127.0.0.1:8090", "http://", "http://h:1/prefix/push"}) {
    EXPECT_EQ(HttpBaseUrl(url).status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
}

TEST(PushBodyTest, SplicesFramesAndPutsMetaOnlyWhenGiven) {
  const std::string frames = R"([{"t":0.25,"x":1E2}])";
  const std::string first = PushBody("r1", "abcdef0123456789", 0, 3, frames, R"({"episode":1})", R"({"n":2})");
  EXPECT_NE(first.find(frames), std::string::npos);  // verbatim, 1E2 included
  const nlohmann::json body = nlohmann::json::parse(first);
  EXPECT_EQ(body["replay_id"], "r1");
  EXPECT_EQ(body["world_ref"], "abcdef0123456789");
  EXPECT_EQ(body["chunk_index"], 0);
  EXPECT_EQ(body["chunk_count"], 3);
  EXPECT_EQ(body["meta"]["episode"], 1);
  EXPECT_EQ(body["run"]["n"], 2);
  const nlohmann::json later = nlohmann::json::parse(PushBody("r1", "h", 2, 3, frames, "", ""));
  EXPECT_FALSE(later.contains("meta"));
  EXPECT_FALSE(later.contains("run"));
}

TEST(ReplayIdTest, IsTwelveHexDigitsAndFresh) {
  const std::string a = NewReplayId(), b = NewReplayId();
  EXPECT_EQ(a.size(), 12u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace echelon::client
