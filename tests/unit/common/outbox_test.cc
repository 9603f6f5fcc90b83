#include "common/outbox.h"

#include <gtest/gtest.h>

#include <thread>

namespace echelon {
namespace {

std::shared_ptr<const std::string> Bytes(size_t n) { return std::make_shared<const std::string>(n, 'x'); }

TEST(OutboxTest, QueuesInOrderAndWakesAnIdleConsumerOnce) {
  Outbox<std::string> box({.max_bytes = 100, .max_wait = absl::Seconds(10)});
  EXPECT_FALSE(box.PopOrIdle().has_value());  // consumer now idle
  EXPECT_EQ(box.Push(Bytes(10), 10, 1), PushResult::kWokeIdleConsumer);
  EXPECT_EQ(box.Push(Bytes(10), 10, 2), PushResult::kQueued);
  EXPECT_EQ(box.queued_bytes(), 20u);
  EXPECT_EQ(box.PopOrIdle()->id, 1u);
  EXPECT_EQ(box.PopOrIdle()->id, 2u);
  EXPECT_EQ(box.queued_bytes(), 0u);
}

TEST(OutboxTest, OverflowByBytesClosesTheOutbox) {
  Outbox<std::string> box({.max_bytes = 25, .max_wait = absl::Seconds(10)});
  EXPECT_NE(box.Push(Bytes(20), 20, 1), PushResult::kOverflowed);
  EXPECT_EQ(box.Push(Bytes(10), 10, 2), PushResult::kOverflowed);
  EXPECT_TRUE(box.closed());
  EXPECT_EQ(box.queued_bytes(), 0u);  // the references are released at once
  EXPECT_EQ(box.Push(Bytes(1), 1, 3), PushResult::kClosed);
}

TEST(OutboxTest, AnEventLeftWaitingTooLongClosesTheOutbox) {
  Outbox<std::string> box({.max_bytes = 1000, .max_wait = absl::Milliseconds(20)});
  box.Push(Bytes(1), 1, 1);
  absl::SleepFor(absl::Milliseconds(40));  // the consumer "stalls"
  EXPECT_EQ(box.Push(Bytes(1), 1, 2), PushResult::kOverflowed);
  EXPECT_NE(box.close_reason().find("broadcast timeout"), std::string::npos);
}

TEST(OutboxTest, PrefilledBacklogIsOutsideTheLimits) {
  Outbox<std::string> box({.max_bytes = 10, .max_wait = absl::Milliseconds(1)});
  for (int i = 1; i <= 5; ++i) box.Prefill(Bytes(100), i);
  EXPECT_NE(box.Push(Bytes(5), 5, 6), PushResult::kOverflowed);
  for (uint64_t i = 1; i <= 6; ++i) EXPECT_EQ(box.PopOrIdle()->id, i);
}

TEST(OutboxTest, PopWaitReturnsOnPushOrCloseOrTimeout) {
  Outbox<std::string> box({});
  EXPECT_FALSE(box.PopWait(absl::Milliseconds(5)).has_value());
  EXPECT_FALSE(box.closed());
  std::thread producer([&] { box.Push(Bytes(3), 3, 7); });
  auto item = box.PopWait(absl::Seconds(10));
  producer.join();
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->id, 7u);
  std::thread closer([&] { box.Close("bye"); });
  EXPECT_FALSE(box.PopWait(absl::Seconds(10)).has_value());
  closer.join();
  EXPECT_TRUE(box.closed());
}

}  // namespace
}  // namespace echelon

namespace echelon {
namespace {

TEST(OutboxTest, AConsumerThatKeepsTakingEventsIsNotDroppedHoweverFarBehind) {
  Outbox<std::string> box({.max_bytes = 1 << 20, .max_wait = absl::Milliseconds(30)});
  for (int i = 0; i < 10; ++i) box.Push(Bytes(1), 1, i);
  for (int round = 0; round < 4; ++round) {
    absl::SleepFor(absl::Milliseconds(20));
    ASSERT_TRUE(box.PopOrIdle().has_value());  // slow, but taking events
    EXPECT_NE(box.Push(Bytes(1), 1, 100 + round), PushResult::kOverflowed);
  }
  absl::SleepFor(absl::Milliseconds(40));  // now it stalls
  EXPECT_EQ(box.Push(Bytes(1), 1, 200), PushResult::kOverflowed);
}

}  // namespace
}  // namespace echelon

namespace echelon {
namespace {

// A consumer writing one big event slowly (a viewer on a slow link) says it
// is making progress; the broadcast timeout counts from its last progress.
TEST(OutboxTest, ProgressOnTheEventInHandKeepsASlowConsumer) {
  Outbox<std::string> box({.max_bytes = 1 << 20, .max_wait = absl::Milliseconds(30)});
  box.Push(Bytes(1), 1, 1);
  ASSERT_TRUE(box.PopOrIdle().has_value());
  box.Push(Bytes(1), 1, 2);
  for (int round = 0; round < 4; ++round) {
    absl::SleepFor(absl::Milliseconds(20));
    box.NoteProgress();
    EXPECT_NE(box.Push(Bytes(1), 1, 10 + round), PushResult::kOverflowed);
    EXPECT_FALSE(box.CloseIfStalled());
  }
  absl::SleepFor(absl::Milliseconds(40));
  EXPECT_TRUE(box.CloseIfStalled());
  EXPECT_TRUE(box.closed());
}

TEST(OutboxTest, CloseIfStalledLeavesAnEmptyOrMovingOutboxAlone) {
  Outbox<std::string> box({.max_bytes = 1 << 20, .max_wait = absl::Milliseconds(10)});
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(box.CloseIfStalled());  // nothing waits
  box.Push(Bytes(1), 1, 1);
  EXPECT_FALSE(box.CloseIfStalled());  // waits, but not yet for max_wait
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_TRUE(box.CloseIfStalled());
  EXPECT_FALSE(box.CloseIfStalled());  // already closed
}

}  // namespace
}  // namespace echelon
