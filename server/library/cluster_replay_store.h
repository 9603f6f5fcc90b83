// ClusterReplayStore: the replay library as a core in cluster mode shows it
// (LibraryService): reads come from this core's copy, which its StreamFeeder
// keeps complete from the shared replay log; pin, unpin and delete are
// published to the log (library_ops.h) instead of being applied here, so that
// every core's feeder applies them to its copy. A change returns once the log
// stored it and this core's copy applied it, so the answer (and the next read
// through this core) shows the change; other cores follow within their feeder's
// lag.
//
// Threads: every method may be called from any thread.
#pragma once

#include <memory>

#include "absl/time/time.h"
#include "cluster/nats_client.h"
#include "server/library/library_ops.h"
#include "server/library/replay_store.h"
#include "server/library/stream_feeder.h"

namespace echelon::library {

class ClusterReplayStore final : public ReplayStore {
 public:
  // `copy` and `feeder` must outlive this object; `timeout` bounds each of the
  // two waits of a change (the log's acknowledgement, this copy applying it).
  ClusterReplayStore(ReplayStore& copy, StreamFeeder& feeder, std::shared_ptr<cluster::NatsClient> nats,
                     absl::Duration timeout)
      : copy_(copy), feeder_(feeder), nats_(std::move(nats)), timeout_(timeout) {}

  absl::StatusOr<AppendResult> Append(const ChunkToStore& chunk) override { return copy_.Append(chunk); }
  absl::Status PutWorld(const std::string& world_hash, std::string_view world_json) override {
    return copy_.PutWorld(world_hash, world_json);
  }
  absl::StatusOr<std::string> GetWorld(const std::string& world_hash) override { return copy_.GetWorld(world_hash); }
  absl::StatusOr<ReplayPage> List(const ListQuery& query) override { return copy_.List(query); }
  absl::StatusOr<ReplayInfo> Describe(const std::string& replay_id) override { return copy_.Describe(replay_id); }
  absl::StatusOr<std::vector<StoredChunkRef>> Chunks(const std::string& replay_id) override {
    return copy_.Chunks(replay_id);
  }
  absl::StatusOr<std::string> ReadChunk(const std::string& replay_id, uint32_t chunk_index) override {
    return copy_.ReadChunk(replay_id, chunk_index);
  }
  absl::StatusOr<std::string_view> ReadChunkInto(const std::string& replay_id, uint32_t chunk_index,
                                                 std::string& buffer) override {
    return copy_.ReadChunkInto(replay_id, chunk_index, buffer);
  }
  absl::StatusOr<std::vector<StoredEvent>> ListEventsAfter(uint64_t after_id, uint64_t up_to_id,
                                                          size_t max_events) override {
    return copy_.ListEventsAfter(after_id, up_to_id, max_events);
  }
  uint64_t LastEventId() override { return copy_.LastEventId(); }

  // Published to the log, applied by every core; NotFound when this core's
  // copy does not hold the replay.
  absl::StatusOr<ReplayInfo> SetPinned(const std::string& replay_id, bool pinned) override;
  absl::Status Delete(const std::string& replay_id) override;

 private:
  // Publishes the change and waits until this core's copy applied it.
  absl::Status PublishAndApply(const LibraryOp& op);

  ReplayStore& copy_;
  StreamFeeder& feeder_;
  const std::shared_ptr<cluster::NatsClient> nats_;
  const absl::Duration timeout_;
};

}  // namespace echelon::library
