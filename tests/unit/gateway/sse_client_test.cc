// SseClient against a fake core (FakeReplayLink): a viewer is greeted, gets
// its catch-up from its Last-Event-ID, then its live events, each event once;
// Close() from another thread ends a stream blocked on the core or on its
// outbox; a socket that fails or stops taking data ends the stream, and only
// the latter counts as a slow viewer. No sleeps as synchronization.
#include "gateway/sse_client.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "tests/unit/gateway/fake_replay_link.h"

namespace echelon::gateway {
namespace {

using fakes::ChunkEvent;
using fakes::Eventually;
using fakes::FakeReplayLink;
using fakes::StartEvent;

constexpr absl::Duration kWait = absl::Seconds(10);
constexpr absl::Duration kKeepalive = absl::Seconds(15);
const OutboxLimits kLimits{.max_bytes = 1 << 20, .max_wait = absl::Seconds(1)};

// Collects what the client writes, as the HTTP worker's socket would.
struct CapturingSink {
  CapturingSink() {
    sink.write = [this](const char* data, size_t size) {
      text.append(data, size);
      return true;
    };
  }
  // The ids of the SSE events written so far, in order.
  std::vector<uint64_t> Ids() const {
    static const std::regex kIdLine("(^|\n)id: ([0-9]+)\n");
    std::vector<uint64_t> ids;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kIdLine); it != std::sregex_iterator(); ++it) {
      ids.push_back(std::stoull((*it)[2]));
    }
    return ids;
  }

  httplib::DataSink sink;
  std::string text;
};

void PushLive(SseClient& client, const protocol::SharedEvent& event) {
  const SseBytes bytes = EncodeSseChunk(event);
  const PushResult result = client.outbox().Push(bytes, bytes->sse_size, event->id());
  ASSERT_TRUE(result == PushResult::kQueued || result == PushResult::kWokeIdleConsumer);
}

TEST(SseClientTest, GreetsThenCatchesUpFromLastEventIdThenGoesLiveWithoutRepeats) {
  FakeReplayLink core;
  core.Publish(StartEvent(1, "r1", "{}"));
  core.Publish(ChunkEvent(2, "r1", 0, "[1]"));
  core.Publish(ChunkEvent(3, "r1", 1, "[2]"));
  SseClient client(1, /*omit_world=*/false, kLimits);
  client.StartCatchUp(core, /*after_id=*/1, "");
  // Live events that overlap the catch-up (3) and one after it (4), as the
  // hub queues them while the catch-up is being read.
  PushLive(client, ChunkEvent(3, "r1", 1, "[2]"));
  PushLive(client, ChunkEvent(4, "r1", 2, "[3]"));

  CapturingSink out;
  ASSERT_TRUE(client.WriteNext(out.sink, kKeepalive));
  EXPECT_EQ(out.text.find("retry: 1000\n"), out.text.find("\r\n") + 2) << out.text;
  // Each call writes one piece (an event or, at worst, a liveness probe).
  for (int call = 0; call < 10 && out.Ids().size() < 3; ++call) ASSERT_TRUE(client.WriteNext(out.sink, kKeepalive));
  EXPECT_EQ(out.Ids(), (std::vector<uint64_t>{2, 3, 4}));
  ASSERT_EQ(core.catch_up_requests().size(), 1u);
  EXPECT_EQ(core.catch_up_requests()[0].after_id(), 1u);
  EXPECT_TRUE(core.catch_up_requests()[0].backlog_only());
  // Counted without the HTTP chunk framing.
  EXPECT_GT(client.bytes_sent(), 0u);
  EXPECT_LT(client.bytes_sent(), out.text.size());
}

