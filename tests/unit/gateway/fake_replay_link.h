// FakeReplayLink: a protocol::ReplayLink for the gateway's unit tests, with no
// core and no gRPC behind it. The test plays the core: Publish() appends an
// event to the fake's retention and hands it to the live (upstream)
// subscription; EndUpstream() ends that subscription as a core going away
// would. A backlog-only Subscribe (a viewer's catch-up) gets the retained
// events after its after_id and then ends, or stays open until cancelled with
// hold_catch_up.
//
// Every Subscribe request is recorded, and every wait is on a condition (no
// sleeps), so tests can wait for "the hub has subscribed again" exactly.
//
// Threads: any thread may call anything; one mutex guards the fake's state
// and each stream's queue.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "protocol/replay_link.h"

namespace echelon::gateway::fakes {

// One Subscribe call's stream: a queue fed by the fake, read by the hub or a
// viewer. Ends when the fake ends it or when it is cancelled.
class FakeEventStream : public protocol::EventStream {
 public:
  bool WaitSubscribed() override { return true; }
  bool Next(protocol::SharedEvent* event) override;
  void Cancel() override;
  absl::Status Finish() override;

  void Add(protocol::SharedEvent event);
  void End(absl::Status status);
  bool cancelled() const;
  // True while a reader is blocked in Next() on an empty queue.
  bool reader_waiting() const;

 private:
  mutable absl::Mutex mu_;
  std::deque<protocol::SharedEvent> events_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool reader_waiting_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class FakeReplayLink : public protocol::ReplayLink {
 public:
  // Keeps viewers' catch-up streams open after their backlog (until
  // cancelled), like a core that is slow to answer.
  explicit FakeReplayLink(bool hold_catch_up = false) : hold_catch_up_(hold_catch_up) {}

  // The gateway's push path is not what these tests are about.
  absl::StatusOr<echelon::replay::v1::PushAck> Push(json::ParsedPush push,
                                                    std::string_view authorization) override;
  std::unique_ptr<protocol::EventStream> Subscribe(const echelon::replay::v1::SubscribeRequest& request,
                                                   std::string_view authorization) override;

  // Retains `event` and sends it on the current upstream subscription, if any.
  void Publish(protocol::SharedEvent event);
  // Ends the current upstream subscription with `status`.
  void EndUpstream(absl::Status status);

  // Waits until the hub has made `count` upstream (not backlog-only)
  // subscriptions in all.
  bool WaitForUpstreamSubscriptions(size_t count, absl::Duration timeout);
  std::vector<echelon::replay::v1::SubscribeRequest> upstream_requests() const;
  std::vector<echelon::replay::v1::SubscribeRequest> catch_up_requests() const;
  std::shared_ptr<FakeEventStream> upstream() const;
  std::shared_ptr<FakeEventStream> last_catch_up() const;

 private:
  const bool hold_catch_up_;
  mutable absl::Mutex mu_;
  std::vector<protocol::SharedEvent> retained_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<FakeEventStream> upstream_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<FakeEventStream> last_catch_up_ ABSL_GUARDED_BY(mu_);
  std::vector<echelon::replay::v1::SubscribeRequest> upstream_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<echelon::replay::v1::SubscribeRequest> catch_up_requests_ ABSL_GUARDED_BY(mu_);
};

// Polls a cheap condition of another thread's progress (hub stats, outbox
// state: the code under test has no callback for these) every millisecond
// until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Events as the core would publish them.
protocol::SharedEvent StartEvent(uint64_t id, const std::string& replay_id, const std::string& world_json);
protocol::SharedEvent ChunkEvent(uint64_t id, const std::string& replay_id, uint32_t chunk_index,
                                 const std::string& frames_json);

}  // namespace echelon::gateway::fakes
