#include "server/replay/replay_hub.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_util.h"
#include "protocol/chunk_codec.h"
#include "spdlog/spdlog.h"

namespace echelon::replay {

namespace {

constexpr size_t kMaxReplayIdLength = 256;

// Ids start at the boot time in milliseconds times 1000, so an id remembered
// by a client from an earlier life of the server is always older than every id
// of this one (a resume then gets a clean restart instead of a wrong skip),
// and ids stay below 2^53 for JavaScript.
uint64_t FirstEventId() { return static_cast<uint64_t>(absl::ToUnixMillis(absl::Now())) * 1000 + 1; }

absl::Status CheckChunkFields(const v1::ReplayChunk& chunk) {
  if (chunk.replay_id().empty()) return absl::InvalidArgumentError("replay_id must not be empty");
  if (chunk.replay_id().size() > kMaxReplayIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay_id is longer than ", kMaxReplayIdLength, " characters"));
  }
  if (chunk.world_ref().empty()) return absl::InvalidArgumentError("world_ref must not be empty");
  return absl::OkStatus();
}

void WakeAll(const std::vector<std::shared_ptr<Subscription>>& subscribers) {
  for (const auto& subscriber : subscribers) subscriber->NotifyReady();
}

}  // namespace

v1::PushAck MakePushAck(const std::string& replay_id, uint32_t chunk_index, const PublishResult& result) {
  v1::PushAck ack;
  ack.set_replay_id(replay_id);
  ack.set_chunk_index(chunk_index);
  ack.set_clients_notified(result.subscribers_notified);
  ack.set_duplicate(result.duplicate);
  return ack;
}

ReplayHub::ReplayHub(HubOptions options, WorldLookup world_lookup)
    : options_(std::move(options)),
      world_lookup_(std::move(world_lookup)),
      next_event_id_(FirstEventId()),
      log_(options_.retention_bytes),
      replays_(options_.replays) {}

ReplayHub::~ReplayHub() { Shutdown(); }

absl::StatusOr<PublishResult> ReplayHub::Publish(const v1::ReplayChunk& chunk) {
  return PublishWith(chunk, [&]() -> absl::StatusOr<std::string> {
    return json::FramesJsonFromChunk(chunk, options_.replays.max_frames_per_chunk);
  });
}

absl::StatusOr<PublishResult> ReplayHub::PublishCompact(v1::ReplayChunk chunk, size_t frame_count) {
  if (frame_count > options_.replays.max_frames_per_chunk) {
    return absl::InvalidArgumentError(absl::StrCat("a chunk may hold at most ",
                                                   options_.replays.max_frames_per_chunk,
                                                   " frames, this one has ", frame_count));
  }
  if (chunk.frames_size() > 0) {
    return absl::InvalidArgumentError("a chunk sets either 'frames' or 'frames_json', not both");
  }
  std::string* frames = chunk.mutable_frames_json();
  if (frames->empty()) *frames = "[]";
  return PublishWith(chunk, [frames]() -> absl::StatusOr<std::string> { return std::move(*frames); });
}

absl::StatusOr<PublishResult> ReplayHub::PublishWith(const v1::ReplayChunk& chunk,
                                                     absl::FunctionRef<absl::StatusOr<std::string>()> frames_of) {
  ECHELON_RETURN_IF_ERROR(CheckChunkFields(chunk));
  const std::string& replay_id = chunk.replay_id();
  const uint32_t index = chunk.chunk_index();

  // Cheap checks first, so conflicts and re-sends never pay for the frames.
  bool known_replay = false;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return absl::UnavailableError("server is shutting down");
    ECHELON_RETURN_IF_ERROR(replays_.Check(replay_id, chunk.world_ref(), index, chunk.chunk_count()));
    if (ReplayState* state = replays_.Find(replay_id)) {
      known_replay = true;
      if (state->received[index]) {
        state->last_activity = absl::Now();
        ++chunks_duplicate_;
        return PublishResult{0, true};
      }
    }
  }

