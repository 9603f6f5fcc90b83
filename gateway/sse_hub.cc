#include "gateway/sse_hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

SseHub::SseHub(SseHubOptions options, std::shared_ptr<protocol::ReplayLink> core)
    : options_(std::move(options)), core_(std::move(core)) {}

SseHub::~SseHub() { Stop(); }

void SseHub::Start() { upstream_ = std::thread([this] { RunUpstream(); }); }

void SseHub::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  {
    absl::MutexLock lock(&upstream_mu_);
    if (upstream_stream_ != nullptr) upstream_stream_->Cancel();
  }
  if (upstream_.joinable()) upstream_.join();
  std::vector<std::shared_ptr<SseClient>> clients;
  {
    absl::MutexLock lock(&mu_);
    clients = clients_;
  }
  for (const auto& client : clients) client->Close("server is shutting down");
}

absl::StatusOr<std::shared_ptr<SseClient>> SseHub::Join(bool omit_world, uint64_t after_id) {
  std::shared_ptr<SseClient> client;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_.HasBeenNotified()) return absl::UnavailableError("server is shutting down");
    if (clients_.size() >= options_.max_clients) {
      ++rejected_;
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many viewers: ", options_.max_clients, " are connected; retry later"));
    }
    client = std::make_shared<SseClient>(next_serial_++, omit_world, options_.client_limits);
    clients_.push_back(client);
    ++connections_;
  }
  // Registered before the catch-up starts: whatever the catch-up misses
  // arrives live, and what both deliver is skipped by id.
  client->StartCatchUp(*core_, after_id, options_.core_auth_metadata);
  return client;
}

void SseHub::Leave(const std::shared_ptr<SseClient>& client) {
  client->Close("viewer left");
  absl::MutexLock lock(&mu_);
  const auto it = std::find(clients_.begin(), clients_.end(), client);
  if (it == clients_.end()) return;
  departed_bytes_sent_ += client->bytes_sent();
  if (client->dropped_as_slow()) {
    ++dropped_slow_;
    spdlog::warn("viewer {} dropped: {}", client->serial(), client->outbox().close_reason());
  }
  clients_.erase(it);
}

size_t SseHub::client_count() const {
  absl::MutexLock lock(&mu_);
  return clients_.size();
}

SseHubStats SseHub::stats() const {
  absl::MutexLock lock(&mu_);
  uint64_t bytes_sent = departed_bytes_sent_;
  for (const auto& client : clients_) bytes_sent += client->bytes_sent();
  return SseHubStats{clients_.size(), connections_, rejected_, dropped_slow_, events_,
                     event_bytes_,    bytes_sent,   upstream_connected_.load()};
}

void SseHub::RunUpstream() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_.HasBeenNotified()) {
    const absl::Time started = absl::Now();
    ReadUpstream();
    if (absl::Now() - started > absl::Seconds(5)) backoff = absl::Milliseconds(100);
    if (stopping_.WaitForNotificationWithTimeout(backoff)) break;
    // Short: a restarted core must be found within half a second.
    backoff = std::min(backoff * 2, absl::Milliseconds(400));
  }
}

void SseHub::ReadUpstream() {
  v1::SubscribeRequest request;
  request.set_after_id(last_event_id_.load());
  std::unique_ptr<protocol::EventStream> stream = core_->Subscribe(request, options_.core_auth_metadata);
  {
    absl::MutexLock lock(&upstream_mu_);
    if (stopping_.HasBeenNotified()) return;
    upstream_stream_ = stream.get();
  }
  // The core confirms a subscription as soon as it accepts it: the gateway
  // is connected before any event.
  if (stream->WaitSubscribed()) {
    upstream_connected_ = true;
    spdlog::info("gateway subscribed to the core (after id {})", request.after_id());
  }
  protocol::SharedEvent event;
  while (stream->Next(&event)) {
    upstream_connected_ = true;
    last_event_id_ = event->id();
    Fanout(std::move(event));
  }
  const absl::Status status = stream->Finish();
  upstream_connected_ = false;
  {
    absl::MutexLock lock(&upstream_mu_);
    upstream_stream_ = nullptr;
  }
  if (!stopping_.HasBeenNotified()) {
    spdlog::warn("subscription to the core ended ({}); reconnecting", std::string(status.message()));
  }
}

void SseHub::Fanout(protocol::SharedEvent event) {
  // Framed once per form, ready for the socket (an HTTP chunk); each
  // viewer's outbox holds a pointer, not a copy.
  const uint64_t id = event->id();
  SseBytes without_world;
  if (event->has_replay_start() && !event->replay_start().world_json().empty()) {
    auto lean = std::make_shared<v1::ReplayEvent>(*event);
    lean->mutable_replay_start()->clear_world_json();
    without_world = EncodeSseChunk(std::move(lean));
  }
  const SseBytes with_world = EncodeSseChunk(std::move(event));
  if (!without_world) without_world = with_world;
  const size_t with_world_size = with_world->sse_size;
  const size_t without_world_size = without_world->sse_size;

  absl::MutexLock lock(&mu_);
  ++events_;
  event_bytes_ += with_world_size;
  for (const auto& client : clients_) {
    const bool omit = client->omit_world();
    const SseBytes& bytes = omit ? without_world : with_world;
    switch (client->outbox().Push(bytes, omit ? without_world_size : with_world_size, id)) {
      case PushResult::kOverflowed:
        client->MarkDroppedAsSlow();
        client->Wake();
        break;
      case PushResult::kWokeIdleConsumer: client->Wake(); break;
      case PushResult::kQueued:
      case PushResult::kClosed: break;
    }
  }
}

}  // namespace echelon::gateway
