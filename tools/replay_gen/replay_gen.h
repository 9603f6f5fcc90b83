// replay-gen's engine: writes a synthetic replay `{"world":...,"frames":[...]}`
// with the real frame schema, deterministically for a seed (byte-identical
// output for the same options), streaming so that large replays never sit in
// memory. The output is gzipped when the path ends in ".gz".
//
//   GenOptions options;
//   options.seed = 7;
//   options.target_bytes = 50 << 20;  // or options.frames = 1000
//   absl::StatusOr<GenStats> stats = WriteReplayFile(options, "/tmp/r.json.gz");
//   std::string text = GenerateReplay(options);  // small replays in memory
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace echelon::replay_gen {

struct GenOptions {
  uint64_t seed = 1;
  std::array<int, 3> size = {100, 100, 20};
  double voxel_size_m = 1.0;
  int mechs_per_team = 5;
  // Frames to write; when 0, frames are added until the JSON text reaches
  // target_bytes (uncompressed).
  int64_t frames = 0;
  int64_t target_bytes = 0;
  int gzip_level = 6;
};

struct GenStats {
  int64_t frames = 0;
  int64_t json_bytes = 0;  // uncompressed
  int wall_count = 0;
};

// InvalidArgument for impossible options (empty map, no mechs, no length).
[[nodiscard]] absl::Status ValidateOptions(const GenOptions& options);

// Writes the replay to `path` (gzip when it ends in ".gz"; "-" is stdout).
[[nodiscard]] absl::StatusOr<GenStats> WriteReplayFile(const GenOptions& options,
                                                       const std::string& path);

// The whole replay as one string, for tests and small replays.
[[nodiscard]] absl::StatusOr<std::string> GenerateReplay(const GenOptions& options);

}  // namespace echelon::replay_gen
