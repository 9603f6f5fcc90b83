#include "gateway/sse_client.h"

#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {
constexpr absl::Duration kLivenessProbeInterval = absl::Seconds(1);
}  // namespace

void SseClient::StartCatchUp(protocol::ReplayLink& core, uint64_t after_id, const std::string& auth_metadata) {
  v1::SubscribeRequest request;
  request.set_after_id(after_id);
  request.set_omit_world(omit_world_);
  request.set_backlog_only(true);
  std::unique_ptr<protocol::EventStream> stream = core.Subscribe(request, auth_metadata);
  absl::MutexLock lock(&catch_up_mu_);
  if (closed_) stream->Cancel();
  catch_up_ = std::move(stream);
  catching_up_ = catch_up_.get();
}

bool SseClient::WriteNext(httplib::DataSink& sink, absl::Duration keepalive) {
  if (!greeted_) {
    // Tells EventSource how soon to reconnect, and flushes the headers now
    // so the browser sees the connection open before the first event.
    greeted_ = true;
    static const SseFrame kGreeting = HttpChunk(kSseGreeting);
    return Write(sink, kGreeting);
  }
  if (catching_up_ != nullptr && WriteCatchUpEvent(sink)) return !outbox_.closed();
  while (true) {
    std::optional<Outbox<SseFrame>::Item> item = outbox_.PopWait(kLivenessProbeInterval);
    if (!item) {
      if (outbox_.closed()) return false;
      // A write is the only way to learn that the viewer went away (the
      // second write after its close fails), so an idle stream sends a
      // one-byte comment every second: a dead viewer frees its slot within
      // about two seconds instead of a keepalive period.
      const bool keepalive_due = absl::Now() - last_write_ >= keepalive;
      static const SseFrame kProbe = HttpChunk(":\n");
      return Write(sink, keepalive_due ? HttpChunk(SseKeepalive()) : kProbe);
    }
    if (item->id <= last_sent_id_) continue;  // already sent during catch-up
    last_sent_id_ = item->id;
    return Write(sink, *item->value);
  }
}

bool SseClient::WriteCatchUpEvent(httplib::DataSink& sink) {
  protocol::SharedEvent event;
  if (!catching_up_->Next(&event)) {
    const absl::Status status = catching_up_->Finish();
    if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
      spdlog::warn("viewer {}: catch-up from the core failed: {}", serial_, std::string(status.message()));
    }
    catching_up_ = nullptr;
    return false;
  }
  last_sent_id_ = event->id();
  if (!Write(sink, *EncodeSseChunk(std::move(event)))) outbox_.Close("socket write failed");
  return true;
}

bool SseClient::Write(httplib::DataSink& sink, const SseFrame& chunk) {
  const absl::Time started = absl::Now();
  // A replay_chunk's frames are written from the shared event itself,
  // between the head and the tail (sse_encoder.h).
  const auto write = [&sink](std::string_view part) { return part.empty() || sink.write(part.data(), part.size()); };
  if (!write(chunk.head) || !write(chunk.body) || !write(chunk.tail)) {
    // cpp-httplib gives up on a write after the server's write timeout (set
    // to the broadcast timeout): a failure that took that long is a viewer
    // that stopped reading, not one that left.
    if (absl::Now() - started >= write_timeout_ * 0.9) {
      dropped_as_slow_ = true;
      outbox_.Close("did not accept data within the broadcast timeout");
    } else {
      outbox_.Close("socket write failed");
    }
    return false;
  }
  const size_t sse_bytes = chunk.sse_size;
  bytes_sent_.fetch_add(sse_bytes, std::memory_order_relaxed);
  if (sse_bytes > 2) last_write_ = absl::Now();
  return true;
}

void SseClient::Close(const std::string& reason) {
  outbox_.Close(reason);
  {
    absl::MutexLock lock(&catch_up_mu_);
    closed_ = true;
    if (catch_up_ != nullptr) catch_up_->Cancel();
  }
  Wake();
}

std::deque<SseBytes> SseClient::TakeCatchUp() {
  std::deque<SseBytes> frames;
  if (catching_up_ == nullptr) return frames;
  protocol::SharedEvent event;
  while (catching_up_->Next(&event)) {
    last_sent_id_ = event->id();
    frames.push_back(EncodeSseChunk(std::move(event)));
  }
  const absl::Status status = catching_up_->Finish();
  if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
    spdlog::warn("viewer {}: catch-up from the core failed: {}", serial_, std::string(status.message()));
  }
  catching_up_ = nullptr;
  return frames;
}

std::optional<SseBytes> SseClient::NextLive() {
  while (std::optional<Outbox<SseFrame>::Item> item = outbox_.PopOrIdle()) {
    if (item->id <= last_sent_id_) continue;  // already sent during catch-up
    last_sent_id_ = item->id;
    return std::move(item->value);
  }
  return std::nullopt;
}

void SseClient::SetWaker(std::function<void()> waker) {
  absl::MutexLock lock(&waker_mu_);
  waker_ = std::move(waker);
}

void SseClient::Wake() {
  absl::MutexLock lock(&waker_mu_);
  if (waker_) waker_();
}

}  // namespace echelon::gateway
