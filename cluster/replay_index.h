// ReplayIndex: which replays of the shared log a new viewer should see, the
// cluster's counterpart of the hub's ReplayRegistry::RecentStarts(). It
// follows only the small start/end events (`<prefix>.meta.>`), from the
// beginning of the log, on a thread of its own.
//
// The rule is the hub's: every unfinished replay or, when none is, the one that
// ended last. A replay counts as unfinished for `idle_timeout` after its start
// (the index does not read chunks, so it cannot see a replay's last activity;
// a trainer that died leaves its replay listed that long, then it drops out).
//
// Threads: the reader thread updates; Recent() and WaitReady() from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cluster/nats_client.h"
#include "cluster/stream_reader.h"

namespace echelon::cluster {

struct RecentReplay {
  std::string replay_id;
  uint64_t start_sequence = 0;
};

struct RecentReplays {
  std::vector<RecentReplay> replays;
  // The last log sequence the index had read: a start after it is news.
  uint64_t indexed_through = 0;
};

class ReplayIndex {
 public:
  ReplayIndex(std::shared_ptr<NatsClient> nats, absl::Duration idle_timeout);
  ~ReplayIndex();

  // Blocks until the index has read the log up to its end at least once (or
  // `timeout` passed); false on timeout.
  bool WaitReady(absl::Duration timeout);
  // The replays a late joiner gets, oldest start first.
  RecentReplays Recent() const;

  // Feeds one start/end event (the reader thread; tests call it directly).
  void Record(const std::string& replay_id, bool is_start, uint64_t sequence, absl::Time stored);

 private:
  struct Entry {
    uint64_t start_sequence = 0;
    absl::Time started;
    bool ended = false;
  };

  void Run();
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<NatsClient> nats_;
  const absl::Duration idle_timeout_;
  absl::Notification ready_;
  absl::Notification stopping_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> replays_ ABSL_GUARDED_BY(mu_);
  std::string last_ended_ ABSL_GUARDED_BY(mu_);
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace echelon::cluster
