#include "server/replay/replay_hub.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_util.h"
#include "protocol/chunk_codec.h"
#include "protocol/json_text.h"
#include "protocol/struct_json.h"
#include "server/library/segment_log.h"
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
      replays_(options_.replays) {
  if (options_.library != nullptr) {
    // Ids continue above every id the library holds (a clock set back must
    // not make a stored id come round again).
    next_event_id_ = std::max(next_event_id_, options_.library->LastEventId() + 1);
    library_backlog_ = std::make_unique<LibraryBacklog>(
        *options_.library,
        [this](const std::string& hash) -> absl::StatusOr<std::string> {
          ECHELON_ASSIGN_OR_RETURN(auto world, world_lookup_(hash));
          return world->json();
        },
        options_.library_backlog_bytes);
  }
}

ReplayHub::~ReplayHub() { Shutdown(); }

absl::StatusOr<PublishResult> ReplayHub::Publish(const v1::ReplayChunk& chunk) {
  return PublishWith(
      chunk,
      [&]() -> absl::StatusOr<std::string> {
        return json::FramesJsonFromChunk(chunk, options_.replays.max_frames_per_chunk);
      },
      chunk.frames_size() > 0 ? std::optional<size_t>(chunk.frames_size()) : std::nullopt);
}

absl::StatusOr<PublishResult> ReplayHub::Publish(v1::ReplayChunk&& chunk) {
  const std::optional<size_t> typed_frames =
      chunk.frames_size() > 0 ? std::optional<size_t>(chunk.frames_size()) : std::nullopt;
  return PublishWith(
      chunk,
      [&]() -> absl::StatusOr<std::string> {
        return json::TakeFramesJson(chunk, options_.replays.max_frames_per_chunk);
      },
      typed_frames);
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
  return PublishWith(
      chunk, [frames]() -> absl::StatusOr<std::string> { return std::move(*frames); }, frame_count);
}

