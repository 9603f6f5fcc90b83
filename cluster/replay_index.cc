#include "cluster/replay_index.h"

#include <algorithm>

#include "echelon/replay/v1/replay.pb.h"
#include "spdlog/spdlog.h"

namespace echelon::cluster {

namespace v1 = echelon::replay::v1;

ReplayIndex::ReplayIndex(std::shared_ptr<NatsClient> nats, absl::Duration idle_timeout)
    : nats_(std::move(nats)), idle_timeout_(idle_timeout) {
  thread_ = std::thread([this] { Run(); });
}

ReplayIndex::~ReplayIndex() {
  // The reader thread sees this within one Next() timeout.
  stopping_.Notify();
  thread_.join();
}

bool ReplayIndex::WaitReady(absl::Duration timeout) { return ready_.WaitForNotificationWithTimeout(timeout); }

void ReplayIndex::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_.HasBeenNotified()) {
    uint64_t from;
    {
      absl::MutexLock lock(&mu_);
      from = last_sequence_ + 1;
    }
    auto reader = StreamReader::Open(nats_, nats_->subjects().AllMeta(), from);
    if (!reader.ok()) {
      spdlog::warn("replay index: {}; retrying", reader.status().ToString());
      if (stopping_.WaitForNotificationWithTimeout(backoff)) return;
      backoff = std::min(backoff * 2, absl::Seconds(2));
      continue;
    }
    while (!stopping_.HasBeenNotified()) {
      absl::StatusOr<std::optional<StreamMessage>> next = (*reader)->Next(absl::Milliseconds(300));
      if (!next.ok()) {
        spdlog::warn("replay index: {}; reopening", next.status().ToString());
        break;
      }
      if (!next->has_value()) {
        // Nothing more for now: the index has read the log to its end.
        if (!ready_.HasBeenNotified()) ready_.Notify();
        continue;
      }
      const StreamMessage& message = **next;
      v1::ReplayEvent event;
      if (event.ParseFromString(message.data)) {
        if (event.has_replay_start()) Record(event.replay_start().replay_id(), true, message.sequence, message.stored);
        if (event.has_replay_end()) Record(event.replay_end().replay_id(), false, message.sequence, message.stored);
      }
      if (message.pending == 0 && !ready_.HasBeenNotified()) ready_.Notify();
    }
  }
}

void ReplayIndex::Record(const std::string& replay_id, bool is_start, uint64_t sequence, absl::Time stored) {
  absl::MutexLock lock(&mu_);
  last_sequence_ = std::max(last_sequence_, sequence);
  Entry& entry = replays_[replay_id];
  if (is_start) {
    // A second start of the same replay (its first fell out of the duplicate
    // window) keeps the first one: chunks follow the earliest.
    if (entry.start_sequence == 0) {
      entry.start_sequence = sequence;
      entry.started = stored;
    }
  } else {
    entry.ended = true;
    last_ended_ = replay_id;
  }
  PruneLocked(stored);
}

void ReplayIndex::PruneLocked(absl::Time now) {
  // Only unfinished replays within the idle time and the last ended one
  // matter; the rest is forgotten so the index stays small.
  for (auto it = replays_.begin(); it != replays_.end();) {
    const Entry& entry = it->second;
    const bool keep = it->first == last_ended_ || (!entry.ended && now - entry.started <= idle_timeout_);
    if (keep) {
      ++it;
    } else {
      replays_.erase(it++);
    }
  }
}

RecentReplays ReplayIndex::Recent() const {
  absl::MutexLock lock(&mu_);
  RecentReplays result;
  result.indexed_through = last_sequence_;
  std::vector<RecentReplay>& recent = result.replays;
  const absl::Time now = absl::Now();
  for (const auto& [id, entry] : replays_) {
    if (entry.start_sequence != 0 && !entry.ended && now - entry.started <= idle_timeout_) {
      recent.push_back({id, entry.start_sequence});
    }
  }
  if (recent.empty()) {
    auto last = replays_.find(last_ended_);
    if (last != replays_.end() && last->second.start_sequence != 0) {
      recent.push_back({last_ended_, last->second.start_sequence});
    }
  }
  std::sort(recent.begin(), recent.end(),
            [](const RecentReplay& a, const RecentReplay& b) { return a.start_sequence < b.start_sequence; });
  return result;
}

}  // namespace echelon::cluster
