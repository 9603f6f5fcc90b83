#include "server/replay/replay_hub.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "protocol/world_hash.h"

namespace echelon::replay {
namespace {

constexpr char kWorld[] = R"({"size":[4,4,4],"walls":[[0,0,0,1]]})";

class ReplayHubTest : public ::testing::Test {
 protected:
  void MakeHub(HubOptions options = {}) {
    hash_ = store_.Put(kWorld, "")->hash;
    hub_ = std::make_unique<ReplayHub>(options, [this](const std::string& h) { return store_.Get(h); });
  }

  v1::ReplayChunk Chunk(const std::string& id, uint32_t index, uint32_t count, size_t frame_bytes = 10) {
    v1::ReplayChunk chunk;
    chunk.set_replay_id(id);
    chunk.set_world_ref(hash_);
    chunk.set_chunk_index(index);
    chunk.set_chunk_count(count);
    chunk.set_frames_json(absl::StrCat(R"([{"pad":")", std::string(frame_bytes, 'x'), "\"}]"));
    return chunk;
  }

  static std::vector<EventPtr> Drain(Subscription& sub) {
    std::vector<EventPtr> events;
    while (auto item = sub.outbox().PopOrIdle()) events.push_back(item->value);
    return events;
  }

  static std::string Kinds(const std::vector<EventPtr>& events) {
    std::string kinds;
    for (const auto& e : events) {
      kinds += e->has_replay_start() ? "S" : e->has_replay_chunk() ? absl::StrCat(e->replay_chunk().chunk_index())
                                                                     : "E";
    }
    return kinds;
  }

  world::WorldStore store_{{}};
  std::string hash_;
  std::unique_ptr<ReplayHub> hub_;
};

TEST_F(ReplayHubTest, ChunksBecomeStartChunkEndWithIncreasingIds) {
  MakeHub();
  auto sub = hub_->Subscribe({});
  ASSERT_TRUE(hub_->Publish(Chunk("r", 0, 2)).ok());
  auto result = hub_->Publish(Chunk("r", 1, 2));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->subscribers_notified, 1u);
  auto events = Drain(*sub);
  EXPECT_EQ(Kinds(events), "S01E");
  for (size_t i = 1; i < events.size(); ++i) EXPECT_EQ(events[i]->id(), events[i - 1]->id() + 1);
  EXPECT_EQ(events[0]->replay_start().world_json(), kWorld);
}

TEST_F(ReplayHubTest, ResentChunkIsAcknowledgedNotBroadcast) {
  MakeHub();
  auto sub = hub_->Subscribe({});
  ASSERT_TRUE(hub_->Publish(Chunk("r", 0, 3)).ok());
  auto again = hub_->Publish(Chunk("r", 0, 3));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(Kinds(Drain(*sub)), "S0");
  EXPECT_EQ(hub_->stats().chunks_duplicate, 1u);
}

