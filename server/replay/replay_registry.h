// ReplayRegistry: what the hub remembers about each replay in flight, to check
// chunks against (same chunk_count and world_ref for every chunk, index in
// range), to make re-sent chunks idempotent, and to let late joiners start at
// the right replay_start. Replays whose chunks stop coming expire after an idle
// time, ended ones after the same time (long enough to absorb retries).
//
// Not thread-safe: owned by the hub and used under its mutex.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/replay/hub_event.h"

namespace echelon::replay {

struct ReplayState {
  std::string world_ref;
  uint32_t chunk_count = 0;
  std::vector<bool> received;
  uint32_t received_count = 0;
  bool ended = false;
  absl::Time last_activity;
  // Kept for late joiners even after the log has evicted it.
  HubEventPtr start;
};

class ReplayRegistry {
 public:
  struct Limits {
    uint32_t max_chunk_count = 100000;
    size_t max_frames_per_chunk = 10000;
    size_t max_replays = 256;
    absl::Duration idle_timeout = absl::Minutes(5);
  };

  explicit ReplayRegistry(Limits limits) : limits_(limits) {}

  // Checks a chunk against what is known of its replay: InvalidArgument for an
  // index out of range or a chunk_count over the limit, AlreadyExists (409)
  // when chunk_count or world_ref differ from the replay's first chunk.
  [[nodiscard]] absl::Status Check(const std::string& replay_id, const std::string& world_ref,
                                   uint32_t chunk_index, uint32_t chunk_count) const;

  // nullptr when the replay is unknown.
  ReplayState* Find(const std::string& replay_id);

  // Starts tracking a replay; evicts the least recently active one when full.
  ReplayState& Begin(const std::string& replay_id, const std::string& world_ref,
                     uint32_t chunk_count, absl::Time now);

  // Records a chunk; false when it had been received before (a re-send).
  bool MarkReceived(ReplayState& state, uint32_t chunk_index, absl::Time now);

  // Marks the replay ended; it becomes the one late joiners see last.
  void MarkEnded(const std::string& replay_id, ReplayState& state) {
    state.ended = true;
    last_ended_ = replay_id;
  }

  // Stops tracking a replay (its events could not be journaled).
  void Forget(const std::string& replay_id) { replays_.erase(replay_id); }

  // Drops replays idle for longer than the idle timeout; returns how many.
  size_t ExpireIdle(absl::Time now);

  // The replays a late joiner should see, as their pinned start events in id
  // order: the most recently ended one, and every unfinished one that is
  // newer than it or still receiving chunks (active within kLiveWindow). An
  // abandoned replay never hides the ones pushed after it.
  std::vector<HubEventPtr> RecentStarts(absl::Time now) const;

  // Unfinished replays that received a chunk within kLiveWindow.
  std::vector<std::string> LiveReplayIds(absl::Time now) const;
  bool IsLive(const std::string& replay_id, absl::Time now) const;

  // How recently a replay must have received a chunk to count as being pushed now.
  static constexpr absl::Duration kLiveWindow = absl::Seconds(30);

  size_t size() const { return replays_.size(); }

 private:
  const Limits limits_;
  absl::flat_hash_map<std::string, ReplayState> replays_;
  std::string last_ended_;
};

}  // namespace echelon::replay
