// DiskReplayStore: the ReplayStore (replay_store.h) of a single server, kept
// in its data directory:
//
//   <data-dir>/LOCK             flock()ed while a server uses the directory
//   <data-dir>/segments/*.seg   append-only records of the chunks as pushed
//                               (segment_log.h), each with length and CRC-32
//   <data-dir>/index.db         SQLite (WAL): replays, and where each chunk is
//   <data-dir>/worlds/<hash>.json  the worlds the replays use
//
// The segments are the truth: every record carries its replay's fields, so
// the index can be rebuilt from them. An append writes the record, then
// commits its index row; on open, the tail of each segment past what the
// index knows is scanned and indexed, a torn record at the end is cut off, and
// chunks whose bytes are gone are dropped from the index. Each of these is
// logged once. Damage inside a stored record is found on read (checksum) and
// reported as DataLoss for that chunk only.
//
// Durability: kNever leaves writes to the kernel (they survive SIGKILL, not a
// power loss); kInterval also fsyncs the active segment about once a second
// (a power loss loses at most that second); kAlways fsyncs every append.
//
// Retention: past `max_bytes` of stored frames the oldest unpinned replays
// are deleted; a segment file goes once nothing in it is live.
//
// Threads: every method takes the store's mutex for the index; chunk bytes are
// read outside it. A syncer thread runs for kInterval.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/library/data_dir_lock.h"
#include "server/library/replay_store.h"
#include "server/library/segment_log.h"
#include "server/library/sqlite_db.h"

namespace echelon::library {

enum class Durability { kNever, kInterval, kAlways };

// "never", "interval" or "always".
[[nodiscard]] absl::StatusOr<Durability> ParseDurability(std::string_view text);

struct DiskStoreOptions {
  std::string data_dir = "./echelon-data";
  Durability durability = Durability::kInterval;
  absl::Duration sync_interval = absl::Seconds(1);
  uint64_t max_bytes = 10ull << 30;
  uint64_t max_segment_bytes = 64ull << 20;
};

// What opening the store found and repaired.
struct RecoveryReport {
  size_t records_indexed = 0;  // whole records the index did not know yet
  uint64_t bytes_cut = 0;      // torn tails cut off
  size_t chunks_lost = 0;      // indexed chunks whose bytes are gone
  bool index_rebuilt = false;  // the index was unreadable and rebuilt
};

class DiskReplayStore final : public ReplayStore {
 public:
  // FailedPrecondition when another server holds the directory.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DiskReplayStore>> Open(DiskStoreOptions options);
  ~DiskReplayStore() override;

  absl::StatusOr<AppendResult> Append(const ChunkToStore& chunk) override;
  absl::Status PutWorld(const std::string& world_hash, std::string_view world_json) override;
  absl::StatusOr<std::string> GetWorld(const std::string& world_hash) override;
  absl::StatusOr<ReplayPage> List(const ListQuery& query) override;
  absl::StatusOr<ReplayInfo> Describe(const std::string& replay_id) override;
  absl::StatusOr<std::vector<StoredChunkRef>> Chunks(const std::string& replay_id) override;
  absl::StatusOr<std::string> ReadChunk(const std::string& replay_id, uint32_t chunk_index) override;
  absl::StatusOr<std::string_view> ReadChunkInto(const std::string& replay_id, uint32_t chunk_index,
                                                 std::string& buffer) override;
  absl::StatusOr<std::vector<StoredEvent>> ListEventsAfter(uint64_t after_id, uint64_t up_to_id,
                                                          size_t max_events) override;
  uint64_t LastEventId() override;
  absl::StatusOr<ReplayInfo> SetPinned(const std::string& replay_id, bool pinned) override;
  absl::Status Delete(const std::string& replay_id) override;

  const RecoveryReport& recovery() const { return recovery_; }
  // Frames bytes stored (what retention counts) and replays stored.
  uint64_t stored_bytes();
  uint64_t replay_count();

 private:
  explicit DiskReplayStore(DiskStoreOptions options) : options_(std::move(options)) {}
  [[nodiscard]] absl::Status OpenIndex();
  [[nodiscard]] absl::Status Recover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::Status RecoverSegment(uint32_t segment, bool last) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds one record's chunk (and its replay, when new) to the index; a chunk
  // indexed before is left alone. `payload` is the record's payload, or only
  // its head when the frames (`frames_not_in_payload` bytes) are elsewhere.
  // Sets *added when the chunk was new.
  [[nodiscard]] absl::Status IndexChunkLocked(std::string_view payload, uint64_t frames_not_in_payload,
                                              const RecordLocation& location, bool* added, bool* completed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::StatusOr<ReplayInfo> DescribeLocked(const std::string& replay_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  [[nodiscard]] absl::Status DeleteLocked(const std::string& replay_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnforceRetentionLocked(const std::string& keep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveDeadSegmentsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string WorldPath(const std::string& world_hash) const;
  void RunSyncer();

  const DiskStoreOptions options_;
  std::unique_ptr<DataDirLock> lock_;
  RecoveryReport recovery_;

  absl::Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SegmentLog> log_ ABSL_GUARDED_BY(mu_);
  uint64_t total_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_event_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool retention_warned_ ABSL_GUARDED_BY(mu_) = false;

  absl::Notification stopping_;
  std::thread syncer_;
};

}  // namespace echelon::library
