#include "server/replay/replay_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace echelon::replay {

absl::Status ReplayRegistry::Check(const std::string& replay_id, const std::string& world_ref,
                                   uint32_t chunk_index, uint32_t chunk_count) const {
  if (chunk_count == 0 || chunk_count > limits_.max_chunk_count) {
    return absl::InvalidArgumentError(absl::StrCat("chunk_count must be between 1 and ",
                                                   limits_.max_chunk_count, ", got ", chunk_count));
  }
  if (chunk_index >= chunk_count) {
    return absl::InvalidArgumentError(absl::StrCat("chunk_index ", chunk_index,
                                                   " is outside 0..chunk_count-1 (chunk_count ",
                                                   chunk_count, ")"));
  }
  auto it = replays_.find(replay_id);
  if (it == replays_.end()) return absl::OkStatus();
  const ReplayState& state = it->second;
  if (state.chunk_count != chunk_count) {
    return absl::AlreadyExistsError(absl::StrCat("replay ", replay_id, " has chunk_count ",
                                                 state.chunk_count, ", this chunk says ",
                                                 chunk_count));
  }
  if (state.world_ref != world_ref) {
    return absl::AlreadyExistsError(absl::StrCat("replay ", replay_id, " uses world ",
                                                 state.world_ref, ", this chunk says ", world_ref));
  }
  return absl::OkStatus();
}

ReplayState* ReplayRegistry::Find(const std::string& replay_id) {
  auto it = replays_.find(replay_id);
  return it == replays_.end() ? nullptr : &it->second;
}

ReplayState& ReplayRegistry::Begin(const std::string& replay_id, const std::string& world_ref,
                                   uint32_t chunk_count, absl::Time now) {
  if (replays_.size() >= limits_.max_replays) {
    auto oldest = std::min_element(replays_.begin(), replays_.end(), [](const auto& a, const auto& b) {
      return a.second.last_activity < b.second.last_activity;
    });
    spdlog::warn("replay {} forgotten: more than {} replays in flight", oldest->first,
                 limits_.max_replays);
    replays_.erase(oldest);
  }
  ReplayState& state = replays_[replay_id];
  state.world_ref = world_ref;
  state.chunk_count = chunk_count;
  state.received.assign(chunk_count, false);
  state.last_activity = now;
  return state;
}

bool ReplayRegistry::MarkReceived(ReplayState& state, uint32_t chunk_index, absl::Time now) {
  state.last_activity = now;
  if (state.received[chunk_index]) return false;
  state.received[chunk_index] = true;
  ++state.received_count;
  return true;
}

size_t ReplayRegistry::ExpireIdle(absl::Time now) {
  size_t expired = 0;
  for (auto it = replays_.begin(); it != replays_.end();) {
    if (now - it->second.last_activity > limits_.idle_timeout) {
      if (!it->second.ended) {
        spdlog::warn("replay {} expired after {} idle with {}/{} chunks", it->first,
                     absl::FormatDuration(limits_.idle_timeout), it->second.received_count,
                     it->second.chunk_count);
      }
      replays_.erase(it++);
      ++expired;
    } else {
      ++it;
    }
  }
  return expired;
}

std::vector<HubEventPtr> ReplayRegistry::RecentStarts(absl::Time now) const {
  std::vector<HubEventPtr> starts;
  uint64_t last_ended_start = 0;
  auto last = replays_.find(last_ended_);
  if (last != replays_.end() && last->second.start) {
    // Between replays, a new viewer still gets the one that just finished.
    starts.push_back(last->second.start);
    last_ended_start = last->second.start->id;
  }
  for (const auto& [id, state] : replays_) {
    if (!state.start || state.ended) continue;
    if (state.start->id > last_ended_start || now - state.last_activity <= kLiveWindow) {
      starts.push_back(state.start);
    }
  }
  std::sort(starts.begin(), starts.end(),
            [](const HubEventPtr& a, const HubEventPtr& b) { return a->id < b->id; });
  return starts;
}

std::vector<std::string> ReplayRegistry::LiveReplayIds(absl::Time now) const {
  std::vector<std::string> live;
  for (const auto& [id, state] : replays_) {
    if (!state.ended && now - state.last_activity <= kLiveWindow) live.push_back(id);
  }
  return live;
}

bool ReplayRegistry::IsLive(const std::string& replay_id, absl::Time now) const {
  auto it = replays_.find(replay_id);
  return it != replays_.end() && !it->second.ended && now - it->second.last_activity <= kLiveWindow;
}

}  // namespace echelon::replay
