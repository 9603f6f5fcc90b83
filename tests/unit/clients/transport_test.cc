// Transport pieces that need no server: retries, URLs, chunks and push bodies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clients/cpp/http_pusher.h"
#include "clients/cpp/push_job.h"
#include "clients/cpp/replay.h"
#include "clients/cpp/push_options.h"
#include "clients/cpp/retry.h"
#include "protocol/chunk_codec.h"

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
  EXPECT_EQ(*HttpBaseUrl("https://replays.lan:8443/push"), "https://replays.lan:8443");
  for (const char* url : {"ftp://x:1", "127.0.0.1:8090", "http://", "https://", "http://h:1/prefix/push"}) {
    EXPECT_EQ(HttpBaseUrl(url).status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
}

TEST(PushJobTest, ChunkZeroCarriesMetaAndRunAndTheHttpBodyIsThePushJson) {
  auto replay = Replay::Parse(R"({"world":{"size":[4,4,4],"walls":[]},"meta":{"episode":1},"run":{"n":2},
                                  "frames":[{"t":0.25,"x":1E2},{"t":0.5},{"t":0.75}]})");
  ASSERT_TRUE(replay.ok()) << replay.status();
  PushOptions options;
  options.chunk_frames = 2;
  options.replay_id = "r1";
  auto job = internal::PushJob::Start(*replay, options);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->chunk_count, 2);
  EXPECT_EQ(job->world_hash.size(), 16u);

  const auto first = job->Chunk(0);
  EXPECT_EQ(first.frames_json(), R"([{"t":0.25,"x":1E2},{"t":0.5}])");  // verbatim slice
  const nlohmann::json body = nlohmann::json::parse(json::ChunkToPushJson(first));
  EXPECT_EQ(body["replay_id"], "r1");
  EXPECT_EQ(body["world_ref"], job->world_hash);
  EXPECT_EQ(body["chunk_index"], 0);
  EXPECT_EQ(body["chunk_count"], 2);
  EXPECT_EQ(body["frames"].size(), 2u);
  EXPECT_EQ(body["meta"]["episode"], 1);
  EXPECT_EQ(body["run"]["n"], 2);

  const nlohmann::json later = nlohmann::json::parse(json::ChunkToPushJson(job->Chunk(1)));
  EXPECT_FALSE(later.contains("meta"));
  EXPECT_FALSE(later.contains("run"));
}

TEST(PushJobTest, RejectsReplaysWithoutFramesOrWithABadWorld) {
  PushOptions options;
  auto empty = Replay::Parse(R"({"world":{"size":[4,4,4],"walls":[]},"frames":[]})");
  EXPECT_EQ(internal::PushJob::Start(*empty, options).status().code(), absl::StatusCode::kInvalidArgument);
  auto nan_world = Replay::Parse(R"({"world":{"x":NaN},"frames":[{}]})");
  if (nan_world.ok()) {
    EXPECT_EQ(internal::PushJob::Start(*nan_world, options).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ReplayIdTest, IsTwelveHexDigitsAndFresh) {
  const std::string a = NewReplayId(), b = NewReplayId();
  EXPECT_EQ(a.size(), 12u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace echelon::client