TEST_F(ReplayHubTest, BadChunksAreRefusedWithSpecificCodes) {
  MakeHub();
  EXPECT_EQ(hub_->Publish(Chunk("r", 2, 2)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hub_->Publish(Chunk("", 0, 2)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hub_->Publish(Chunk("r", 0, 0)).status().code(), absl::StatusCode::kInvalidArgument);
  auto unknown_world = Chunk("w", 0, 1);
  unknown_world.set_world_ref("0123456789abcdef");
  EXPECT_EQ(hub_->Publish(unknown_world).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(hub_->Publish(Chunk("r", 0, 3)).ok());
  EXPECT_EQ(hub_->Publish(Chunk("r", 1, 4)).status().code(), absl::StatusCode::kAlreadyExists);
  auto bad_frames = Chunk("r", 1, 3);
  bad_frames.set_frames_json("{not json");
  EXPECT_EQ(hub_->Publish(bad_frames).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReplayHubTest, LateJoinerGetsTheActiveReplayFromItsStart) {
  MakeHub();
  ASSERT_TRUE(hub_->Publish(Chunk("done", 0, 1)).ok());
  ASSERT_TRUE(hub_->Publish(Chunk("live", 0, 4)).ok());
  ASSERT_TRUE(hub_->Publish(Chunk("live", 1, 4)).ok());
  auto late = hub_->Subscribe({});
  auto events = Drain(*late);
  // The newest complete replay, then the one being pushed (shown last, so on screen).
  EXPECT_EQ(Kinds(events), "S0ES01");
  EXPECT_EQ(events[0]->replay_start().replay_id(), "done");
  EXPECT_EQ(events[3]->replay_start().replay_id(), "live");
  ASSERT_TRUE(hub_->Publish(Chunk("live", 2, 4)).ok());
  EXPECT_EQ(Kinds(Drain(*late)), "2");
}

TEST_F(ReplayHubTest, AnAbandonedReplayNeverHidesNewerOnes) {
  MakeHub();
  ASSERT_TRUE(hub_->Publish(Chunk("abandoned", 0, 5)).ok());
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(hub_->Publish(Chunk(id, 0, 2)).ok());
    ASSERT_TRUE(hub_->Publish(Chunk(id, 1, 2)).ok());
  }
  auto fresh = hub_->Subscribe({});
  auto events = Drain(*fresh);
  ASSERT_FALSE(events.empty());
  // "abandoned" was pushed to within the live window, so it may still come
  // along, but the newest complete replay is there and comes last.
  std::string last_start;
  for (const auto& e : events) {
    if (e->has_replay_start()) last_start = e->replay_start().replay_id();
  }
  EXPECT_EQ(last_start, "c");
  EXPECT_EQ(events.back()->replay_end().replay_id(), "c");
}

TEST_F(ReplayHubTest, BetweenReplaysANewSubscriberGetsTheLastOne) {
  MakeHub();
  ASSERT_TRUE(hub_->Publish(Chunk("a", 0, 1)).ok());
  ASSERT_TRUE(hub_->Publish(Chunk("b", 0, 2)).ok());
  ASSERT_TRUE(hub_->Publish(Chunk("b", 1, 2)).ok());
  auto fresh = hub_->Subscribe({});
  auto events = Drain(*fresh);
  EXPECT_EQ(Kinds(events), "S01E");
  EXPECT_EQ(events[0]->replay_start().replay_id(), "b");
}

TEST_F(ReplayHubTest, ResumeGetsExactlyTheEventsAfterTheId) {
  MakeHub();
  auto witness = hub_->Subscribe({});
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(hub_->Publish(Chunk("r", i, 6)).ok());
  auto all = Drain(*witness);
  v1::SubscribeRequest resume;
  resume.set_after_id(all[2]->id());
  auto resumed = Drain(*hub_->Subscribe(resume));
  ASSERT_EQ(resumed.size(), all.size() - 3);
  for (size_t i = 0; i < resumed.size(); ++i) EXPECT_EQ(resumed[i]->id(), all[i + 3]->id());
  EXPECT_FALSE(resumed[0]->gap());
}

TEST_F(ReplayHubTest, ResumeFromAnEvictedIdRestartsTheReplayWithAGapMark) {
  HubOptions options;
  options.retention_bytes = 3000;
  MakeHub(options);
  auto witness = hub_->Subscribe({});
  for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(hub_->Publish(Chunk("r", i, 10, 1000)).ok());
  auto all = Drain(*witness);
  v1::SubscribeRequest resume;
  resume.set_after_id(all[1]->id());
  auto resumed = Drain(*hub_->Subscribe(resume));
  ASSERT_GE(resumed.size(), 2u);
  EXPECT_TRUE(resumed[0]->has_replay_start());
  EXPECT_TRUE(resumed[0]->gap());
  EXPECT_GT(resumed[1]->replay_chunk().chunk_index(), 1u);
  EXPECT_LE(hub_->stats().retained_bytes, 3000u + 2000u);
}

TEST_F(ReplayHubTest, OmitWorldSubscribersGetTheStartWithoutTheWorld) {
  MakeHub();
  v1::SubscribeRequest lean;
  lean.set_omit_world(true);
  auto sub = hub_->Subscribe(lean);
  ASSERT_TRUE(hub_->Publish(Chunk("r", 0, 1)).ok());
  auto events = Drain(*sub);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events[0]->replay_start().world_json().empty());
  EXPECT_EQ(events[0]->replay_start().world_ref(), hash_);
}

TEST_F(ReplayHubTest, ABackloggedSubscriberIsDroppedNotWaitedFor) {
  HubOptions options;
  options.subscriber_limits = {.max_bytes = 5000, .max_wait = absl::Seconds(30)};
  MakeHub(options);
  auto slow = hub_->Subscribe({});
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(hub_->Publish(Chunk("r", i, 10, 1000)).ok());
  EXPECT_TRUE(slow->outbox().closed());
  EXPECT_EQ(hub_->stats().subscribers_dropped, 1u);
  EXPECT_EQ(hub_->stats().subscribers, 0u);
}

// The core's one-second timer calls DropStalledSubscribers(): a subscriber
// that takes nothing goes at its stall limit even when nothing more is
// published (a stalled viewer must not hold its backlog until the next push).
TEST_F(ReplayHubTest, AStalledSubscriberIsDroppedByTheTimerWithoutAnotherPublish) {
  HubOptions options;
  options.subscriber_limits = {.max_bytes = 1 << 20, .max_wait = absl::Milliseconds(20)};
  MakeHub(options);
  auto stalled = hub_->Subscribe({});
  auto reading = hub_->Subscribe({});
  ASSERT_TRUE(hub_->Publish(Chunk("r", 0, 2)).ok());
  EXPECT_EQ(Kinds(Drain(*reading)), "S0");
  hub_->DropStalledSubscribers();
  EXPECT_FALSE(stalled->outbox().closed());  // not stalled for its limit yet
  absl::SleepFor(absl::Milliseconds(40));
  hub_->DropStalledSubscribers();
  EXPECT_TRUE(stalled->outbox().closed());
  EXPECT_FALSE(reading->outbox().closed());  // it took everything: nothing waits
  EXPECT_EQ(hub_->stats().subscribers_dropped, 1u);
  EXPECT_EQ(hub_->stats().subscribers, 1u);
}

TEST_F(ReplayHubTest, IdleReplaysExpire) {
  HubOptions options;
  options.replays.idle_timeout = absl::Milliseconds(1);
  MakeHub(options);
  ASSERT_TRUE(hub_->Publish(Chunk("r", 0, 3)).ok());
  EXPECT_EQ(hub_->stats().replays, 1u);
  absl::SleepFor(absl::Milliseconds(5));
  hub_->ExpireIdleReplays();
  EXPECT_EQ(hub_->stats().replays, 0u);
}

TEST_F(ReplayHubTest, PublishCompactBroadcastsWhatPublishWould) {
  MakeHub();
  auto sub = hub_->Subscribe({});
  v1::ReplayChunk chunk = Chunk("r", 0, 2);
  const std::string frames = chunk.frames_json();
  ASSERT_TRUE(hub_->PublishCompact(chunk, 1).ok());
  ASSERT_TRUE(hub_->Publish(Chunk("r", 1, 2)).ok());
  auto events = Drain(*sub);
  ASSERT_EQ(Kinds(events), "S01E");
  EXPECT_EQ(events[1]->replay_chunk().frames_json(), frames);
  EXPECT_EQ(events[2]->replay_chunk().frames_json(), frames);
  // A re-send through either door is a duplicate, not a second broadcast.
  auto again = hub_->PublishCompact(Chunk("r", 0, 2), 1);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
}

TEST_F(ReplayHubTest, PublishCompactEnforcesTheFrameLimitAndOneFramesForm) {
  HubOptions options;
  options.replays.max_frames_per_chunk = 3;
  MakeHub(options);
  EXPECT_EQ(hub_->PublishCompact(Chunk("r", 0, 2), 4).status().code(), absl::StatusCode::kInvalidArgument);
  v1::ReplayChunk both = Chunk("r", 0, 2);
  both.add_frames();
  EXPECT_EQ(hub_->PublishCompact(both, 1).status().code(), absl::StatusCode::kInvalidArgument);
  v1::ReplayChunk empty = Chunk("r", 0, 2);
  empty.clear_frames_json();
  auto sub = hub_->Subscribe({});
  ASSERT_TRUE(hub_->PublishCompact(empty, 0).ok());
  auto events = Drain(*sub);
  ASSERT_EQ(Kinds(events), "S0");
  EXPECT_EQ(events[1]->replay_chunk().frames_json(), "[]");
}

TEST_F(ReplayHubTest, ShutdownClosesSubscribersAndRefusesPublishes) {
  MakeHub();
  auto sub = hub_->Subscribe({});
  hub_->Shutdown();
  EXPECT_TRUE(sub->outbox().closed());
  EXPECT_EQ(hub_->Publish(Chunk("r", 0, 1)).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace echelon::replay

namespace echelon::replay {
namespace {

// A journal that records what the hub queued and answers as told.
class FakeJournal final : public EventJournal {
 public:
  absl::Status CheckChunkSize(size_t frames_bytes) const override {
    return frames_bytes > max_bytes ? absl::ResourceExhaustedError("too large") : absl::OkStatus();
  }
  Confirmation Append(const std::vector<HubEventPtr>& events) override {
    std::string kinds;
    for (const auto& e : events) {
      const auto& event = *e->without_world;
      kinds += event.has_replay_start() ? "S" : event.has_replay_chunk() ? absl::StrCat(event.replay_chunk().chunk_index()) : "E";
      // The journal gets the lean start: worlds live in their own bucket.
      if (event.has_replay_start()) EXPECT_TRUE(event.replay_start().world_json().empty());
    }
    appended.push_back(kinds);
    absl::StatusOr<bool> answer = next_answer;
    next_answer = false;
    return [answer] { return answer; };
  }

  size_t max_bytes = 1 << 20;
  absl::StatusOr<bool> next_answer = false;
  std::vector<std::string> appended;
};

class ReplayHubJournalTest : public ReplayHubTest {
 protected:
  void SetUp() override {
    HubOptions options;
    options.journal = journal_;
    MakeHub(options);
  }
  std::shared_ptr<FakeJournal> journal_ = std::make_shared<FakeJournal>();
};

TEST_F(ReplayHubJournalTest, EachChunkAppendsItsEventsInOrder) {
  ASSERT_TRUE(hub_->Publish(Chunk("r", 0, 2)).ok());
  ASSERT_TRUE(hub_->Publish(Chunk("r", 1, 2)).ok());
  EXPECT_EQ(journal_->appended, (std::vector<std::string>{"S0", "1E"}));
}

TEST_F(ReplayHubJournalTest, AChunkTheJournalHadIsADuplicate) {
  // Another core stored chunk 0 already: the journal says so, the ack too.
  journal_->next_answer = true;
  auto result = hub_->Publish(Chunk("r", 0, 2));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->duplicate);
}

TEST_F(ReplayHubJournalTest, AFailedJournalRefusesThePushAndTheRetryWritesAgain) {
  journal_->next_answer = absl::UnavailableError("no quorum");
  auto failed = hub_->Publish(Chunk("r", 0, 2));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  auto retried = hub_->Publish(Chunk("r", 0, 2));
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->duplicate);
  EXPECT_EQ(journal_->appended, (std::vector<std::string>{"S0", "S0"}));
}

TEST_F(ReplayHubJournalTest, AChunkTooLargeForTheJournalIsRefusedBeforeAnyEvent) {
  journal_->max_bytes = 16;
  auto sub = hub_->Subscribe({});
  EXPECT_EQ(hub_->Publish(Chunk("r", 0, 2, 100)).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(journal_->appended.empty());
  EXPECT_EQ(Kinds(Drain(*sub)), "");
}

}  // namespace
}  // namespace echelon::replay
