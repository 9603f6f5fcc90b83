#include "server/replay/local_replay_link.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "server/world/world_store.h"

namespace echelon {
namespace {

namespace v1 = echelon::replay::v1;

constexpr char kWorld[] = R"({"size":[4,4,4],"walls":[]})";

class LocalReplayLinkTest : public ::testing::Test {
 protected:
  void MakeLink(std::string push_token = "", std::string view_token = "") {
    auth_ = std::make_unique<AuthPolicy>(std::move(push_token), std::move(view_token));
    hash_ = store_.Put(kWorld, "")->hash;
    hub_ = std::make_unique<replay::ReplayHub>(replay::HubOptions{},
                                               [this](const std::string& h) { return store_.Get(h); });
    link_ = std::make_unique<LocalReplayLink>(*hub_, *auth_);
  }

  json::ParsedPush Push(uint32_t index, uint32_t count) {
    json::ParsedPush push;
    push.chunk.set_replay_id("r");
    push.chunk.set_world_ref(hash_);
    push.chunk.set_chunk_index(index);
    push.chunk.set_chunk_count(count);
    push.chunk.set_frames_json(R"([{"tick":1}])");
    push.frame_count = 1;
    return push;
  }

  static v1::SubscribeRequest BacklogOnly() {
    v1::SubscribeRequest request;
    request.set_backlog_only(true);
    return request;
  }

  world::WorldStore store_{{}};
  std::string hash_;
  std::unique_ptr<AuthPolicy> auth_;
  std::unique_ptr<replay::ReplayHub> hub_;
  std::unique_ptr<LocalReplayLink> link_;
};

TEST_F(LocalReplayLinkTest, PushReachesALiveSubscriberAsTheHubsOwnEvents) {
  MakeLink();
  auto stream = link_->Subscribe({}, "");
  ASSERT_TRUE(stream->WaitSubscribed());
  auto ack = link_->Push(Push(0, 1), "");
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->replay_id(), "r");
  EXPECT_EQ(ack->clients_notified(), 1u);
  EXPECT_FALSE(ack->duplicate());

  protocol::SharedEvent start, chunk, end;
  ASSERT_TRUE(stream->Next(&start) && stream->Next(&chunk) && stream->Next(&end));
  EXPECT_TRUE(start->has_replay_start());
  EXPECT_EQ(chunk->replay_chunk().frames_json(), R"([{"tick":1}])");
  EXPECT_TRUE(end->has_replay_end());
  EXPECT_TRUE(link_->Push(Push(0, 1), "")->duplicate());
}

TEST_F(LocalReplayLinkTest, ABacklogOnlyStreamEndsAfterTheBacklog) {
  MakeLink();
  ASSERT_TRUE(link_->Push(Push(0, 2), "").ok());
  auto stream = link_->Subscribe(BacklogOnly(), "");
  protocol::SharedEvent event;
  ASSERT_TRUE(stream->Next(&event));
  EXPECT_TRUE(event->has_replay_start());
  ASSERT_TRUE(stream->Next(&event));
  EXPECT_EQ(event->replay_chunk().chunk_index(), 0u);
  EXPECT_FALSE(stream->Next(&event));
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(hub_->stats().subscribers, 0u);
}

TEST_F(LocalReplayLinkTest, CancelWakesABlockedReaderFromAnotherThread) {
  MakeLink();
  auto stream = link_->Subscribe({}, "");
  absl::Notification done;
  std::thread reader([&] {
    protocol::SharedEvent event;
    EXPECT_FALSE(stream->Next(&event));
    done.Notify();
  });
  stream->Cancel();
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Milliseconds(500)));
  reader.join();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(LocalReplayLinkTest, HubShutdownEndsTheStreamWithUnavailable) {
  MakeLink();
  auto stream = link_->Subscribe({}, "");
  hub_->Shutdown();
  protocol::SharedEvent event;
  EXPECT_FALSE(stream->Next(&event));
  EXPECT_EQ(stream->Finish().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(link_->Subscribe({}, "")->WaitSubscribed());
}

TEST_F(LocalReplayLinkTest, TokensAreCheckedAsOverGrpc) {
  MakeLink("push-secret", "view-secret");
  EXPECT_EQ(link_->Push(Push(0, 1), "").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(link_->Push(Push(0, 1), "Bearer view-secret").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(link_->Push(Push(0, 1), "Bearer push-secret").ok());

  auto refused = link_->Subscribe({}, "Bearer wrong");
  EXPECT_FALSE(refused->WaitSubscribed());
  protocol::SharedEvent event;
  EXPECT_FALSE(refused->Next(&event));
  EXPECT_EQ(refused->Finish().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(link_->Subscribe({}, "Bearer view-secret")->WaitSubscribed());
  EXPECT_TRUE(link_->Subscribe({}, "Bearer push-secret")->WaitSubscribed());
}

}  // namespace
}  // namespace echelon
