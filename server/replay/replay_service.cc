#include "server/replay/replay_service.h"

#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"
#include "spdlog/spdlog.h"

namespace echelon::replay {

namespace {

// Reads a producer's chunks one at a time and publishes each before asking
// for the next, so a producer can never have more than one chunk buffered
// here: gRPC flow control holds the rest back on the producer's side.
class PushChunksReactor final : public grpc::ServerReadReactor<v1::ReplayChunk>, public IdlePushWatch {
 public:
  // `caller`: the pushing token's name, or why it may not push.
  PushChunksReactor(ReplayServiceImpl& service, ReplayHub& hub, v1::PushSummary* summary,
                    const absl::StatusOr<std::string>& caller)
      : service_(service), hub_(hub), summary_(summary) {
    service_.Watch(this);
    if (!caller.ok()) {
      FinishOnce(ToGrpcStatus(caller.status()));
      return;
    }
    caller_ = *caller;
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the producer closed its side: the push is complete
      spdlog::info("gRPC push stream from {} done: {} chunks ({} re-sent), {:.1f} MB", caller_,
                   summary_->chunks_accepted(), summary_->chunks_duplicate(),
                   summary_->frame_bytes() / 1e6);
      FinishOnce(grpc::Status::OK);
      return;
    }
    const size_t frame_bytes = chunk_.frames_json().size();
    absl::StatusOr<PublishResult> result = hub_.Publish(std::move(chunk_));
    if (!result.ok()) {
      FinishOnce(ToGrpcStatus(result.status()));
      return;
    }
    Record(*result, frame_bytes);
    chunk_.Clear();
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    last_chunk_ = absl::Now();
    StartRead(&chunk_);
  }

  void FinishIfIdle(absl::Time now, absl::Duration idle_timeout) override {
    absl::MutexLock lock(&mu_);
    if (finished_ || now - last_chunk_ < idle_timeout) return;
    spdlog::warn("gRPC push stream ended: no chunk for {}", absl::FormatDuration(idle_timeout));
    FinishLocked(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                              absl::StrCat("no chunk for ", absl::FormatDuration(idle_timeout),
                                           ": the push stream is closed; push the rest again")));
  }

  void OnDone() override {
    service_.Unwatch(this);
    delete this;
  }

 private:
  void FinishOnce(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }
  // gRPC never runs a reaction inside Finish(), so calling it under mu_ is
  // safe; the pending read then completes with ok=false.
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  // `frame_bytes`: the chunk's frames_json size as received (Publish took it).
  void Record(const PublishResult& result, size_t frame_bytes) {
    if (result.duplicate) {
      summary_->set_chunks_duplicate(summary_->chunks_duplicate() + 1);
    } else {
      summary_->set_chunks_accepted(summary_->chunks_accepted() + 1);
      summary_->set_frame_bytes(summary_->frame_bytes() + frame_bytes);
    }
    if (replay_ids_.insert(chunk_.replay_id()).second) summary_->add_replay_ids(chunk_.replay_id());
  }

  ReplayServiceImpl& service_;
  ReplayHub& hub_;
  v1::PushSummary* summary_;
  std::string caller_;
  v1::ReplayChunk chunk_;
  absl::flat_hash_set<std::string> replay_ids_;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_chunk_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

// Streams a subscription's outbox to one subscriber, one write in flight.
class SubscribeReactor final : public grpc::ServerWriteReactor<v1::ReplayEvent> {
 public:
  SubscribeReactor(grpc::CallbackServerContext* context, ReplayHub& hub,
                   const v1::SubscribeRequest& request)
      : hub_(hub), subscription_(hub.Subscribe(request)) {
    context->AddInitialMetadata(kSubscribedMetadataKey, "1");
    spdlog::info("gRPC subscriber {} connected (after_id {}{})", subscription_->serial(),
                 request.after_id(), request.backlog_only() ? ", backlog only" : "");
    // Headers go out at once, so a subscriber knows it is connected before
    // the first event (a gateway reports that on /health).
    StartSendInitialMetadata();
    subscription_->SetReadyCallback([this] { WriteNext(); });
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      in_flight_.reset();
    }
    if (!ok) {
      subscription_->outbox().Close("subscriber went away");
      FinishOnce(grpc::Status::CANCELLED);
      return;
    }
    WriteNext();
  }

  void OnCancel() override {
    subscription_->outbox().Close("subscriber cancelled");
    FinishOnce(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    subscription_->ClearReadyCallback();
    hub_.Unsubscribe(subscription_);
    spdlog::info("gRPC subscriber {} disconnected", subscription_->serial());
    delete this;
  }

 private:
  // Called from gRPC threads (OnWriteDone) and publishing threads (the ready
  // callback); mu_ makes "is a write in flight?" and StartWrite one step.
  void WriteNext() {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_) return;
    auto item = subscription_->outbox().PopOrIdle();
    if (item) {
      writing_ = true;
      in_flight_ = std::move(item->value);  // keeps the shared event alive during the write
      StartWrite(in_flight_.get());
      return;
    }
    if (subscription_->outbox().closed()) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, subscription_->outbox().close_reason()));
    } else if (subscription_->backlog_only()) {
      FinishLocked(grpc::Status::OK);
    }
  }

  void FinishOnce(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_) {
      // With a write in flight, OnWriteDone comes first and finishes then.
      return;
    }
    finished_ = true;
    Finish(std::move(status));
  }

  ReplayHub& hub_;
  const std::shared_ptr<Subscription> subscription_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  EventPtr in_flight_ ABSL_GUARDED_BY(mu_);
};

// Answers a Subscribe that may not proceed.
class RefusedSubscription final : public grpc::ServerWriteReactor<v1::ReplayEvent> {
 public:
  explicit RefusedSubscription(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerReadReactor<v1::ReplayChunk>* ReplayServiceImpl::PushChunks(
    grpc::CallbackServerContext* context, v1::PushSummary* summary) {
  return new PushChunksReactor(*this, hub_, summary, auth_.PushCaller(*context));
}

void ReplayServiceImpl::Watch(IdlePushWatch* stream) {
  absl::MutexLock lock(&watch_mu_);
  push_streams_.insert(stream);
}

void ReplayServiceImpl::Unwatch(IdlePushWatch* stream) {
  absl::MutexLock lock(&watch_mu_);
  push_streams_.erase(stream);
}

void ReplayServiceImpl::FinishIdlePushStreams() {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&watch_mu_);
  for (IdlePushWatch* stream : push_streams_) stream->FinishIfIdle(now, push_idle_timeout_);
}

grpc::ServerUnaryReactor* ReplayServiceImpl::Push(grpc::CallbackServerContext* context,
                                                  const v1::ReplayChunk* chunk, v1::PushAck* ack) {
  auto* reactor = context->DefaultReactor();
  if (absl::Status allowed = auth_.CheckPush(*context); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  absl::StatusOr<PublishResult> result = hub_.Publish(*chunk);
  if (result.ok()) *ack = MakePushAck(chunk->replay_id(), chunk->chunk_index(), *result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

grpc::ServerWriteReactor<v1::ReplayEvent>* ReplayServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  if (absl::Status allowed = auth_.CheckView(*context); !allowed.ok()) {
    return new RefusedSubscription(ToGrpcStatus(allowed));
  }
  return new SubscribeReactor(context, hub_, *request);
}

}  // namespace echelon::replay
