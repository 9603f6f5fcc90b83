// ReplayHub: the core's fan-out. Producers publish chunks; the hub checks them,
// turns them into replay_start / replay_chunk / replay_end events with ids
// that never repeat within the server's life, retains recent events (bounded
// by bytes) for late joiners and resumes, and queues every event once, shared,
// on each subscriber's outbox. Publishing never waits for a subscriber: one
// that falls behind its outbox limits is closed and counted.
//
// Threads: Publish() and Subscribe() may be called from any thread. CPU work
// on a chunk (validating and compacting its frames JSON) happens before the
// hub's mutex is taken; under the mutex only bookkeeping and pointer pushes.
//
//   ReplayHub hub(options, [&](std::string_view h) { return store.Get(h); });
//   absl::StatusOr<PublishResult> r = hub.Publish(chunk);
//   std::shared_ptr<Subscription> sub = hub.Subscribe(request);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "echelon/replay/v1/replay.pb.h"
#include "server/replay/event_journal.h"
#include "server/library/replay_store.h"
#include "server/replay/event_log.h"
#include "server/replay/library_backlog.h"
#include "server/replay/replay_registry.h"
#include "server/replay/subscription.h"
#include "server/world/world_store.h"

namespace echelon::replay {

struct HubOptions {
  size_t retention_bytes = 64u << 20;
  ReplayRegistry::Limits replays;
  OutboxLimits subscriber_limits{.max_bytes = 256u << 20, .max_wait = absl::Seconds(30)};
  // Cluster mode: every event also goes to this journal, and a push is
  // acknowledged once the journal has it (event_journal.h). None by default.
  std::shared_ptr<EventJournal> journal;
  // The replay library (not owned; null runs memory-only). With it, a chunk
  // is acknowledged only once the library has it, event ids continue above
  // the stored ones, a replay known only to the library (a restart) goes on
  // where it stopped, and late joiners are caught up from it.
  library::ReplayStore* library = nullptr;
  // Most a library catch-up may hold for one viewer.
  size_t library_backlog_bytes = 256u << 20;
};

struct PublishResult {
  uint32_t subscribers_notified = 0;
  bool duplicate = false;
};

// The answer to a push of chunk `chunk_index` of `replay_id`.
echelon::replay::v1::PushAck MakePushAck(const std::string& replay_id, uint32_t chunk_index,
                                         const PublishResult& result);

struct HubStats {
  size_t subscribers = 0;
  size_t replays = 0;
  size_t retained_events = 0;
  size_t retained_bytes = 0;
  uint64_t events_published = 0;
  uint64_t chunks_published = 0;
  uint64_t chunks_duplicate = 0;
  uint64_t subscribers_dropped = 0;
};

class ReplayHub {
 public:
  using WorldLookup = std::function<absl::StatusOr<std::shared_ptr<const world::StoredWorld>>(
      const std::string& world_hash)>;

  ReplayHub(HubOptions options, WorldLookup world_lookup);
  ~ReplayHub();

  // Checks and broadcasts one chunk. InvalidArgument for a malformed chunk,
  // FailedPrecondition when its world is not stored, AlreadyExists when it
  // contradicts earlier chunks of its replay, Unavailable after Shutdown().
  [[nodiscard]] absl::StatusOr<PublishResult> Publish(const echelon::replay::v1::ReplayChunk& chunk);
  // The same for a chunk the caller is done with: its frames_json buffer
  // becomes the event's instead of being copied (a gRPC push stream's chunk).
  [[nodiscard]] absl::StatusOr<PublishResult> Publish(echelon::replay::v1::ReplayChunk&& chunk);

  // Publish() for a chunk whose frames_json this process made itself from a
  // parsed push body (json::ParsePush: a validated, minified array of
  // `frame_count` frames), as the in-process gateway does: the frames are
  // moved into the event instead of being parsed and copied again.
  [[nodiscard]] absl::StatusOr<PublishResult> PublishCompact(echelon::replay::v1::ReplayChunk chunk,
                                                             size_t frame_count);

