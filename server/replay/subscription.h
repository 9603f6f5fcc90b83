// Subscription: one subscriber of the replay hub (a gRPC Subscribe stream).
//
// Ownership: the hub and the subscriber's reactor share it through
// shared_ptr. The hub pushes events into the outbox from publishing threads;
// the reactor pops them on gRPC threads, one write in flight at a time. When
// the reactor goes idle, the next push tells the hub to call NotifyReady(),
// which runs the reactor's callback; ClearReadyCallback() in the reactor's
// OnDone guarantees the callback never runs on a deleted reactor.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/outbox.h"
#include "echelon/replay/v1/replay.pb.h"

namespace echelon::replay {

class Subscription {
 public:
  Subscription(uint64_t serial, bool omit_world, bool backlog_only, OutboxLimits limits)
      : serial_(serial), omit_world_(omit_world), backlog_only_(backlog_only), outbox_(limits) {}

  uint64_t serial() const { return serial_; }
  bool omit_world() const { return omit_world_; }
  // A backlog-only subscription ends once its outbox is drained.
  bool backlog_only() const { return backlog_only_; }
  Outbox<echelon::replay::v1::ReplayEvent>& outbox() { return outbox_; }

  void SetReadyCallback(std::function<void()> callback) {
    absl::MutexLock lock(&callback_mu_);
    ready_ = std::move(callback);
  }
  void ClearReadyCallback() {
    absl::MutexLock lock(&callback_mu_);
    ready_ = nullptr;
  }
  void NotifyReady() {
    absl::MutexLock lock(&callback_mu_);
    if (ready_) ready_();
  }

  // Closes the outbox and wakes the consumer so it can finish the stream.
  void Close(std::string reason) {
    outbox_.Close(std::move(reason));
    NotifyReady();
  }

 private:
  const uint64_t serial_;
  const bool omit_world_;
  const bool backlog_only_;
  Outbox<echelon::replay::v1::ReplayEvent> outbox_;
  absl::Mutex callback_mu_;
  std::function<void()> ready_ ABSL_GUARDED_BY(callback_mu_);
};

}  // namespace echelon::replay
