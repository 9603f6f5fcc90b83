#include "clients/cpp/replay.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/gzip.h"
#include "common/status_util.h"

namespace echelon::client {
namespace {

// A replay file may legitimately be large; a gzip bomb must not take the box.
constexpr size_t kMaxReplayBytes = size_t{4} << 30;

absl::Status NotAReplay(std::string_view what, simdjson::error_code error) {
  return absl::InvalidArgumentError(
      absl::StrCat("not a replay document: ", std::string(what), " (", simdjson::error_message(error), ")"));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return data;
}

// The raw text of an object value (world, frame, meta, run).
absl::Status RawObject(simdjson::ondemand::value value, std::string_view what,
                       std::string_view& out) {
  simdjson::ondemand::object object;
  if (auto error = value.get_object().get(object)) return NotAReplay(what, error);
  if (auto error = object.raw_json().get(out)) return NotAReplay(what, error);
  return absl::OkStatus();
}

}  // namespace

struct Replay::Text {
  simdjson::padded_string data;
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
  replay.text_->data = simdjson::padded_string(text);
  ECHELON_RETURN_IF_ERROR(replay.Index());
  return replay;
}

absl::Status Replay::Index() {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto error = parser.iterate(text_->data).get(doc)) return NotAReplay("document", error);
  simdjson::ondemand::object root;
  if (auto error = doc.get_object().get(root)) return NotAReplay("top level", error);
  bool has_frames = false;
  for (auto field : root) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return NotAReplay("key", error);
    simdjson::ondemand::value value;
    if (auto error = field.value().get(value)) return NotAReplay(key, error);
    if (key == "world") {
      ECHELON_RETURN_IF_ERROR(RawObject(value, "world", world_json_));
    } else if (key == "meta") {
      ECHELON_RETURN_IF_ERROR(RawObject(value, "meta", meta_json_));
    } else if (key == "run") {
      ECHELON_RETURN_IF_ERROR(RawObject(value, "run", run_json_));
    } else if (key == "frames") {
      simdjson::ondemand::array frames;
      if (auto error = value.get_array().get(frames)) return NotAReplay("frames", error);
      for (auto element : frames) {
        simdjson::ondemand::value frame;
        if (auto error = element.get(frame)) return NotAReplay("frame", error);
        ECHELON_RETURN_IF_ERROR(RawObject(frame, "frame", frames_.emplace_back()));
      }
      has_frames = true;
    }
  }
  if (world_json_.empty()) return absl::InvalidArgumentError("not a replay document: no \"world\" object");
  if (!has_frames) return absl::InvalidArgumentError("not a replay document: no \"frames\" array");
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
  return absl::StrCat("[", MinifyJson(std::string_view(begin, end - begin)), "]");
}

std::string MinifyJson(std::string_view json) {
  std::string out(json.size(), '\0');
  size_t length = 0;
  if (simdjson::minify(json.data(), json.size(), out.data(), length) != simdjson::SUCCESS) {
    return std::string(json);  // minify only fails on unbalanced quotes: keep it as is
  }
  out.resize(length);
  return out;
}

}  // namespace echelon::client
