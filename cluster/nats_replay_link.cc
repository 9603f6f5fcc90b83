#include "cluster/nats_replay_link.h"

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace echelon::cluster {

namespace v1 = echelon::replay::v1;

namespace {

constexpr size_t kWorldCacheSize = 8;
// How long a new viewer's catch-up waits for the replay index on a gateway
// that just started.
constexpr absl::Duration kIndexWait = absl::Seconds(5);
// A catch-up reads messages the log already holds; silence this long means the
// log is unreachable.
constexpr absl::Duration kCatchUpStall = absl::Seconds(30);

const std::string& ReplayIdOf(const v1::ReplayEvent& event) {
  switch (event.kind_case()) {
    case v1::ReplayEvent::kReplayStart: return event.replay_start().replay_id();
    case v1::ReplayEvent::kReplayChunk: return event.replay_chunk().replay_id();
    case v1::ReplayEvent::kReplayEnd: return event.replay_end().replay_id();
    default: {
      static const std::string kNone;
      return kNone;
    }
  }
}

// One Subscribe call over the log. Set up on first use, by the thread that
// reads it.
class NatsEventStream final : public protocol::EventStream {
 public:
  NatsEventStream(NatsReplayLink& link, v1::SubscribeRequest request) : link_(link), request_(std::move(request)) {}

  bool WaitSubscribed() override { return Start(); }

  bool Next(protocol::SharedEvent* event) override {
    if (!Start() || reader_ == nullptr) return false;  // refused, or nothing to catch up on
    if (ReadNext(event)) return true;
    // The stream is over: give the consumer back now, since the caller may
    // keep this object for as long as its viewer stays (a finished catch-up).
    absl::MutexLock lock(&mu_);
    reader_.reset();
    return false;
  }

  void Cancel() override {
    cancelled_ = true;
    absl::MutexLock lock(&mu_);
    if (reader_ != nullptr) reader_->Cancel();
  }

  absl::Status Finish() override { return cancelled_ ? absl::OkStatus() : status_; }

 private:
  // Picks where to read from (see nats_replay_link.h); false when the log
  // cannot be read.
  bool Start() {
    if (started_) return status_.ok();
    started_ = true;
    absl::StatusOr<StreamBounds> bounds = link_.nats()->Bounds();
    if (!bounds.ok()) {
      status_ = bounds.status();
      return false;
    }
    last_sequence_ = bounds->last_sequence;
    const uint64_t after_id = request_.after_id();
    std::optional<uint64_t> resume;
    if (after_id != 0) resume = link_.nats()->event_ids().SequenceOf(after_id, bounds->last_sequence);
    const bool resumable = resume && *resume + 1 >= bounds->first_sequence;

    uint64_t start = 0;
    if (resumable) {
      start = *resume + 1;
    } else if (!request_.backlog_only()) {
      // The fan-out's own subscription: what comes next, or after a lost
      // position everything the log holds.
      start = after_id == 0 ? 0 : std::max<uint64_t>(bounds->first_sequence, 1);
      mark_gap_ = after_id != 0;
    } else {
      link_.index().WaitReady(kIndexWait);
      RecentReplays recent = link_.index().Recent();
      if (recent.replays.empty()) return true;
      for (const RecentReplay& r : recent.replays) recent_.insert(r.replay_id);
      indexed_through_ = recent.indexed_through;
      select_recent_ = true;
      start = recent.replays.front().start_sequence;
      mark_gap_ = after_id != 0;
    }
    if (request_.backlog_only()) {
      if (start > last_sequence_) return true;
      delivered_ = start - 1;
    }
    absl::StatusOr<std::unique_ptr<StreamReader>> reader =
        StreamReader::Open(link_.nats(), link_.nats()->subjects().All(), start);
    if (!reader.ok()) {
      status_ = reader.status();
      return false;
    }
    absl::MutexLock lock(&mu_);
    reader_ = *std::move(reader);
    if (cancelled_) reader_->Cancel();
    return true;
  }

  bool ReadNext(protocol::SharedEvent* event) {
    absl::Time last_message = absl::Now();
    while (!cancelled_) {
      if (request_.backlog_only() && delivered_ >= last_sequence_) return false;
      absl::StatusOr<std::optional<StreamMessage>> next = reader_->Next(absl::Seconds(1));
      if (!next.ok()) {
        status_ = next.status();
        return false;
      }
      if (!next->has_value()) {
        if (request_.backlog_only() && absl::Now() - last_message > kCatchUpStall) {
          status_ = absl::DeadlineExceededError("the replay log stopped answering during a catch-up");
          return false;
        }
        continue;
      }
      last_message = absl::Now();
      StreamMessage& message = **next;
      delivered_ = message.sequence;
      // The library's pin/unpin/delete messages share the stream; viewers
      // get only replay events.
      if (!link_.nats()->subjects().IsReplayEvent(message.subject)) continue;
      auto parsed = std::make_shared<v1::ReplayEvent>();
      if (!parsed->ParseFromString(message.data)) {
        spdlog::warn("replay log message {} on {} is not a ReplayEvent; skipped", message.sequence, message.subject);
        continue;
      }
      if (!Selected(*parsed, message.sequence)) continue;
      parsed->set_id(link_.nats()->event_ids().IdOf(message.sequence));
      if (parsed->has_replay_start() && !request_.omit_world()) AttachWorld(*parsed->mutable_replay_start());
      if (mark_gap_) {
        parsed->set_gap(true);
        mark_gap_ = false;
      }
      *event = std::move(parsed);
      return true;
    }
    return false;
  }

  // For a new viewer's catch-up: only the recent replays, and any replay
  // that started after the index last looked.
  bool Selected(const v1::ReplayEvent& event, uint64_t sequence) {
    if (!select_recent_) return true;
    const std::string& replay_id = ReplayIdOf(event);
    if (event.has_replay_start() && sequence > indexed_through_) recent_.insert(replay_id);
    return recent_.contains(replay_id);
  }

  void AttachWorld(v1::ReplayStart& start) {
    absl::StatusOr<std::shared_ptr<const std::string>> world = link_.World(start.world_ref());
    if (!world.ok()) {
      spdlog::warn("replay {}: world {} unavailable: {}", start.replay_id(), start.world_ref(),
                   world.status().ToString());
      return;
    }
    start.set_world_json(**world);
  }

  NatsReplayLink& link_;
  const v1::SubscribeRequest request_;
  std::atomic<bool> cancelled_ = false;
  bool started_ = false;
  absl::Status status_;
  uint64_t last_sequence_ = 0;
  uint64_t delivered_ = 0;
  bool mark_gap_ = false;
  bool select_recent_ = false;
  uint64_t indexed_through_ = 0;
  absl::flat_hash_set<std::string> recent_;
  absl::Mutex mu_;
  // Set and reset under mu_ by the reading thread, which alone reads through
  // it; Cancel() reaches it under mu_ from any thread.
  std::unique_ptr<StreamReader> reader_;
};

}  // namespace

NatsReplayLink::NatsReplayLink(std::shared_ptr<NatsClient> nats, std::shared_ptr<protocol::ReplayLink> push_link,
                               absl::Duration replay_idle)
    : nats_(std::move(nats)), push_link_(std::move(push_link)), worlds_(nats_), index_(nats_, replay_idle) {}

absl::StatusOr<v1::PushAck> NatsReplayLink::Push(json::ParsedPush push, std::string_view authorization) {
  if (push_link_ == nullptr) {
    return absl::UnavailableError("this gateway has no core to push to: start it with --core as well as --nats");
  }
  return push_link_->Push(std::move(push), authorization);
}

std::unique_ptr<protocol::EventStream> NatsReplayLink::Subscribe(const v1::SubscribeRequest& request,
                                                                 std::string_view) {
  // Viewers are authorized by the gateway (--view-token) before they get here.
  return std::make_unique<NatsEventStream>(*this, request);
}

absl::StatusOr<std::shared_ptr<const std::string>> NatsReplayLink::World(const std::string& hash) {
  {
    absl::MutexLock lock(&world_mu_);
    for (auto it = world_cache_.begin(); it != world_cache_.end(); ++it) {
      if (it->first != hash) continue;
      world_cache_.splice(world_cache_.begin(), world_cache_, it);
      return it->second;
    }
  }
  absl::StatusOr<std::string> loaded = worlds_.Load(hash);
  if (!loaded.ok()) return loaded.status();
  auto world = std::make_shared<const std::string>(*std::move(loaded));
  absl::MutexLock lock(&world_mu_);
  world_cache_.emplace_front(hash, world);
  if (world_cache_.size() > kWorldCacheSize) world_cache_.pop_back();
  return world;
}

}  // namespace echelon::cluster
