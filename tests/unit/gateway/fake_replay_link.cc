#include "tests/unit/gateway/fake_replay_link.h"

namespace echelon::gateway::fakes {

namespace v1 = echelon::replay::v1;

bool FakeEventStream::Next(protocol::SharedEvent* event) {
  absl::MutexLock lock(&mu_);
  reader_waiting_ = events_.empty() && !ended_ && !cancelled_;
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !events_.empty() || ended_ || cancelled_; };
  mu_.Await(absl::Condition(&ready));
  reader_waiting_ = false;
  if (cancelled_ || events_.empty()) return false;
  *event = std::move(events_.front());
  events_.pop_front();
  return true;
}

void FakeEventStream::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
}

absl::Status FakeEventStream::Finish() {
  absl::MutexLock lock(&mu_);
  return cancelled_ ? absl::CancelledError("cancelled") : status_;
}

void FakeEventStream::Add(protocol::SharedEvent event) {
  absl::MutexLock lock(&mu_);
  events_.push_back(std::move(event));
}

void FakeEventStream::End(absl::Status status) {
  absl::MutexLock lock(&mu_);
  ended_ = true;
  status_ = std::move(status);
}

bool FakeEventStream::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool FakeEventStream::reader_waiting() const {
  absl::MutexLock lock(&mu_);
  return reader_waiting_;
}

absl::StatusOr<v1::PushAck> FakeReplayLink::Push(json::ParsedPush, std::string_view) {
  return absl::UnimplementedError("FakeReplayLink does not take pushes");
}

std::unique_ptr<protocol::EventStream> FakeReplayLink::Subscribe(const v1::SubscribeRequest& request,
                                                                 std::string_view) {
  // The caller owns the stream; the fake keeps a second reference to feed it.
  auto stream = std::make_shared<FakeEventStream>();
  absl::MutexLock lock(&mu_);
  if (request.backlog_only()) {
    catch_up_requests_.push_back(request);
    for (const protocol::SharedEvent& event : retained_) {
      if (event->id() > request.after_id()) stream->Add(event);
    }
    if (!hold_catch_up_) stream->End(absl::OkStatus());
    last_catch_up_ = stream;
  } else {
    upstream_requests_.push_back(request);
    upstream_ = stream;
  }
  // A unique_ptr the caller owns that shares the fake's stream.
  class Handle : public protocol::EventStream {
   public:
    explicit Handle(std::shared_ptr<FakeEventStream> stream) : stream_(std::move(stream)) {}
    bool WaitSubscribed() override { return stream_->WaitSubscribed(); }
    bool Next(protocol::SharedEvent* event) override { return stream_->Next(event); }
    void Cancel() override { stream_->Cancel(); }
    absl::Status Finish() override { return stream_->Finish(); }

   private:
    std::shared_ptr<FakeEventStream> stream_;
  };
  return std::make_unique<Handle>(std::move(stream));
}

void FakeReplayLink::Publish(protocol::SharedEvent event) {
  absl::MutexLock lock(&mu_);
  retained_.push_back(event);
  if (upstream_) upstream_->Add(std::move(event));
}

void FakeReplayLink::EndUpstream(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (upstream_) upstream_->End(std::move(status));
  upstream_.reset();
}

bool FakeReplayLink::WaitForUpstreamSubscriptions(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return upstream_requests_.size() >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

std::vector<v1::SubscribeRequest> FakeReplayLink::upstream_requests() const {
  absl::MutexLock lock(&mu_);
  return upstream_requests_;
}

std::vector<v1::SubscribeRequest> FakeReplayLink::catch_up_requests() const {
  absl::MutexLock lock(&mu_);
  return catch_up_requests_;
}

std::shared_ptr<FakeEventStream> FakeReplayLink::upstream() const {
  absl::MutexLock lock(&mu_);
  return upstream_;
}

std::shared_ptr<FakeEventStream> FakeReplayLink::last_catch_up() const {
  absl::MutexLock lock(&mu_);
  return last_catch_up_;
}

protocol::SharedEvent StartEvent(uint64_t id, const std::string& replay_id, const std::string& world_json) {
  auto event = std::make_shared<v1::ReplayEvent>();
  event->set_id(id);
  v1::ReplayStart* start = event->mutable_replay_start();
  start->set_replay_id(replay_id);
  start->set_world_ref("0123456789abcdef");
  start->set_chunk_count(2);
  start->set_world_json(world_json);
  return event;
}

protocol::SharedEvent ChunkEvent(uint64_t id, const std::string& replay_id, uint32_t chunk_index,
                                 const std::string& frames_json) {
  auto event = std::make_shared<v1::ReplayEvent>();
  event->set_id(id);
  v1::ReplayChunkEvent* chunk = event->mutable_replay_chunk();
  chunk->set_replay_id(replay_id);
  chunk->set_chunk_index(chunk_index);
  chunk->set_frames_json(frames_json);
  return event;
}

}  // namespace echelon::gateway::fakes
