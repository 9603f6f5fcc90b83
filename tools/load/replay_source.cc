#include "tools/load/replay_source.h"

#include <simdjson.h>

#include "absl/strings/str_cat.h"
#include "clients/cpp/replay.h"
#include "tools/replay_gen/replay_gen.h"

namespace echelon::load {
namespace {

// A frame's "t" (0 when it has none: the replay is then pushed unpaced).
double FrameTime(std::string_view frame_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element frame;
  if (parser.parse(frame_json.data(), frame_json.size(), true).get(frame)) return 0;
  double t = 0;
  if (frame["t"].get(t)) return 0;
  return t;
}

PushableReplay Cut(const client::Replay& replay, int chunk_frames) {
  PushableReplay out;
  out.world_json = std::string(replay.world_json());
  const int count = replay.ChunkCount(chunk_frames);
  const size_t per_chunk = static_cast<size_t>(chunk_frames);
  for (int i = 0; i < count; ++i) {
    ReplayChunkText chunk;
    const size_t first = i * per_chunk;
    chunk.frames = std::min(per_chunk, replay.frame_count() - first);
    chunk.frames_json = replay.ChunkFramesJson(i, chunk_frames);
    chunk.t = FrameTime(replay.frame_json(first));
    out.frame_bytes += chunk.frames_json.size();
    out.frame_count += chunk.frames;
    out.chunks.push_back(std::move(chunk));
  }
  if (!out.chunks.empty()) {
    out.duration_s = FrameTime(replay.frame_json(replay.frame_count() - 1)) - out.chunks.front().t;
  }
  return out;
}

}  // namespace

absl::StatusOr<PushableReplay> LoadReplay(const std::string& path, int chunk_frames) {
  absl::StatusOr<client::Replay> replay = client::Replay::Load(path);
  if (!replay.ok()) return replay.status();
  if (replay->frame_count() == 0) return absl::InvalidArgumentError(absl::StrCat(path, " has no frames"));
  return Cut(*replay, chunk_frames);
}

absl::StatusOr<PushableReplay> GenerateReplay(const GenerateSpec& spec) {
  replay_gen::GenOptions options;
  options.seed = spec.seed;
  options.target_bytes = static_cast<int64_t>(spec.target_mb * 1e6);
  options.mechs_per_team = spec.mechs_per_team;
  absl::StatusOr<std::string> text = replay_gen::GenerateReplay(options);
  if (!text.ok()) return text.status();
  absl::StatusOr<client::Replay> replay = client::Replay::Parse(*std::move(text));
  if (!replay.ok()) return replay.status();
  return Cut(*replay, spec.chunk_frames);
}

}  // namespace echelon::load