  ECHELON_ASSIGN_OR_RETURN(std::string frames_json, frames_of());
  if (options_.journal) ECHELON_RETURN_IF_ERROR(options_.journal->CheckChunkSize(frames_json.size()));
  std::shared_ptr<const world::StoredWorld> world;
  if (!known_replay) {
    auto found = world_lookup_(chunk.world_ref());
    if (!found.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("world_ref ", chunk.world_ref(),
                                                        " is not stored; PUT /worlds/",
                                                        chunk.world_ref(), " first"));
    }
    world = *std::move(found);
  }

  std::vector<std::shared_ptr<Subscription>> wake;
  PublishResult result;
  EventJournal::Confirmation journaled;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return absl::UnavailableError("server is shutting down");
    // Another thread may have published chunks of this replay meanwhile.
    ECHELON_RETURN_IF_ERROR(replays_.Check(replay_id, chunk.world_ref(), index, chunk.chunk_count()));
    const absl::Time now = absl::Now();
    std::vector<HubEventPtr> events;  // for the journal
    ReplayState* state = replays_.Find(replay_id);
    if (state == nullptr) {
      if (world == nullptr) {
        return absl::AbortedError("replay was forgotten while its chunk was prepared; retry");
      }
      state = &replays_.Begin(replay_id, chunk.world_ref(), chunk.chunk_count(), now);
      state->start = MakeStartEvent(chunk, *world);
      BroadcastLocked(state->start, wake);
      if (options_.journal) events.push_back(state->start);
    }
    if (!replays_.MarkReceived(*state, index, now)) {
      ++chunks_duplicate_;
      return PublishResult{0, true};
    }

    v1::ReplayEvent chunk_event;
    auto* body = chunk_event.mutable_replay_chunk();
    body->set_replay_id(replay_id);
    body->set_chunk_index(index);
    body->set_frames_json(std::move(frames_json));
    HubEventPtr published = MakeEvent(std::move(chunk_event), replay_id);
    BroadcastLocked(published, wake);
    if (options_.journal) events.push_back(std::move(published));
    ++chunks_published_;

    if (index + 1 == state->chunk_count) {
      v1::ReplayEvent end_event;
      end_event.mutable_replay_end()->set_replay_id(replay_id);
      HubEventPtr end = MakeEvent(std::move(end_event), replay_id);
      BroadcastLocked(end, wake);
      if (options_.journal) events.push_back(std::move(end));
      replays_.MarkEnded(replay_id, *state);
    }
    result.subscribers_notified = static_cast<uint32_t>(subscribers_.size());
    // Queued in hub order, so the log holds a replay's start before its chunks.
    if (options_.journal) journaled = options_.journal->Append(events);
  }
  WakeAll(wake);
  if (journaled) ECHELON_RETURN_IF_ERROR(AwaitJournal(journaled, replay_id, result));
  return result;
}

absl::Status ReplayHub::AwaitJournal(const EventJournal::Confirmation& confirmation, const std::string& replay_id,
                                     PublishResult& result) {
  absl::StatusOr<bool> stored = confirmation();
  if (stored.ok()) {
    result.duplicate = *stored;
    return absl::OkStatus();
  }
  spdlog::warn("replay {}: the journal did not store a chunk: {}", replay_id, stored.status().ToString());
  absl::MutexLock lock(&mu_);
  replays_.Forget(replay_id);
  return absl::UnavailableError(absl::StrCat("the replay log did not store the chunk (", std::string(stored.status().message()),
                                             "); retry the push"));
}

HubEventPtr ReplayHub::MakeEvent(v1::ReplayEvent event, const std::string& replay_id,
                                 EventPtr without_world) {
  event.set_id(next_event_id_++);
  auto hub_event = std::make_shared<HubEvent>();
  hub_event->id = event.id();
  hub_event->replay_id = replay_id;
  hub_event->with_world = std::make_shared<const v1::ReplayEvent>(std::move(event));
  hub_event->with_world_bytes = EventPayloadBytes(*hub_event->with_world);
  if (without_world) {
    hub_event->without_world = std::move(without_world);
    hub_event->without_world_bytes = EventPayloadBytes(*hub_event->without_world);
  } else {
    hub_event->without_world = hub_event->with_world;
    hub_event->without_world_bytes = hub_event->with_world_bytes;
  }
  return hub_event;
}

HubEventPtr ReplayHub::MakeStartEvent(const v1::ReplayChunk& chunk, const world::StoredWorld& world) {
  v1::ReplayEvent lean;
  auto* start = lean.mutable_replay_start();
  start->set_replay_id(chunk.replay_id());
  start->set_world_ref(chunk.world_ref());
  start->set_chunk_count(chunk.chunk_count());
  if (chunk.has_meta()) *start->mutable_meta() = chunk.meta();
  if (chunk.has_extra()) *start->mutable_extra() = chunk.extra();

  v1::ReplayEvent full = lean;
  full.mutable_replay_start()->set_world_json(world.json());
  lean.set_id(next_event_id_);  // MakeEvent assigns the same id to `full`
  spdlog::info("replay {} started: world {}, {} chunks", chunk.replay_id(), chunk.world_ref(),
               chunk.chunk_count());
  return MakeEvent(std::move(full), chunk.replay_id(),
                   std::make_shared<const v1::ReplayEvent>(std::move(lean)));
}

