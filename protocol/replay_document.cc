#include "protocol/replay_document.h"

#include "absl/strings/str_cat.h"
#include "common/status_util.h"
#include "protocol/internal/json_reader.h"

namespace echelon::json {
namespace {

namespace od = simdjson::ondemand;

absl::Status NotAReplay(std::string_view what, simdjson::error_code error) {
  return absl::InvalidArgumentError(
      absl::StrCat("not a replay document: ", std::string(what), " (", simdjson::error_message(error), ")"));
}

// The text of an object value (world, frame, meta, run). simdjson's raw text
// runs up to the next token, so the whitespace after the '}' is cut off.
absl::Status RawObject(od::value value, std::string_view what, std::string_view& out) {
  od::object object;
  if (auto error = value.get_object().get(object)) return NotAReplay(what, error);
  if (auto error = object.raw_json().get(out)) return NotAReplay(what, error);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\r' || out.back() == '\t')) {
    out.remove_suffix(1);
  }
  return absl::OkStatus();
}

absl::Status IndexFrames(od::value value, std::vector<std::string_view>& frames) {
  od::array array;
  if (auto error = value.get_array().get(array)) return NotAReplay("frames", error);
  for (auto element : array) {
    od::value frame;
    if (auto error = element.get(frame)) return NotAReplay("frame", error);
    ECHELON_RETURN_IF_ERROR(RawObject(frame, "frame", frames.emplace_back()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReplayDocumentIndex> IndexReplayDocument(std::string& text) {
  internal::ParserLease parser;
  absl::StatusOr<od::document> iterated = parser.IterateInPlace(text);
  if (!iterated.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not a replay document: ", iterated.status().message()));
  }
  od::document& doc = *iterated;
  od::object root;
  if (auto error = doc.get_object().get(root)) return NotAReplay("top level", error);
  ReplayDocumentIndex index;
  bool has_frames = false;
  for (auto field : root) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return NotAReplay("key", error);
    od::value value;
    if (auto error = field.value().get(value)) return NotAReplay(key, error);
    if (key == "world") {
      ECHELON_RETURN_IF_ERROR(RawObject(value, "world", index.world));
    } else if (key == "meta") {
      ECHELON_RETURN_IF_ERROR(RawObject(value, "meta", index.meta));
    } else if (key == "run") {
      ECHELON_RETURN_IF_ERROR(RawObject(value, "run", index.run));
    } else if (key == "frames") {
      index.frames.clear();  // a later duplicate key wins
      ECHELON_RETURN_IF_ERROR(IndexFrames(value, index.frames));
      has_frames = true;
    }
  }
  if (index.world.empty()) return absl::InvalidArgumentError("not a replay document: no \"world\" object");
  if (!has_frames) return absl::InvalidArgumentError("not a replay document: no \"frames\" array");
  return index;
}

}  // namespace echelon::json
