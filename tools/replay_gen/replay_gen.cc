#include "tools/replay_gen/replay_gen.h"

#include <zlib.h>

#include <cstdio>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_util.h"
#include "tools/replay_gen/battle_sim.h"
#include "tools/replay_gen/world_gen.h"

namespace echelon::replay_gen {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

// Where the text goes; Write is called with ~1 MB pieces.
class Sink {
 public:
  virtual ~Sink() = default;
  [[nodiscard]] virtual absl::Status Write(std::string_view data) = 0;
  [[nodiscard]] virtual absl::Status Close() = 0;
};

class StringSink final : public Sink {
 public:
  explicit StringSink(std::string& out) : out_(out) {}
  absl::Status Write(std::string_view data) override {
    out_.append(data);
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string& out_;
};

class FileSink final : public Sink {
 public:
  FileSink(std::FILE* file, std::string path, bool owned)
      : file_(file), path_(std::move(path)), owned_(owned) {}
  ~FileSink() override {
    if (owned_ && file_) std::fclose(file_);
  }
  absl::Status Write(std::string_view data) override {
    if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
      return absl::UnavailableError(absl::StrCat("write failed: ", path_));
    }
    return absl::OkStatus();
  }
  absl::Status Close() override {
    const bool ok = owned_ ? std::fclose(file_) == 0 : std::fflush(file_) == 0;
    file_ = owned_ ? nullptr : file_;
    return ok ? absl::OkStatus() : absl::UnavailableError(absl::StrCat("close failed: ", path_));
  }

 private:
  std::FILE* file_;
  std::string path_;
  bool owned_;
};

// zlib's gz writer leaves the header's mtime at 0, so .gz output is as
// deterministic as the JSON.
class GzipSink final : public Sink {
 public:
  GzipSink(gzFile file, std::string path) : file_(file), path_(std::move(path)) {}
  ~GzipSink() override {
    if (file_) gzclose(file_);
  }
  absl::Status Write(std::string_view data) override {
    if (gzwrite(file_, data.data(), static_cast<unsigned>(data.size())) !=
        static_cast<int>(data.size())) {
      return absl::UnavailableError(absl::StrCat("gzip write failed: ", path_));
    }
    return absl::OkStatus();
  }
  absl::Status Close() override {
    const int rc = gzclose(file_);
    file_ = nullptr;
    return rc == Z_OK ? absl::OkStatus() : absl::UnavailableError(absl::StrCat("close failed: ", path_));
  }

 private:
  gzFile file_;
  std::string path_;
};

absl::StatusOr<std::unique_ptr<Sink>> OpenSink(const std::string& path, int gzip_level) {
  if (path == "-") return std::make_unique<FileSink>(stdout, "stdout", false);
  if (absl::EndsWith(path, ".gz")) {
    const std::string mode = absl::StrCat("wb", gzip_level);
    gzFile file = gzopen(path.c_str(), mode.c_str());
    if (!file) return absl::NotFoundError(absl::StrCat("cannot create ", path));
    gzbuffer(file, 1 << 20);
    return std::make_unique<GzipSink>(file, path);
  }
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return absl::NotFoundError(absl::StrCat("cannot create ", path));
  return std::make_unique<FileSink>(file, path, true);
}

// Streams the document through `sink`, flushing every ~1 MB.
absl::StatusOr<GenStats> Generate(const GenOptions& options, Sink& sink) {
  ECHELON_RETURN_IF_ERROR(ValidateOptions(options));
  GenStats stats;
  std::string buffer;
  buffer.reserve(2 * kFlushBytes);
  auto flush = [&]() -> absl::Status {
    stats.json_bytes += static_cast<int64_t>(buffer.size());
    absl::Status status = sink.Write(buffer);
    buffer.clear();
    return status;
  };

  GeneratedWorld world = GenerateWorld(
      {.seed = options.seed, .size = options.size, .voxel_size_m = options.voxel_size_m});
  stats.wall_count = world.wall_count;
  buffer.append("{\"world\":");
  buffer.append(world.json);
  buffer.append(",\"frames\":[");

  BattleSim sim(world.layout, options.mechs_per_team, options.seed);
  // "]}" closes the document; count it so the target is met, not overshot.
  constexpr int64_t kTail = 2;
  auto more = [&] {
    if (options.frames > 0) return stats.frames < options.frames;
    return stats.json_bytes + static_cast<int64_t>(buffer.size()) + kTail < options.target_bytes;
  };
  while (more()) {
    if (stats.frames > 0) buffer.push_back(',');
    sim.Step();
    sim.AppendFrame(buffer);
    ++stats.frames;
    if (buffer.size() >= kFlushBytes) ECHELON_RETURN_IF_ERROR(flush());
  }
  buffer.append("]}");
  ECHELON_RETURN_IF_ERROR(flush());
  ECHELON_RETURN_IF_ERROR(sink.Close());
  return stats;
}

}  // namespace

absl::Status ValidateOptions(const GenOptions& options) {
  for (int n : options.size) {
    if (n < 4 || n > 4096) return absl::InvalidArgumentError("each world dimension must be in 4..4096");
  }
  if (!(options.voxel_size_m > 0)) return absl::InvalidArgumentError("voxel size must be positive");
  if (options.mechs_per_team < 1 || options.mechs_per_team > 1000) {
    return absl::InvalidArgumentError("mechs per team must be in 1..1000");
  }
  if (options.frames < 0 || options.target_bytes < 0 ||
      (options.frames == 0 && options.target_bytes == 0)) {
    return absl::InvalidArgumentError("give a positive frame count or target size");
  }
  if (options.gzip_level < 1 || options.gzip_level > 9) {
    return absl::InvalidArgumentError("gzip level must be in 1..9");
  }
  return absl::OkStatus();
}

absl::StatusOr<GenStats> WriteReplayFile(const GenOptions& options, const std::string& path) {
  ECHELON_RETURN_IF_ERROR(ValidateOptions(options));
  ECHELON_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, OpenSink(path, options.gzip_level));
  return Generate(options, *sink);
}

absl::StatusOr<std::string> GenerateReplay(const GenOptions& options) {
  std::string out;
  StringSink sink(out);
  ECHELON_RETURN_IF_ERROR(Generate(options, sink).status());
  return out;
}

}  // namespace echelon::replay_gen