  // Registers a subscriber, its outbox pre-filled with the backlog the request
  // selects (see SubscribeRequest in replay.proto).
  std::shared_ptr<Subscription> Subscribe(const echelon::replay::v1::SubscribeRequest& request);
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);

  // True while chunks of the replay are being pushed (within the live window).
  bool IsLive(const std::string& replay_id) const;

  // Forgets replays idle past their timeout; called periodically.
  void ExpireIdleReplays();

  // Drops the subscribers that took nothing for their stall limit while an
  // event waited (run by a timer: a stalled subscriber goes even when
  // nothing more is published).
  void DropStalledSubscribers();
  // Closes every subscription and refuses further publishes.
  void Shutdown();

  HubStats stats() const;

 private:
  // The checks and the broadcast of both Publish forms; `frames_of` yields
  // the chunk's compact frames JSON and runs only for a chunk that is new;
  // `known_frame_count` is how many frames it holds, when the caller knows.
  absl::StatusOr<PublishResult> PublishWith(const echelon::replay::v1::ReplayChunk& chunk,
                                            absl::FunctionRef<absl::StatusOr<std::string>()> frames_of,
                                            std::optional<size_t> known_frame_count);

  // A backlog-only subscription caught up from the library.
  std::shared_ptr<Subscription> SubscribeFromLibrary(const echelon::replay::v1::SubscribeRequest& request);
  // The library's record of a replay this hub does not track (after a
  // restart, or once it expired): NotFound when there is none.
  struct StoredReplay {
    library::ReplayInfo info;
    std::vector<library::StoredChunkRef> chunks;
  };
  absl::StatusOr<StoredReplay> FindStored(const echelon::replay::v1::ReplayChunk& chunk);
  // Tracks a stored replay again: its stored chunks count as received and its
  // start keeps its stored id (nothing is broadcast).
  ReplayState& ResumeStoredLocked(const StoredReplay& stored, const world::StoredWorld& world, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes a chunk to the library; called under the mutex, before broadcasting.
  absl::StatusOr<library::AppendResult> StoreLocked(const echelon::replay::v1::ReplayChunk& chunk,
                                                    const std::string& frames_json, uint32_t frames_crc,
                                                    size_t frame_count, uint64_t start_id, uint64_t chunk_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  HubEventPtr MakeEvent(echelon::replay::v1::ReplayEvent event, const std::string& replay_id,
                        EventPtr without_world = nullptr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  HubEventPtr MakeStartEvent(const echelon::replay::v1::ReplayChunk& chunk,
                             const world::StoredWorld& world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Retains an event and queues it on every subscriber; collects the
  // subscribers that went from idle to ready, to be woken after unlocking.
  void BroadcastLocked(const HubEventPtr& event, std::vector<std::shared_ptr<Subscription>>& wake)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits for the journal to store a chunk's events; on failure forgets the
  // replay so that the producer's retry writes all of it again (the journal
  // drops what it already had by message id).
  absl::Status AwaitJournal(const EventJournal::Confirmation& confirmation, const std::string& replay_id,
                            PublishResult& result);
  void PrefillBacklogLocked(const echelon::replay::v1::SubscribeRequest& request,
                            Subscription& subscription) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const HubOptions options_;
  const WorldLookup world_lookup_;
  std::unique_ptr<LibraryBacklog> library_backlog_;

  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_event_id_ ABSL_GUARDED_BY(mu_);
  uint64_t next_subscriber_serial_ ABSL_GUARDED_BY(mu_) = 1;
  EventLog log_ ABSL_GUARDED_BY(mu_);
  ReplayRegistry replays_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Subscription>> subscribers_ ABSL_GUARDED_BY(mu_);
  uint64_t events_published_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t chunks_published_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t chunks_duplicate_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t subscribers_dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace echelon::replay
