// A replay document `{"world":{...},"frames":[...]}` (optionally with "meta"
// and "run", as trainers build them), held as its original text and indexed
// once by the protocol library's reader (protocol/replay_document.h): the
// world, each frame and meta/run are views into that text. Chunks are slices of the frames array, minified but never
// decoded and re-encoded, so pushing a 50 MB replay costs one scan.
//
//   absl::StatusOr<Replay> replay = Replay::Load("run.replay.json.gz");
//   int n = replay->ChunkCount(100);
//   std::string frames = replay->ChunkFramesJson(0, 100);  // "[{...},...]"
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace echelon::client {

class Replay {
 public:
  // Reads a file, gunzipping it when it starts with the gzip magic number.
  // NotFound when it cannot be read, InvalidArgument when it is not a replay.
  [[nodiscard]] static absl::StatusOr<Replay> Load(const std::string& path);
  // Indexes replay text that is already in memory.
  [[nodiscard]] static absl::StatusOr<Replay> Parse(std::string text);

  Replay(Replay&&) noexcept;
  Replay& operator=(Replay&&) noexcept;
  ~Replay();

  // Exactly as in the document (not minified: the world hash canonicalises).
  std::string_view world_json() const { return world_json_; }
  // Empty when the document has no such key.
  std::string_view meta_json() const { return meta_json_; }
  std::string_view run_json() const { return run_json_; }

  size_t frame_count() const { return frames_.size(); }
  std::string_view frame_json(size_t i) const { return frames_[i]; }
  // Bytes of frame text (from the first frame's '{' to the last frame's '}').
  size_t frames_bytes() const;

  int ChunkCount(int chunk_frames) const;
  // The frames of chunk `index` as one compact JSON array.
  std::string ChunkFramesJson(int index, int chunk_frames) const;

 private:
  Replay();
  [[nodiscard]] absl::Status Index();

  struct Text;  // the padded document text; views below point into it
  std::unique_ptr<Text> text_;
  std::string_view world_json_, meta_json_, run_json_;
  std::vector<std::string_view> frames_;
};

}  // namespace echelon::client
