#include "clients/cpp/replay.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/gzip.h"
#include "common/status_util.h"
#include "protocol/json_text.h"
#include "protocol/replay_document.h"

namespace echelon::client {
namespace {

// A replay file may legitimately be large; a gzip bomb must not take the box.
constexpr size_t kMaxReplayBytes = size_t{4} << 30;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return data;
}

}  // namespace

struct Replay::Text {
  std::string data;  // the document; every view of the Replay points into it
};

Replay::Replay() : text_(std::make_unique<Text>()) {}
Replay::Replay(Replay&&) noexcept = default;
Replay& Replay::operator=(Replay&&) noexcept = default;
Replay::~Replay() = default;

absl::StatusOr<Replay> Replay::Load(const std::string& path) {
  ECHELON_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  if (LooksGzipped(data)) {
    auto inflated = GunzipBounded(data, kMaxReplayBytes);
    if (!inflated.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", inflated.status().message()));
    }
    data = std::move(*inflated);
  }
  auto replay = Parse(std::move(data));
  if (!replay.ok()) {
    return absl::Status(replay.status().code(), absl::StrCat(path, ": ", replay.status().message()));
  }
  return replay;
}

absl::StatusOr<Replay> Replay::Parse(std::string text) {
  Replay replay;
  replay.text_->data = std::move(text);
  ECHELON_RETURN_IF_ERROR(replay.Index());
  return replay;
}

absl::Status Replay::Index() {
  ECHELON_ASSIGN_OR_RETURN(json::ReplayDocumentIndex index, json::IndexReplayDocument(text_->data));
  world_json_ = index.world;
  meta_json_ = index.meta;
  run_json_ = index.run;
  frames_ = std::move(index.frames);
  return absl::OkStatus();
}

size_t Replay::frames_bytes() const {
  if (frames_.empty()) return 0;
  return static_cast<size_t>(frames_.back().data() + frames_.back().size() - frames_.front().data());
}

int Replay::ChunkCount(int chunk_frames) const {
  const size_t per_chunk = static_cast<size_t>(std::max(1, chunk_frames));
  return static_cast<int>((frames_.size() + per_chunk - 1) / per_chunk);
}

std::string Replay::ChunkFramesJson(int index, int chunk_frames) const {
  const size_t per_chunk = static_cast<size_t>(std::max(1, chunk_frames));
  const size_t first = static_cast<size_t>(index) * per_chunk;
  const size_t last = std::min(frames_.size(), first + per_chunk) - 1;
  // The frames and whatever separates them in the source, as one slice.
  const char* begin = frames_[first].data();
  const char* end = frames_[last].data() + frames_[last].size();
  return absl::StrCat("[", json::MinifyJson(std::string_view(begin, end - begin)), "]");
}

}  // namespace echelon::client
