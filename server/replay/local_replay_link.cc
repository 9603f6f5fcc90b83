#include "server/replay/local_replay_link.h"

#include <utility>

namespace echelon {

namespace v1 = echelon::replay::v1;

namespace {

// How long Next() sleeps between checks that the stream was not cancelled;
// Cancel() wakes it at once, this only bounds a missed wake-up.
constexpr absl::Duration kPollInterval = absl::Seconds(1);

// Reads one hub subscription's outbox. The reading thread blocks in the
// outbox; Cancel() closes it from any thread.
class LocalEventStream final : public protocol::EventStream {
 public:
  LocalEventStream(replay::ReplayHub& hub, std::shared_ptr<replay::Subscription> subscription)
      : hub_(hub), subscription_(std::move(subscription)) {}
  ~LocalEventStream() override { hub_.Unsubscribe(subscription_); }

  bool WaitSubscribed() override { return !subscription_->outbox().closed(); }

  bool Next(protocol::SharedEvent* event) override {
    auto& outbox = subscription_->outbox();
    if (subscription_->backlog_only()) {
      // Everything it will get was queued when it subscribed.
      auto item = outbox.PopOrIdle();
      if (!item) return false;
      *event = std::move(item->value);
      return true;
    }
    while (true) {
      if (auto item = outbox.PopWait(kPollInterval)) {
        *event = std::move(item->value);
        return true;
      }
      if (outbox.closed()) return false;
    }
  }

  void Cancel() override {
    cancelled_ = true;
    subscription_->Close("subscriber cancelled");
  }

  absl::Status Finish() override {
    auto& outbox = subscription_->outbox();
    if (cancelled_ || !outbox.closed()) return absl::OkStatus();
    return absl::UnavailableError(outbox.close_reason());
  }

 private:
  replay::ReplayHub& hub_;
  const std::shared_ptr<replay::Subscription> subscription_;
  std::atomic<bool> cancelled_ = false;
};

// A subscription the core refused (a wrong view token).
class RefusedEventStream final : public protocol::EventStream {
 public:
  explicit RefusedEventStream(absl::Status status) : status_(std::move(status)) {}
  bool WaitSubscribed() override { return false; }
  bool Next(protocol::SharedEvent*) override { return false; }
  void Cancel() override {}
  absl::Status Finish() override { return status_; }

 private:
  const absl::Status status_;
};

}  // namespace

absl::StatusOr<v1::PushAck> LocalReplayLink::Push(json::ParsedPush push, std::string_view authorization) {
  if (absl::Status allowed = auth_.CheckPush(authorization); !allowed.ok()) return allowed;
  const std::string replay_id = push.chunk.replay_id();  // the chunk moves into the hub
  const uint32_t chunk_index = push.chunk.chunk_index();
  absl::StatusOr<replay::PublishResult> result = hub_.PublishCompact(std::move(push.chunk), push.frame_count);
  if (!result.ok()) return result.status();
  return replay::MakePushAck(replay_id, chunk_index, *result);
}

std::unique_ptr<protocol::EventStream> LocalReplayLink::Subscribe(const v1::SubscribeRequest& request,
                                                                 std::string_view authorization) {
  if (absl::Status allowed = auth_.CheckView(authorization); !allowed.ok()) {
    return std::make_unique<RefusedEventStream>(std::move(allowed));
  }
  return std::make_unique<LocalEventStream>(hub_, hub_.Subscribe(request));
}

}  // namespace echelon
