// Internal: the transport-independent half of pushing a replay. A PushJob is
// one replay on its way (id, world hash, chunk count, progress) and builds its
// ReplayChunk messages (frames_json slices; meta and run on chunk 0, parsed
// once with the project's one JSON<->protobuf mapping, protocol/struct_json.h); a
// PushTransport is what a transport must provide (world Has/Put, one
// acknowledged chunk). PushChunkByChunk is the shared acknowledged loop used
// by HttpPusher and by ReplayClient's unary mode: it retries each chunk with
// backoff and resumes at the first chunk that was not acknowledged.
//
//   ECHELON_ASSIGN_OR_RETURN(PushJob job, PushJob::Start(replay, options));
//   ECHELON_RETURN_IF_ERROR(EnsureWorld(transport, replay.world_json(), job.world_hash));
//   return PushChunkByChunk(transport, job);
#pragma once

#include <functional>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "echelon/replay/v1/replay.pb.h"
#include "clients/cpp/push_options.h"
#include "clients/cpp/replay.h"

namespace echelon::client::internal {

struct PushJob {
  const Replay* replay = nullptr;
  const PushOptions* options = nullptr;
  std::string replay_id;
  std::string world_hash;
  int chunk_count = 0;
  int64_t bytes_total = 0;
  absl::Time started;

  // InvalidArgument for a replay without frames or with an unhashable world.
  [[nodiscard]] static absl::StatusOr<PushJob> Start(const Replay& replay, const PushOptions& options);

  // Chunk `index` with its frames; chunk 0 carries meta ({} when the replay
  // has none, as the trainer sends) and run (in `extra`).
  replay::v1::ReplayChunk Chunk(int index) const;
  void ReportProgress(int chunks_done, int64_t bytes_done, int attempt) const;
  PushResult NewResult() const;

 private:
  google::protobuf::Struct meta_;
  google::protobuf::Struct extra_;
};

class PushTransport {
 public:
  virtual ~PushTransport() = default;
  [[nodiscard]] virtual absl::StatusOr<bool> HasWorld(const std::string& hash) = 0;
  [[nodiscard]] virtual absl::Status PutWorld(std::string_view world_json, const std::string& hash) = 0;
  // Sends one chunk and waits for its acknowledgement.
  [[nodiscard]] virtual absl::Status PushChunk(const replay::v1::ReplayChunk& chunk, bool& duplicate) = 0;
  // Spends the backoff before a retry (see RetryWait); sleeps by default.
  virtual void WaitBeforeRetry(const absl::Status& why, absl::Duration backoff);
};

// Has, else Put.
[[nodiscard]] absl::Status EnsureWorld(PushTransport& transport, std::string_view world_json,
                                       const std::string& hash);

// Runs `send`. When it fails for good and the cause is that the server lost
// the world (a restarted server without its store), stores the world again
// and runs `send` once more, within the same attempt: answering "the server
// lost the world" does not spend a retry.
[[nodiscard]] absl::Status SendRestoringLostWorld(PushTransport& transport, const PushJob& job,
                                                  const std::function<absl::Status()>& send);

// The acknowledged loop described above.
[[nodiscard]] absl::StatusOr<PushResult> PushChunkByChunk(PushTransport& transport, const PushJob& job);

}  // namespace echelon::client::internal