absl::StatusOr<PublishResult> ReplayHub::PublishWith(const v1::ReplayChunk& chunk,
                                                     absl::FunctionRef<absl::StatusOr<std::string>()> frames_of,
                                                     std::optional<size_t> known_frame_count) {
  ECHELON_RETURN_IF_ERROR(CheckChunkFields(chunk));
  const std::string& replay_id = chunk.replay_id();
  const uint32_t index = chunk.chunk_index();
  library::ReplayStore* const library = options_.library;

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

  // A replay this hub does not track may be in the library (a restart, or it
  // expired): it goes on where it stopped.
  std::optional<StoredReplay> stored;
  if (!known_replay && library != nullptr) {
    absl::StatusOr<StoredReplay> found = FindStored(chunk);
    if (found.ok()) {
      stored = *std::move(found);
    } else if (found.status().code() != absl::StatusCode::kNotFound) {
      return found.status();
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
    // The library keeps the world with the replay: the world cache may forget it.
    if (library != nullptr) ECHELON_RETURN_IF_ERROR(library->PutWorld(chunk.world_ref(), world->json()));
  }
  // Checksummed here, outside the mutex; the library combines it with its head.
  const uint32_t frames_crc = library != nullptr ? library::Crc32(frames_json) : 0;
  const size_t frame_count =
      library == nullptr ? 0 : known_frame_count ? *known_frame_count : json::CountArrayElements(frames_json);

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
    if (state == nullptr && world == nullptr) {
      return absl::AbortedError("replay was forgotten while its chunk was prepared; retry");
    }
    if (state == nullptr && stored) state = &ResumeStoredLocked(*stored, *world, now);
    if (state != nullptr && state->received[index]) {
      state->last_activity = now;
      ++chunks_duplicate_;
      return PublishResult{0, true};
    }
    const bool creating = state == nullptr;
    // The ids the events will get: replay_start (when new), then the chunk.
    const uint64_t start_id = creating ? next_event_id_ : state->start->id;
    const uint64_t chunk_id = creating ? next_event_id_ + 1 : next_event_id_;
    if (library != nullptr) {
      // Stored before anyone hears of it: an acknowledged chunk is durable.
      ECHELON_ASSIGN_OR_RETURN(library::AppendResult appended,
                               StoreLocked(chunk, frames_json, frames_crc, frame_count, start_id, chunk_id));
      if (appended.duplicate && state != nullptr) {
        replays_.MarkReceived(*state, index, now);
        ++chunks_duplicate_;
        return PublishResult{0, true};
      }
    }
    if (creating) {
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

absl::StatusOr<ReplayHub::StoredReplay> ReplayHub::FindStored(const v1::ReplayChunk& chunk) {
  StoredReplay stored;
  ECHELON_ASSIGN_OR_RETURN(stored.info, options_.library->Describe(chunk.replay_id()));
  if (stored.info.chunk_count != chunk.chunk_count()) {
    return absl::AlreadyExistsError(absl::StrCat("replay ", chunk.replay_id(), " has chunk_count ",
                                                 stored.info.chunk_count, ", this chunk says ", chunk.chunk_count()));
  }
  if (stored.info.world_ref != chunk.world_ref()) {
    return absl::AlreadyExistsError(absl::StrCat("replay ", chunk.replay_id(), " uses world ", stored.info.world_ref,
                                                 ", this chunk says ", chunk.world_ref()));
  }
  ECHELON_ASSIGN_OR_RETURN(stored.chunks, options_.library->Chunks(chunk.replay_id()));
  return stored;
}

ReplayState& ReplayHub::ResumeStoredLocked(const StoredReplay& stored, const world::StoredWorld& world,
                                           absl::Time now) {
  const library::ReplayInfo& info = stored.info;
  ReplayState& state = replays_.Begin(info.replay_id, info.world_ref, info.chunk_count, now);
  for (const library::StoredChunkRef& chunk : stored.chunks) {
    if (chunk.chunk_index < info.chunk_count) replays_.MarkReceived(state, chunk.chunk_index, now);
  }
  v1::ReplayStart start;
  start.set_replay_id(info.replay_id);
  start.set_world_ref(info.world_ref);
  start.set_chunk_count(info.chunk_count);
  if (auto meta = json::ParseStructJson(info.meta_json); meta.ok() && meta->fields_size() > 0) {
    *start.mutable_meta() = *std::move(meta);
  }
  if (auto extra = json::ParseStructJson(info.extra_json); extra.ok() && extra->fields_size() > 0) {
    *start.mutable_extra() = *std::move(extra);
  }
  state.start = NewStartEvent(info.start_event_id, std::move(start), world.json());
  if (info.end_event_id != 0) replays_.MarkEnded(info.replay_id, state);
  spdlog::info("replay {} resumed from the library: {}/{} chunks stored", info.replay_id, info.chunks_stored,
               info.chunk_count);
  return state;
}

absl::StatusOr<library::AppendResult> ReplayHub::StoreLocked(const v1::ReplayChunk& chunk,
                                                             const std::string& frames_json, uint32_t frames_crc,
                                                             size_t frame_count, uint64_t start_id,
                                                             uint64_t chunk_id) {
  const std::string meta = chunk.has_meta() ? json::StructToJson(chunk.meta()) : "{}";
  const std::string extra = chunk.has_extra() ? json::StructToJson(chunk.extra()) : "{}";
  library::ChunkToStore record;
  record.replay_id = chunk.replay_id();
  record.world_ref = chunk.world_ref();
  record.chunk_index = chunk.chunk_index();
  record.chunk_count = chunk.chunk_count();
  record.frames_json = frames_json;
  record.frame_count = static_cast<uint32_t>(frame_count);
  record.frames_crc32 = frames_crc;
  record.event_id = chunk_id;
  record.start_event_id = start_id;
  record.meta_json = meta;
  record.extra_json = extra;
  absl::StatusOr<library::AppendResult> appended = options_.library->Append(record);
  if (!appended.ok()) {
    spdlog::error("replay {} chunk {} not stored: {}", chunk.replay_id(), chunk.chunk_index(),
                  appended.status().ToString());
  }
  return appended;
}

HubEventPtr ReplayHub::MakeEvent(v1::ReplayEvent event, const std::string& replay_id,
                                 EventPtr without_world) {
  event.set_id(next_event_id_++);
  return NewHubEvent(std::move(event), replay_id, std::move(without_world));
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
  if (library_backlog_ && request.backlog_only()) return SubscribeFromLibrary(request);
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
  std::vector<HubEventPtr> backlog = replays_.RecentStarts(absl::Now());
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

std::shared_ptr<Subscription> ReplayHub::SubscribeFromLibrary(const v1::SubscribeRequest& request) {
  const uint64_t after_id = request.after_id();
  std::shared_ptr<Subscription> subscription;
  uint64_t horizon = 0;
  std::vector<std::string> live;
  {
    absl::MutexLock lock(&mu_);
    subscription = std::make_shared<Subscription>(next_subscriber_serial_++, request.omit_world(),
                                                  /*backlog_only=*/true, options_.subscriber_limits);
    if (shut_down_) {
      subscription->outbox().Close("server is shutting down");
      return subscription;
    }
    if (after_id != 0 && log_.Covers(after_id)) {
      // A resume within this life's retained events: shared, no disk reads.
      PrefillBacklogLocked(request, *subscription);
      return subscription;
    }
    // Everything up to here is in the library; later events reach the
    // viewer live (the gateway skips what both deliver by id).
    horizon = next_event_id_ - 1;
    live = replays_.LiveReplayIds(absl::Now());
  }
  std::vector<HubEventPtr> backlog;
  bool gap = false;
  if (after_id != 0) {
    absl::StatusOr<std::vector<HubEventPtr>> resumed =
        after_id <= horizon ? library_backlog_->ResumeAfter(after_id, horizon)
                            : absl::OutOfRangeError("a resume point from the future");
    if (resumed.ok()) {
      backlog = *std::move(resumed);
    } else {
      spdlog::info("resume after {} starts afresh: {}", after_id, resumed.status().ToString());
      gap = true;
    }
  }
  if (after_id == 0 || gap) backlog = library_backlog_->ForNewViewer(live, horizon);
  const bool omit = request.omit_world();
  for (size_t i = 0; i < backlog.size(); ++i) {
    EventPtr event = backlog[i]->For(omit);
    if (i == 0 && gap) {
      auto marked = std::make_shared<v1::ReplayEvent>(*event);
      marked->set_gap(true);
      event = std::move(marked);
    }
    subscription->outbox().Prefill(std::move(event), backlog[i]->id);
  }
  return subscription;
}

bool ReplayHub::IsLive(const std::string& replay_id) const {
  absl::MutexLock lock(&mu_);
  return replays_.IsLive(replay_id, absl::Now());
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
    auto dropped = std::remove_if(subscribers_.begin(), subscribers_.end(), [&](const auto& subscriber) {
      if (!subscriber->outbox().CloseIfStalled()) return false;
      stalled.push_back(subscriber);
      return true;
    });
    subscribers_.erase(dropped, subscribers_.end());
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
