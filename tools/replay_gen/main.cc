// replay-gen: writes a synthetic replay for benchmarks, soak and client tests.
//
//   replay-gen --seed 7 --size 100,100,20 --mechs 5 --target-mb 50 --out big.json.gz
//   replay-gen --frames 480 --out small.json
//
// Exit codes: 0 written, 2 bad usage, 3 the output could not be written.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tools/replay_gen/replay_gen.h"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitOutput = 3;

// "X,Y,Z" -> three integers.
bool ParseSize(const std::string& text, std::array<int, 3>& size) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  if (parts.size() != 3) return false;
  for (int i = 0; i < 3; ++i) {
    if (!absl::SimpleAtoi(parts[i], &size[i])) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using echelon::replay_gen::GenOptions;
  GenOptions options;
  std::string size_text = "100,100,20";
  std::string out_path;
  double target_mb = 0;
  CLI::App app{"Writes a synthetic Echelon replay {\"world\",\"frames\"} (deterministic by seed)."};
  app.add_option("--seed", options.seed, "random seed")->capture_default_str();
  app.add_option("--size", size_text, "world size in voxels, X,Y,Z")->capture_default_str();
  app.add_option("--voxel-size", options.voxel_size_m, "metres per voxel")->capture_default_str();
  app.add_option("--mechs", options.mechs_per_team, "mechs per team")->capture_default_str();
  auto* frames = app.add_option("--frames", options.frames, "number of frames");
  app.add_option("--target-mb", target_mb, "add frames until the JSON reaches this many MB (2^20 bytes)")
      ->excludes(frames);
  app.add_option("--gzip-level", options.gzip_level, "gzip level for .gz output")->capture_default_str();
  app.add_option("--out", out_path, "output file (.gz: gzipped; -: stdout)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (!ParseSize(size_text, options.size)) {
    std::fprintf(stderr, "replay-gen: --size wants X,Y,Z, got '%s'\n", size_text.c_str());
    return kExitUsage;
  }
  options.target_bytes = static_cast<int64_t>(std::llround(target_mb * (1 << 20)));
  if (options.frames == 0 && options.target_bytes == 0) options.frames = 120;
  if (absl::Status valid = echelon::replay_gen::ValidateOptions(options); !valid.ok()) {
    std::fprintf(stderr, "replay-gen: %s\n", std::string(valid.message()).c_str());
    return kExitUsage;
  }
  auto stats = echelon::replay_gen::WriteReplayFile(options, out_path);
  if (!stats.ok()) {
    std::fprintf(stderr, "replay-gen: %s\n", std::string(stats.status().message()).c_str());
    return kExitOutput;
  }
  std::fprintf(stderr, "replay-gen: %lld frames, %d walls, %.1f MB JSON -> %s\n",
               static_cast<long long>(stats->frames), stats->wall_count,
               stats->json_bytes / 1048576.0, out_path.c_str());
  return 0;
}
