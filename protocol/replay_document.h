// The replay document a trainer writes, `{"world":{...},"frames":[...]}`
// (optionally with "meta" and "run" objects), indexed without decoding: the
// world, each frame and meta/run come back as views of their exact text, so a
// client can push a 50 MB replay as slices of that text after a single scan.
// Values are checked for shape (objects where objects belong) but not decoded;
// the server validates what it receives.
//
//   std::string text = ReadFile("run.replay.json");
//   ECHELON_ASSIGN_OR_RETURN(json::ReplayDocumentIndex index, json::IndexReplayDocument(text));
//   std::string_view first_frame = index.frames[0];  // points into `text`
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace echelon::json {

struct ReplayDocumentIndex {
  std::string_view world;
  std::string_view meta;  // empty when the document has no "meta"
  std::string_view run;   // empty when the document has no "run"
  std::vector<std::string_view> frames;
};

// Indexes `text` in place. The views point into `text`, which may have its
// capacity grown here (the reader needs a few padding bytes after the end)
// and must then neither change nor move while they are used. InvalidArgument
// "not a replay document: ..." when it is not such a document.
[[nodiscard]] absl::StatusOr<ReplayDocumentIndex> IndexReplayDocument(std::string& text);

}  // namespace echelon::json
