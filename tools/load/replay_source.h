// PushableReplay: a replay prepared for the load tools, cut into chunks once,
// up front, so that pushing measures the server and not the tool. Built from
// a replay file (fixtures, replay-gen output) or generated in memory with
// replay-gen's engine; every chunk keeps its compact frames JSON (what each
// reader must get back byte for byte) and the sim time of its first frame
// (what paces a push at a multiple of real rate).
//
//   ECHELON_ASSIGN_OR_RETURN(PushableReplay r, GenerateReplay({.seed = 1, .target_mb = 50}));
//   r.chunks.size();          // 100 frames each (the last may be shorter)
//   r.chunks[3].frames_json;  // "[{...},...]"
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace echelon::load {

struct ReplayChunkText {
  std::string frames_json;  // compact JSON array
  double t = 0;             // sim time of the first frame (seconds)
  size_t frames = 0;
};

struct PushableReplay {
  std::string world_json;
  std::vector<ReplayChunkText> chunks;
  size_t frame_bytes = 0;  // sum of the chunks' frames_json sizes
  size_t frame_count = 0;
  // Sim time from the first frame of chunk 0 to the last frame.
  double duration_s = 0;
};

struct GenerateSpec {
  uint64_t seed = 1;
  double target_mb = 5;  // 10^6 bytes of JSON
  // 10 per team gives ~8.3 KB frames: chunks of 100 frames of ~0.85 MB, the
  // size of real training frames (59 chunks for 50 MB).
  int mechs_per_team = 10;
  int chunk_frames = 100;
};

[[nodiscard]] absl::StatusOr<PushableReplay> LoadReplay(const std::string& path, int chunk_frames = 100);
[[nodiscard]] absl::StatusOr<PushableReplay> GenerateReplay(const GenerateSpec& spec);

}  // namespace echelon::load
