// The POST /push body of PROTOCOL.md <-> ReplayChunk.
//
// The push path is hot (1-2 MB bodies, < 8 ms per chunk end to end), so
// parsing never turns frames into protobuf: the body is fully validated
// (structure, UTF-8, numbers) and the "frames" array is copied into
// `frames_json` as compact text, its numbers untouched. Everything else is
// small and mapped: replay_id, world_ref, chunk_index, chunk_count, "meta" into
// `meta` and every other top-level key (the trainer's "run") into `extra`.
//
//   ECHELON_ASSIGN_OR_RETURN(ReplayChunk chunk, json::ParsePushBody(request.body));
//   ECHELON_ASSIGN_OR_RETURN(std::string frames, json::FramesJsonFromChunk(chunk));
//   std::string body = json::ChunkToPushJson(chunk);  // what a client POSTs
#pragma once

#include <cstddef>
#include <limits>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "echelon/replay/v1/replay.pb.h"

namespace echelon::json {

using echelon::replay::v1::ReplayChunk;

// Parses a push body. InvalidArgument (HTTP 422) with a readable message for
// malformed JSON ("invalid JSON: ..."), a body that is not an object, a
// missing required field ("missing field 'frames'"), or a field of the wrong
// type or range ("field 'chunk_index' must be an integer", "field
// 'chunk_index' must not be negative"). Required: replay_id (non-empty
// string), world_ref (string), chunk_index and chunk_count (integers in
// 0..2^32-1; a whole float such as 3.0 counts, as in Python), frames (array).
// Optional: meta (object; null means absent). Checking chunk_index against
// chunk_count is the core's job. A later duplicate key wins.
[[nodiscard]] absl::StatusOr<ReplayChunk> ParsePushBody(std::string_view body);

// A parsed push body: the chunk, whose frames_json is the body's frames array
// already validated and minified (what FramesJsonFromChunk would make of it),
// and the number of frames in that array. Lets a core in the same process
// publish the frames without parsing them a second time.
struct ParsedPush {
  ReplayChunk chunk;
  size_t frame_count = 0;
};
// Takes the body: its buffer is reused for frames_json.
[[nodiscard]] absl::StatusOr<ParsedPush> ParsePush(std::string body);

// Renders the push body for `chunk`: frames from `frames_json` when set
// (spliced as is, so it must be a JSON array), otherwise the typed frames;
// meta when set; `extra` keys at the top level unless they collide with the
// keys above.
std::string ChunkToPushJson(const ReplayChunk& chunk);

// The chunk's frames as one compact JSON array, whichever form it carries:
// typed frames are rendered; `frames_json` is validated as a JSON array and
// minified. "[]" for a chunk without frames. InvalidArgument when both forms
// are set or `frames_json` is not a valid JSON array.
[[nodiscard]] absl::StatusOr<std::string> FramesJsonFromChunk(
    const ReplayChunk& chunk, size_t max_frames = std::numeric_limits<size_t>::max());

// FramesJsonFromChunk for a chunk the caller is done with: frames_json is
// moved out of `chunk` and minified in its own buffer instead of copied.
[[nodiscard]] absl::StatusOr<std::string> TakeFramesJson(ReplayChunk& chunk, size_t max_frames);

}  // namespace echelon::json