void ReplayHub::BroadcastLocked(const HubEventPtr& event,
                                std::vector<std::shared_ptr<Subscription>>& wake) {
  log_.Append(event);
  ++events_published_;
  auto dropped = std::remove_if(subscribers_.begin(), subscribers_.end(), [&](const auto& sub) {
    const bool omit = sub->omit_world();
    switch (sub->outbox().Push(event->For(omit), event->BytesFor(omit), event->id)) {
      case PushResult::kQueued:
        return false;
      case PushResult::kWokeIdleConsumer:
        wake.push_back(sub);
        return false;
      case PushResult::kOverflowed:
        spdlog::warn("subscriber {} dropped: {}", sub->serial(), sub->outbox().close_reason());
        ++subscribers_dropped_;
        wake.push_back(sub);
        return true;
      case PushResult::kClosed:
        return true;
    }
    return false;
  });
  subscribers_.erase(dropped, subscribers_.end());
}

std::shared_ptr<Subscription> ReplayHub::Subscribe(const v1::SubscribeRequest& request) {
  absl::MutexLock lock(&mu_);
  auto subscription = std::make_shared<Subscription>(next_subscriber_serial_++, request.omit_world(),
                                                     request.backlog_only(),
                                                     options_.subscriber_limits);
  if (shut_down_) {
    subscription->outbox().Close("server is shutting down");
    return subscription;
  }
  PrefillBacklogLocked(request, *subscription);
  if (!request.backlog_only()) subscribers_.push_back(subscription);
  return subscription;
}

void ReplayHub::PrefillBacklogLocked(const v1::SubscribeRequest& request, Subscription& subscription) {
  const bool omit = request.omit_world();
  auto& outbox = subscription.outbox();
  const uint64_t after_id = request.after_id();
  if (after_id != 0 && log_.Covers(after_id)) {
    log_.ForEachAfter(after_id, [&](const HubEventPtr& e) { outbox.Prefill(e->For(omit), e->id); });
    return;
  }

  // A new subscriber, or one whose resume point was evicted: start it at the
  // recent replays' starts, then everything retained of those replays.
  std::vector<HubEventPtr> backlog = replays_.RecentStarts();
  if (backlog.empty()) return;
  absl::flat_hash_set<std::string> recent;
  for (const HubEventPtr& start : backlog) recent.insert(start->replay_id);
  const uint64_t first_start_id = backlog.front()->id;
  // Every start event is already in `backlog`; take what followed them.
  log_.ForEachAfter(first_start_id, [&](const HubEventPtr& e) {
    if (recent.contains(e->replay_id) && !e->with_world->has_replay_start()) backlog.push_back(e);
  });
  std::stable_sort(backlog.begin(), backlog.end(),
                   [](const HubEventPtr& a, const HubEventPtr& b) { return a->id < b->id; });

  const bool gap = after_id != 0;
  for (size_t i = 0; i < backlog.size(); ++i) {
    EventPtr event = backlog[i]->For(omit);
    if (i == 0 && gap) {
      auto marked = std::make_shared<v1::ReplayEvent>(*event);
      marked->set_gap(true);
      event = std::move(marked);
    }
    outbox.Prefill(std::move(event), backlog[i]->id);
  }
}

void ReplayHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscription),
                     subscribers_.end());
}

void ReplayHub::ExpireIdleReplays() {
  absl::MutexLock lock(&mu_);
  replays_.ExpireIdle(absl::Now());
}

void ReplayHub::DropStalledSubscribers() {
  std::vector<std::shared_ptr<Subscription>> stalled;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& subscriber : subscribers_) {
      if (subscriber->outbox().CloseIfStalled()) stalled.push_back(subscriber);
    }
    subscribers_dropped_ += stalled.size();
  }
  for (const auto& subscriber : stalled) {
    spdlog::warn("gRPC subscriber {} dropped: took nothing within its stall limit", subscriber->serial());
    subscriber->NotifyReady();  // its reactor ends the stream
  }
}

void ReplayHub::Shutdown() {
  std::vector<std::shared_ptr<Subscription>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    subscribers.swap(subscribers_);
  }
  for (const auto& subscriber : subscribers) subscriber->Close("server is shutting down");
}

HubStats ReplayHub::stats() const {
  absl::MutexLock lock(&mu_);
  return HubStats{subscribers_.size(), replays_.size(),     log_.size(),         log_.bytes(),
                  events_published_,   chunks_published_,   chunks_duplicate_,   subscribers_dropped_};
}

}  // namespace echelon::replay
