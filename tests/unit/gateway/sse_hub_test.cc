// SseHub against a fake core (FakeReplayLink): one upstream subscription fans
// each event out to every viewer as the same shared bytes, the viewer limit
// refuses extra viewers, stalled viewers are dropped by their outbox limits
// while the others go on, and a broken upstream is subscribed again after the
// last event it delivered. No sleeps: every wait is for a condition.
#include "gateway/sse_hub.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "tests/unit/gateway/fake_replay_link.h"

namespace echelon::gateway {
namespace {

using fakes::ChunkEvent;
using fakes::FakeReplayLink;
using fakes::StartEvent;

constexpr absl::Duration kWait = absl::Seconds(10);

using fakes::Eventually;

class SseHubTest : public ::testing::Test {
 protected:
  void StartHub(SseHubOptions options = {}) {
    hub_ = std::make_unique<SseHub>(options, link_);
    hub_->Start();
    ASSERT_TRUE(link_->WaitForUpstreamSubscriptions(1, kWait));
    ASSERT_TRUE(Eventually([&] { return hub_->stats().upstream_connected; }));
  }

  std::shared_ptr<SseClient> JoinOrDie(bool omit_world = false, uint64_t after_id = 0) {
    absl::StatusOr<std::shared_ptr<SseClient>> client = hub_->Join(omit_world, after_id);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : nullptr;
  }

  // Publishes on the fake core and waits until the hub has fanned it out.
  void PublishAndWait(protocol::SharedEvent event) {
    const uint64_t before = hub_->stats().events;
    link_->Publish(std::move(event));
    ASSERT_TRUE(Eventually([&] { return hub_->stats().events > before; }));
  }

  std::shared_ptr<FakeReplayLink> link_ = std::make_shared<FakeReplayLink>();
  std::unique_ptr<SseHub> hub_;
};

TEST_F(SseHubTest, OneEventReachesEveryViewerAsTheSameSharedBytes) {
  StartHub();
  std::vector<std::shared_ptr<SseClient>> viewers = {JoinOrDie(), JoinOrDie(), JoinOrDie()};
  const protocol::SharedEvent chunk = ChunkEvent(1, "r1", 0, "[{\"t\":0},{\"t\":1}]");
  PublishAndWait(chunk);

  std::vector<Outbox<SseFrame>::Item> items;
  for (const auto& viewer : viewers) {
    std::optional<Outbox<SseFrame>::Item> item = viewer->outbox().PopWait(kWait);
    ASSERT_TRUE(item.has_value());
    items.push_back(*item);
  }
  for (const auto& item : items) {
    EXPECT_EQ(item.id, 1u);
    // One frame for all viewers, and its body is the event's own frames.
    EXPECT_EQ(item.value.get(), items[0].value.get());
    EXPECT_EQ(item.value->body.data(), chunk->replay_chunk().frames_json().data());
  }
  EXPECT_NE(items[0].value->Flatten().find("event: replay_chunk\n"), std::string::npos);
  const SseHubStats stats = hub_->stats();
  EXPECT_EQ(stats.events, 1u);
  EXPECT_EQ(stats.event_bytes, items[0].value->sse_size);
  EXPECT_EQ(stats.clients, 3u);
}

TEST_F(SseHubTest, ViewersThatOmitTheWorldShareALeanStart) {
  StartHub();
  std::shared_ptr<SseClient> full = JoinOrDie(/*omit_world=*/false);
  std::shared_ptr<SseClient> lean1 = JoinOrDie(/*omit_world=*/true);
  std::shared_ptr<SseClient> lean2 = JoinOrDie(/*omit_world=*/true);
  PublishAndWait(StartEvent(1, "r1", "{\"size\":[4,4,4]}"));

  auto full_item = full->outbox().PopWait(kWait);
  auto lean_item1 = lean1->outbox().PopWait(kWait);
  auto lean_item2 = lean2->outbox().PopWait(kWait);
  ASSERT_TRUE(full_item && lean_item1 && lean_item2);
  EXPECT_NE(full_item->value->Flatten().find("\"world\":{\"size\":[4,4,4]}"), std::string::npos);
  EXPECT_EQ(lean_item1->value->Flatten().find("\"world\""), std::string::npos);
  EXPECT_EQ(lean_item1->value.get(), lean_item2->value.get());
  EXPECT_LT(lean_item1->bytes, full_item->bytes);
}

TEST_F(SseHubTest, RefusesViewersBeyondMaxClientsUntilOneLeaves) {
  SseHubOptions options;
  options.max_clients = 2;
  StartHub(options);
  std::shared_ptr<SseClient> first = JoinOrDie();
  std::shared_ptr<SseClient> second = JoinOrDie();
  absl::StatusOr<std::shared_ptr<SseClient>> third = hub_->Join(false, 0);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted) << third.status();
  EXPECT_EQ(hub_->stats().rejected, 1u);
  EXPECT_EQ(hub_->client_count(), 2u);

