#include "clients/cpp/push_job.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_util.h"
#include "protocol/struct_json.h"
#include "protocol/world_hash.h"

namespace echelon::client {

std::string NewReplayId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::mt19937_64 bits((uint64_t{device()} << 32) ^ device());
  std::string id(12, '0');
  uint64_t value = bits();
  for (char& c : id) {
    c = kHex[value & 0xf];
    value >>= 4;
  }
  return id;
}

namespace internal {

absl::StatusOr<PushJob> PushJob::Start(const Replay& replay, const PushOptions& options) {
  if (replay.frame_count() == 0) return absl::InvalidArgumentError("the replay has no frames");
  if (options.chunk_frames < 1) return absl::InvalidArgumentError("chunk_frames must be at least 1");
  auto hash = world::ComputeWorldHash(replay.world_json());
  if (!hash.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the world cannot be hashed: ", hash.status().message()));
  }
  PushJob job;
  job.replay = &replay;
  job.options = &options;
  job.replay_id = options.replay_id.empty() ? NewReplayId() : options.replay_id;
  job.world_hash = *std::move(hash);
  job.chunk_count = replay.ChunkCount(options.chunk_frames);
  job.bytes_total = static_cast<int64_t>(replay.frames_bytes());
  if (!replay.meta_json().empty()) {
    auto meta = json::ParseStructJson(replay.meta_json());
    if (!meta.ok()) return absl::InvalidArgumentError(absl::StrCat("replay meta: ", meta.status().message()));
    job.meta_ = *std::move(meta);
  }
  if (!replay.run_json().empty()) {
    auto run = json::ParseStructJson(replay.run_json());
    if (!run.ok()) return absl::InvalidArgumentError(absl::StrCat("replay run: ", run.status().message()));
    *(*job.extra_.mutable_fields())["run"].mutable_struct_value() = *std::move(run);
  }
  job.started = absl::Now();
  return job;
}

replay::v1::ReplayChunk PushJob::Chunk(int index) const {
  replay::v1::ReplayChunk chunk;
  chunk.set_replay_id(replay_id);
  chunk.set_world_ref(world_hash);
  chunk.set_chunk_index(static_cast<uint32_t>(index));
  chunk.set_chunk_count(static_cast<uint32_t>(chunk_count));
  chunk.set_frames_json(replay->ChunkFramesJson(index, options->chunk_frames));
  if (index == 0) {
    *chunk.mutable_meta() = meta_;
    if (!extra_.fields().empty()) *chunk.mutable_extra() = extra_;
  }
  return chunk;
}

void PushJob::ReportProgress(int chunks_done, int64_t bytes_done, int attempt) const {
  if (!options->on_progress) return;
  options->on_progress({.chunks_done = chunks_done,
                        .chunk_count = chunk_count,
                        .bytes_done = bytes_done,
                        .bytes_total = bytes_total,
                        .attempt = attempt});
}

PushResult PushJob::NewResult() const {
  PushResult result;
  result.replay_id = replay_id;
  result.world_hash = world_hash;
  result.chunk_count = chunk_count;
  return result;
}

void PushTransport::WaitBeforeRetry(const absl::Status& why, absl::Duration backoff) { absl::SleepFor(backoff); }

absl::Status EnsureWorld(PushTransport& transport, std::string_view world_json, const std::string& hash) {
  ECHELON_ASSIGN_OR_RETURN(bool present, transport.HasWorld(hash));
  if (present) return absl::OkStatus();
  return transport.PutWorld(world_json, hash);
}

absl::Status SendRestoringLostWorld(PushTransport& transport, const PushJob& job,
                                    const std::function<absl::Status()>& send) {
  const absl::Status failure = send();
  if (failure.ok() || IsRetriable(failure)) return failure;
  auto present = transport.HasWorld(job.world_hash);
  if (!present.ok() || *present) return failure;
  ECHELON_RETURN_IF_ERROR(transport.PutWorld(job.replay->world_json(), job.world_hash));
  return send();
}

absl::StatusOr<PushResult> PushChunkByChunk(PushTransport& transport, const PushJob& job) {
  const PushOptions& options = *job.options;
  PushResult result = job.NewResult();
  auto count_retry = [&](int attempt, const absl::Status& why, absl::Duration wait) {
    ++result.retries;
    if (options.on_retry) options.on_retry(attempt, why, wait);
  };
  auto wait = [&](const absl::Status& why, absl::Duration backoff) { transport.WaitBeforeRetry(why, backoff); };
  ECHELON_RETURN_IF_ERROR(RetryWithBackoff(
      options.retry,
      [&](int) { return EnsureWorld(transport, job.replay->world_json(), job.world_hash); }, count_retry,
      wait));
  for (int index = 0; index < job.chunk_count; ++index) {
    const replay::v1::ReplayChunk chunk = job.Chunk(index);
    bool duplicate = false;
    ECHELON_RETURN_IF_ERROR(RetryWithBackoff(
        options.retry,
        [&](int) { return SendRestoringLostWorld(transport, job, [&] { return transport.PushChunk(chunk, duplicate); }); },
        count_retry, wait));
    ++(duplicate ? result.chunks_duplicate : result.chunks_accepted);
    result.frame_bytes += static_cast<int64_t>(chunk.frames_json().size());
    job.ReportProgress(index + 1, result.frame_bytes, 0);
  }
  result.elapsed = absl::Now() - job.started;
  return result;
}

}  // namespace internal
}  // namespace echelon::client