TEST(SseClientTest, CloseFromAnotherThreadEndsAStreamWaitingForTheCore) {
  FakeReplayLink core(/*hold_catch_up=*/true);
  core.Publish(StartEvent(1, "r1", "{}"));
  SseClient client(1, false, kLimits);
  client.StartCatchUp(core, 0, "");
  std::shared_ptr<fakes::FakeEventStream> catch_up = core.last_catch_up();

  CapturingSink out;
  absl::Notification ended;
  std::thread worker([&] {
    while (client.WriteNext(out.sink, kKeepalive)) {
    }
    ended.Notify();
  });
  // The worker has written the backlog and waits for more from the core.
  ASSERT_TRUE(Eventually([&] { return catch_up->reader_waiting(); }));
  client.Close("server is shutting down");
  EXPECT_TRUE(ended.WaitForNotificationWithTimeout(kWait));
  worker.join();
  EXPECT_TRUE(catch_up->cancelled());
  EXPECT_EQ(out.Ids(), std::vector<uint64_t>{1});
  EXPECT_EQ(client.outbox().close_reason(), "server is shutting down");
  EXPECT_FALSE(client.dropped_as_slow());
}

TEST(SseClientTest, CloseFromAnotherThreadEndsAStreamWaitingForLiveEvents) {
  FakeReplayLink core;
  SseClient client(1, false, kLimits);
  client.StartCatchUp(core, 0, "");
  CapturingSink out;
  absl::Notification greeted;
  absl::Notification ended;
  std::thread worker([&] {
    while (client.WriteNext(out.sink, kKeepalive)) {
      if (!greeted.HasBeenNotified()) greeted.Notify();
    }
    ended.Notify();
  });
  ASSERT_TRUE(greeted.WaitForNotificationWithTimeout(kWait));
  client.Close("viewer left");
  EXPECT_TRUE(ended.WaitForNotificationWithTimeout(kWait));
  worker.join();
  EXPECT_TRUE(out.Ids().empty());
}

TEST(SseClientTest, CloseBeforeTheCatchUpStartsCancelsIt) {
  FakeReplayLink core(/*hold_catch_up=*/true);
  SseClient client(1, false, kLimits);
  client.Close("viewer left");
  client.StartCatchUp(core, 0, "");
  EXPECT_TRUE(core.last_catch_up()->cancelled());
  CapturingSink out;
  // The greeting, then the end: nothing blocks on the cancelled catch-up.
  EXPECT_TRUE(client.WriteNext(out.sink, kKeepalive));
  EXPECT_FALSE(client.WriteNext(out.sink, kKeepalive));
}

TEST(SseClientTest, FailedSocketWriteEndsTheStreamWithoutCountingASlowViewer) {
  FakeReplayLink core;
  SseClient client(1, false, kLimits);
  client.StartCatchUp(core, 0, "");
  httplib::DataSink broken;
  broken.write = [](const char*, size_t) { return false; };
  EXPECT_FALSE(client.WriteNext(broken, kKeepalive));
  EXPECT_TRUE(client.outbox().closed());
  EXPECT_EQ(client.outbox().close_reason(), "socket write failed");
  EXPECT_FALSE(client.dropped_as_slow());
}

TEST(SseClientTest, SocketWriteThatTimesOutMarksTheViewerSlow) {
  constexpr absl::Duration kBroadcastTimeout = absl::Milliseconds(20);
  FakeReplayLink core;
  SseClient client(1, false, {.max_bytes = 1 << 20, .max_wait = kBroadcastTimeout});
  client.StartCatchUp(core, 0, "");
  // cpp-httplib's write gives up after the server's write timeout, which the
  // gateway sets to the broadcast timeout: a viewer whose socket buffer is
  // full. The fake takes that long, then fails.
  httplib::DataSink stuck;
  stuck.write = [&](const char*, size_t) {
    const absl::Time timed_out = absl::Now() + kBroadcastTimeout;
    while (absl::Now() < timed_out) absl::SleepFor(timed_out - absl::Now());
    return false;
  };
  EXPECT_FALSE(client.WriteNext(stuck, kKeepalive));
  EXPECT_TRUE(client.dropped_as_slow());
  EXPECT_EQ(client.outbox().close_reason(), "did not accept data within the broadcast timeout");
}

}  // namespace
}  // namespace echelon::gateway