  hub_->Leave(first);
  EXPECT_TRUE(first->outbox().closed());
  EXPECT_EQ(hub_->client_count(), 1u);
  EXPECT_TRUE(hub_->Join(false, 0).ok());
  EXPECT_EQ(hub_->stats().connections, 3u);
}

TEST_F(SseHubTest, ViewerOverItsByteLimitIsDroppedWhileOthersGoOn) {
  SseHubOptions options;
  options.client_limits = {.max_bytes = 4096, .max_wait = absl::Hours(1)};
  StartHub(options);
  std::shared_ptr<SseClient> stalled = JoinOrDie();
  std::shared_ptr<SseClient> healthy = JoinOrDie();
  const std::string frames = "[\"" + std::string(1500, 'x') + "\"]";
  for (uint32_t i = 0; i < 4; ++i) {
    PublishAndWait(ChunkEvent(i + 1, "r1", i, frames));
    // The healthy viewer takes each event; the stalled one takes none.
    auto item = healthy->outbox().PopWait(kWait);
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->id, i + 1);
  }
  EXPECT_TRUE(stalled->outbox().closed());
  EXPECT_TRUE(stalled->dropped_as_slow());
  EXPECT_EQ(stalled->outbox().close_reason(), "send queue over its byte limit");
  EXPECT_FALSE(healthy->outbox().closed());

  hub_->Leave(stalled);
  EXPECT_EQ(hub_->stats().dropped_slow, 1u);
  hub_->Leave(healthy);
  EXPECT_EQ(hub_->stats().dropped_slow, 1u);  // a viewer that left is not a drop
}

TEST_F(SseHubTest, ViewerThatTakesNothingWithinTheBroadcastTimeoutIsDropped) {
  constexpr absl::Duration kTimeout = absl::Milliseconds(20);
  SseHubOptions options;
  options.client_limits = {.max_bytes = 64u << 20, .max_wait = kTimeout};
  StartHub(options);
  std::shared_ptr<SseClient> stalled = JoinOrDie();
  std::shared_ptr<SseClient> healthy = JoinOrDie();
  PublishAndWait(ChunkEvent(1, "r1", 0, "[1]"));
  ASSERT_TRUE(healthy->outbox().PopWait(kWait).has_value());
  // The limit is about time: let the stalled viewer's event outlive it.
  const absl::Time overdue = absl::Now() + 2 * kTimeout;
  ASSERT_TRUE(Eventually([&] { return absl::Now() > overdue; }));
  PublishAndWait(ChunkEvent(2, "r1", 1, "[2]"));

  EXPECT_TRUE(stalled->outbox().closed());
  EXPECT_TRUE(stalled->dropped_as_slow());
  EXPECT_EQ(stalled->outbox().close_reason(), "did not take an event within the broadcast timeout");
  auto item = healthy->outbox().PopWait(kWait);
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->id, 2u);
  EXPECT_FALSE(healthy->outbox().closed());
}

TEST_F(SseHubTest, UpstreamThatEndsIsSubscribedAgainAfterTheLastEventItDelivered) {
  StartHub();
  std::shared_ptr<SseClient> viewer = JoinOrDie();
  PublishAndWait(StartEvent(1, "r1", "{}"));
  PublishAndWait(ChunkEvent(2, "r1", 0, "[1]"));

  link_->EndUpstream(absl::UnavailableError("core went away"));
  ASSERT_TRUE(link_->WaitForUpstreamSubscriptions(2, kWait));
  const auto requests = link_->upstream_requests();
  EXPECT_EQ(requests[0].after_id(), 0u);
  EXPECT_EQ(requests[1].after_id(), 2u);
  ASSERT_TRUE(Eventually([&] { return hub_->stats().upstream_connected; }));

  // Events on the new subscription reach the viewer that stayed.
  PublishAndWait(ChunkEvent(3, "r1", 1, "[2]"));
  std::vector<uint64_t> ids;
  while (ids.size() < 3) {
    auto item = viewer->outbox().PopWait(kWait);
    ASSERT_TRUE(item.has_value());
    ids.push_back(item->id);
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_FALSE(viewer->outbox().closed());
}

TEST_F(SseHubTest, JoinStartsTheViewersCatchUpFromItsLastEventId) {
  StartHub();
  std::shared_ptr<SseClient> viewer = JoinOrDie(/*omit_world=*/true, /*after_id=*/41);
  const auto requests = link_->catch_up_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].backlog_only());
  EXPECT_TRUE(requests[0].omit_world());
  EXPECT_EQ(requests[0].after_id(), 41u);
}

TEST_F(SseHubTest, StopFromAnotherThreadClosesViewersAndTheUpstream) {
  StartHub();
  std::shared_ptr<SseClient> viewer = JoinOrDie();
  std::shared_ptr<fakes::FakeEventStream> upstream = link_->upstream();
  // The upstream thread is blocked in Next() on an empty stream.
  ASSERT_TRUE(Eventually([&] { return upstream->reader_waiting(); }));

  absl::Notification stopped;
  std::thread stopper([&] {
    hub_->Stop();
    stopped.Notify();
  });
  EXPECT_TRUE(stopped.WaitForNotificationWithTimeout(kWait));
  stopper.join();
  EXPECT_TRUE(upstream->cancelled());
  EXPECT_TRUE(viewer->outbox().closed());
  EXPECT_EQ(viewer->outbox().close_reason(), "server is shutting down");
  EXPECT_EQ(hub_->Join(false, 0).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace echelon::gateway
