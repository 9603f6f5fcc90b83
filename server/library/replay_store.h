// ReplayStore: where the replay library keeps every pushed chunk, the contract
// any backing log must honour. DiskReplayStore (disk_replay_store.h) keeps it
// in segment files on the local disk with a SQLite index; a store over a NATS
// JetStream stream (distributed mode) implements the same interface.
//
// Contract:
// - Append() is idempotent by (replay_id, chunk_index): a chunk stored before
//   is answered `duplicate` and nothing is written. A replay is created by its
//   first appended chunk, which fixes its world_ref, chunk_count, meta and
//   extra; later chunks must agree (AlreadyExists otherwise).
// - Durable on return: once Append() returns OK the chunk survives a crash of
//   this process (SIGKILL); with the "always" durability it also survives a
//   power loss, with "interval" a power loss loses at most about one second.
//   The caller acknowledges a push only after Append() returned OK.
// - A full disk is ResourceExhausted with a message that starts with
//   kInsufficientStorage (HTTP 507), and leaves everything stored intact.
// - Every chunk keeps the event id the hub gave it, and every replay its
//   replay_start id, so events can be replayed with their ids after a restart.
// - Reads (Describe, ReadChunk, ListEventsAfter, List) never return a chunk
//   that fails its checksum: DataLoss for that chunk, the rest stays readable.
// - Unknown replays and chunks are NotFound.
//
// Threads: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/storage_status.h"

namespace echelon::library {

// The message prefix of a full-disk error (the gateway answers 507).
using ::echelon::kInsufficientStorage;

// A chunk to store. The views must stay valid during Append().
struct ChunkToStore {
  std::string_view replay_id;
  std::string_view world_ref;
  uint32_t chunk_index = 0;
  uint32_t chunk_count = 0;
  // Compact JSON array of `frame_count` frames.
  std::string_view frames_json;
  uint32_t frame_count = 0;
  // CRC-32 (zlib) of frames_json, computed by the caller outside its locks;
  // a store that keeps no checksums may ignore it.
  uint32_t frames_crc32 = 0;
  // Event ids: the chunk's replay_chunk event, and its replay's replay_start
  // (only used when this chunk creates the replay).
  uint64_t event_id = 0;
  uint64_t start_event_id = 0;
  // JSON object texts, only read when this chunk creates the replay.
  std::string_view meta_json = "{}";
  std::string_view extra_json = "{}";
  // When the chunk was accepted (Unix ms), which started_at and finished_at
  // show; 0 means now. A copy fed from the cluster's log gives the log's
  // timestamp, so that every core lists the same times.
  int64_t accepted_at_ms = 0;
};

struct AppendResult {
  bool duplicate = false;
  // The replay had every chunk after this append.
  bool completed = false;
};

struct ReplayInfo {
  std::string replay_id;
  std::string world_ref;
  std::string meta_json = "{}";
  std::string extra_json = "{}";
  // The extra "run" value as JSON ("null" when absent).
  std::string run_json = "null";
  uint32_t chunk_count = 0;
  uint32_t chunks_stored = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;  // 0 until complete
  bool pinned = false;
  uint64_t start_event_id = 0;
  // The replay_end event's id, 0 while the last chunk index is missing.
  uint64_t end_event_id = 0;
  bool complete() const { return chunks_stored == chunk_count; }
};

struct StoredChunkRef {
  uint32_t chunk_index = 0;
  uint64_t event_id = 0;
  uint32_t frames = 0;
};

struct ListQuery {
  std::string run;     // empty: every run
  uint32_t limit = 50;
  std::string before;  // a `next` cursor, empty for the newest
  bool complete_only = false;
};

struct ReplayPage {
  std::vector<ReplayInfo> replays;  // newest first
  std::string next;                 // empty on the last page
};

// A stored event (kind, id), in id order, for a resume after a restart.
struct StoredEvent {
  enum class Kind { kStart, kChunk, kEnd };
  Kind kind = Kind::kChunk;
  uint64_t event_id = 0;
  std::string replay_id;
  uint32_t chunk_index = 0;
};

class ReplayStore {
 public:
  virtual ~ReplayStore() = default;

  [[nodiscard]] virtual absl::StatusOr<AppendResult> Append(const ChunkToStore& chunk) = 0;

  // Worlds are stored by hash, once, durably before the first chunk that uses
  // them (the in-memory world cache forgets them; a replay must not).
  [[nodiscard]] virtual absl::Status PutWorld(const std::string& world_hash, std::string_view world_json) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::string> GetWorld(const std::string& world_hash) = 0;

  [[nodiscard]] virtual absl::StatusOr<ReplayPage> List(const ListQuery& query) = 0;
  [[nodiscard]] virtual absl::StatusOr<ReplayInfo> Describe(const std::string& replay_id) = 0;
  // The stored chunks of a replay in index order.
  [[nodiscard]] virtual absl::StatusOr<std::vector<StoredChunkRef>> Chunks(const std::string& replay_id) = 0;
  // A chunk's frames JSON; DataLoss when it is damaged on disk.
  [[nodiscard]] virtual absl::StatusOr<std::string> ReadChunk(const std::string& replay_id,
                                                              uint32_t chunk_index) = 0;
  // The same for a reader of many chunks (a download): read into `buffer`,
  // whose capacity is reused, and a view of the frames inside it, valid until
  // `buffer` changes. A store that cannot do better copies ReadChunk's answer.
  [[nodiscard]] virtual absl::StatusOr<std::string_view> ReadChunkInto(const std::string& replay_id,
                                                                      uint32_t chunk_index, std::string& buffer) {
    absl::StatusOr<std::string> frames = ReadChunk(replay_id, chunk_index);
    if (!frames.ok()) return frames.status();
    buffer = *std::move(frames);
    return std::string_view(buffer);
  }
  // Every stored event with after_id < id <= up_to_id, in id order, at most
  // `max_events` (more: ResourceExhausted, the caller falls back).
  [[nodiscard]] virtual absl::StatusOr<std::vector<StoredEvent>> ListEventsAfter(uint64_t after_id,
                                                                                uint64_t up_to_id,
                                                                                size_t max_events) = 0;
  // The highest event id stored (0 when empty): ids continue above it.
  virtual uint64_t LastEventId() = 0;

  [[nodiscard]] virtual absl::StatusOr<ReplayInfo> SetPinned(const std::string& replay_id, bool pinned) = 0;
  [[nodiscard]] virtual absl::Status Delete(const std::string& replay_id) = 0;
};

}  // namespace echelon::library
