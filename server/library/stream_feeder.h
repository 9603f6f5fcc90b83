// StreamFeeder: keeps a core's replay library a complete copy of the cluster's
// replay log (cluster mode, --nats with a library). One thread reads the whole
// stream in order and applies every message, whichever core accepted it:
//
//   replay_start  remembered until its replay's first chunk creates it here
//   replay_chunk  appended to the copy with the log's event id and timestamp
//                 (idempotent by replay_id + chunk_index, like any push)
//   replay_end    nothing to do: the copy knows its chunk_count
//   library.*     pin, unpin, delete (library_ops.h), so that a change made
//                 through any core reaches every copy, in log order
//
// A chunk whose replay_start this feeder never saw (it was read before a
// restart, or the chunk's start came first from another core) takes its
// fields from the copy, or else from the first message on the replay's meta
// subject in the log.
//
// Position: an ordered consumer (cluster/stream_reader.h) from the last
// applied sequence kept in the data dir (stream_position.h), rather than a
// durable consumer on the NATS servers: the position lives and dies with the
// copy it describes (a wiped data dir starts from the log's beginning, a
// retired core leaves nothing behind in NATS). It is saved about once a
// second and trails what is applied by two seconds, longer than the
// library's interval fsync, so it never claims more than survives a power
// loss; what is applied twice after a restart is absorbed by idempotency.
//
// Failures: a message that cannot apply (not a ReplayEvent, a chunk that
// contradicts its replay, a replay whose start the log no longer holds) is
// logged and skipped. A failure of the surroundings (NATS unreachable, the
// world bucket not answering, a full disk) stops the copy at that message;
// it is retried every second and logged once, so the copy never skips a chunk
// it could have stored.
//
// Threads: its own reader thread applies; WaitApplied(), applied() and
// IsLive() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cluster/nats_client.h"
#include "cluster/stream_reader.h"
#include "echelon/replay/v1/replay.pb.h"
#include "server/library/replay_store.h"
#include "server/library/stream_position.h"

namespace echelon::library {

// For /metrics: how the copy follows the log.
struct FeederStats {
  uint64_t applied_sequence = 0;
  bool current = false;          // within a few messages of the log's end
  uint64_t chunks_stored = 0;    // new chunks this copy stored from the log
  uint64_t messages_skipped = 0; // messages that could not apply (logged)
};

struct FeederOptions {
  // The data dir of the copy: its position file lives there.
  std::string data_dir;
  // A replay still missing chunks counts as live this long after its last
  // chunk reached the log (the core's --replay-idle).
  absl::Duration live_window = absl::Minutes(5);
};

class StreamFeeder {
 public:
  // A world's JSON by hash (the core's world store, which falls back to the
  // cluster's bucket). NotFound is final; other errors are retried.
  using WorldSource = std::function<absl::StatusOr<std::string>(const std::string& world_hash)>;

  // Starts the reader thread; `copy` must outlive the feeder.
  [[nodiscard]] static std::unique_ptr<StreamFeeder> Start(std::shared_ptr<cluster::NatsClient> nats,
                                                           ReplayStore& copy, WorldSource worlds,
                                                           FeederOptions options);
  ~StreamFeeder();
  StreamFeeder(const StreamFeeder&) = delete;
  StreamFeeder& operator=(const StreamFeeder&) = delete;

  // Stops the thread; idempotent.
  void Stop();

  // Waits until every log message up to `sequence` is applied to the copy;
  // false when that did not happen within `timeout`.
  bool WaitApplied(uint64_t sequence, absl::Duration timeout);
  // WaitApplied() when the copy keeps up with the log; at once when it is
  // catching up (a restart, a long outage) or stuck (a full disk), so that
  // pushes are not held back by it.
  void WaitAppliedIfCurrent(uint64_t sequence, absl::Duration timeout);
  FeederStats stats() const;
  // The last log sequence applied.
  uint64_t applied() const;
  // Chunks of the replay reached the log within the live window and it is
  // not complete.
  bool IsLive(const std::string& replay_id) const;

 private:
  // What a chunk needs to know about its replay to be stored.
  struct ReplayFields {
    std::string world_ref;
    uint32_t chunk_count = 0;
    std::string meta_json = "{}";
    std::string extra_json = "{}";
    uint64_t start_event_id = 0;
    bool in_copy = false;  // the copy has the replay already (and its world)
  };

  StreamFeeder(std::shared_ptr<cluster::NatsClient> nats, ReplayStore& copy, WorldSource worlds,
               FeederOptions options);
  void Run();
  // Reads from `from` until stopped, a read error or a message to retry;
  // the sequence to go on from.
  uint64_t ReadFrom(uint64_t from);
  // OK when the message is applied or skipped for good; an error when it
  // must be retried.
  absl::Status Apply(const cluster::StreamMessage& message);
  void RememberStart(const echelon::replay::v1::ReplayStart& start, uint64_t sequence);
  absl::Status ApplyChunk(const echelon::replay::v1::ReplayChunkEvent& chunk, const cluster::StreamMessage& message);
  // A chunk that cannot apply: skipped (logged, counted) when applying it
  // again cannot help, else `why` (retried).
  absl::Status SkipChunkOrRetry(const echelon::replay::v1::ReplayChunkEvent& chunk, const absl::Status& why);
  absl::Status ApplyLibraryOp(const cluster::StreamMessage& message);
  // The fields of a chunk's replay: remembered start, the copy, or the log.
  absl::StatusOr<ReplayFields> FieldsOf(const std::string& replay_id);
  absl::StatusOr<ReplayFields> StartFromLog(const std::string& replay_id);
  void MarkApplied(uint64_t sequence, bool current);
  void MarkBehind();
  void CountSkipped();
  void SavePositionIfDue();
  void NoteLive(const std::string& replay_id, absl::Time stored, bool complete);

  const std::shared_ptr<cluster::NatsClient> nats_;
  ReplayStore& copy_;
  const WorldSource worlds_;
  const FeederOptions options_;
  const StreamPosition position_;

  // Reader thread only.
  absl::flat_hash_map<std::string, ReplayFields> starts_;
  // Replays whose start the log did not hold when a chunk looked for it.
  absl::flat_hash_set<std::string> without_start_;
  std::optional<uint64_t> expected_next_;
  absl::Time last_save_ = absl::InfinitePast();
  uint64_t saved_ = 0;
  // (when, applied then): the position saved is the newest entry older than
  // the trailing delay.
  std::vector<std::pair<absl::Time, uint64_t>> applied_history_;
  bool retrying_ = false;

  mutable absl::Mutex mu_;
  uint64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
  // The copy was within a few messages of the log's end when last read.
  bool current_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t chunks_stored_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t messages_skipped_ ABSL_GUARDED_BY(mu_) = 0;
  // Incomplete replays by the log time of their last chunk.
  absl::flat_hash_map<std::string, absl::Time> live_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<cluster::StreamReader> reader_ ABSL_GUARDED_BY(mu_);

  absl::Notification stopping_;
  std::thread thread_;
};

}  // namespace echelon::library
