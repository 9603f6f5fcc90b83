#include "protocol/chunk_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include <simdjson.h>

#include "absl/strings/str_cat.h"
#include "common/json_writer.h"
#include "common/status_util.h"
#include "protocol/frame_codec.h"
#include "protocol/internal/json_reader.h"
#include "protocol/json_text.h"
#include "protocol/internal/dom_struct.h"

namespace echelon::json {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

absl::Status TooManyFrames(size_t frames, size_t max_frames) {
  return absl::InvalidArgumentError(
      absl::StrCat("a chunk may hold at most ", max_frames, " frames, this one has ", frames));
}

absl::Status BothFrameForms() {
  return absl::InvalidArgumentError("a chunk sets either 'frames' or 'frames_json', not both");
}

// The last occurrence of each top-level key the chunk models.
struct PushFields {
  std::optional<element> replay_id;
  std::optional<element> world_ref;
  std::optional<element> chunk_index;
  std::optional<element> chunk_count;
  std::optional<element> frames;
  std::optional<element> meta;

  // The slot for `key`, or null for a key that belongs in `extra`.
  std::optional<element>* Slot(std::string_view key) {
    if (key == "replay_id") return &replay_id;
    if (key == "world_ref") return &world_ref;
    if (key == "chunk_index") return &chunk_index;
    if (key == "chunk_count") return &chunk_count;
    if (key == "frames") return &frames;
    if (key == "meta") return &meta;
    return nullptr;
  }
};

bool IsPushKey(std::string_view key) { return PushFields().Slot(key) != nullptr; }

absl::Status FieldError(std::string_view name, std::string_view problem) {
  return absl::InvalidArgumentError("field '" + std::string(name) + "' " + std::string(problem));
}

absl::StatusOr<element> Required(const std::optional<element>& value, std::string_view name) {
  if (!value) return absl::InvalidArgumentError("missing field '" + std::string(name) + "'");
  return *value;
}

absl::StatusOr<std::string_view> RequiredString(const std::optional<element>& value, std::string_view name,
                                                bool allow_empty) {
  ECHELON_ASSIGN_OR_RETURN(element text, Required(value, name));
  std::string_view result;
  if (text.get_string().get(result) || (!allow_empty && result.empty())) {
    return FieldError(name, allow_empty ? "must be a string" : "must be a non-empty string");
  }
  return result;
}

// chunk_index / chunk_count: an integer in uint32 range. Compared as doubles,
// which is exact for the bounds 0 and 2^32-1 whatever the number's JSON type.
absl::StatusOr<uint32_t> RequiredIndex(const std::optional<element>& value, std::string_view name) {
  ECHELON_ASSIGN_OR_RETURN(element number, Required(value, name));
  double n = 0;
  switch (number.type()) {
    case element_type::INT64: n = static_cast<double>(number.get_int64().value_unsafe()); break;
    case element_type::UINT64: n = static_cast<double>(number.get_uint64().value_unsafe()); break;
    case element_type::DOUBLE: n = number.get_double().value_unsafe(); break;
    default: return FieldError(name, "must be an integer");
  }
  if (std::trunc(n) != n) return FieldError(name, "must be an integer");
  if (n < 0) return FieldError(name, "must not be negative");
  if (n > std::numeric_limits<uint32_t>::max()) {
    return FieldError(name, "must be at most " + std::to_string(std::numeric_limits<uint32_t>::max()));
  }
  return static_cast<uint32_t>(n);
}

// Fills everything but the frames' text from the validated body.
absl::Status MapFields(simdjson::dom::object body, ParsedPush& push) {
  ReplayChunk& chunk = push.chunk;
  PushFields fields;
  auto& extra = *chunk.mutable_extra()->mutable_fields();
  for (auto [key, value] : body) {
    if (std::optional<element>* slot = fields.Slot(key)) {
      *slot = value;
      extra.erase(std::string(key));
      continue;
    }
    // Depth 2: `extra` stands for the body object, its values sit one below.
    ECHELON_RETURN_IF_ERROR(internal::ElementToValue(value, 2, extra[std::string(key)]));
  }
  ECHELON_ASSIGN_OR_RETURN(std::string_view replay_id, RequiredString(fields.replay_id, "replay_id", false));
  ECHELON_ASSIGN_OR_RETURN(std::string_view world_ref, RequiredString(fields.world_ref, "world_ref", true));
  ECHELON_ASSIGN_OR_RETURN(uint32_t chunk_index, RequiredIndex(fields.chunk_index, "chunk_index"));
  ECHELON_ASSIGN_OR_RETURN(uint32_t chunk_count, RequiredIndex(fields.chunk_count, "chunk_count"));
  ECHELON_ASSIGN_OR_RETURN(element frames, Required(fields.frames, "frames"));
  if (frames.type() != element_type::ARRAY) return FieldError("frames", "must be an array");
  push.frame_count = frames.get_array().value_unsafe().size();
  chunk.set_replay_id(std::string(replay_id));
  chunk.set_world_ref(std::string(world_ref));
  chunk.set_chunk_index(chunk_index);
  chunk.set_chunk_count(chunk_count);
  if (fields.meta && fields.meta->type() != element_type::NULL_VALUE) {
    if (fields.meta->type() != element_type::OBJECT) return FieldError("meta", "must be an object");
    ECHELON_RETURN_IF_ERROR(internal::ObjectToStruct(internal::AsObject(*fields.meta), 1, *chunk.mutable_meta()));
  }
  return absl::OkStatus();
}

// Bytes [offset, offset + length) of `owner` minified, returned in owner's
// buffer: that buffer's pages were touched once already (by reading the body
// or parsing the message), a new one would be touched again, and on this path
// fresh pages cost more than the copies do. The lease's buffer does the work.
std::string MinifiedInOwnBuffer(std::string owner, size_t offset, size_t length, internal::ParserLease& parser) {
  const std::string_view minified = parser.Minify(std::string_view(owner).substr(offset, length));
  if (minified.size() == owner.size()) return owner;  // all of it, already compact
  // Pretty-printed text would leave much of the buffer unused for as long as
  // the event is retained: an exact copy is cheaper then.
  if (minified.size() < owner.capacity() / 4 * 3) return std::string(minified);
  owner.assign(minified.data(), minified.size());
  return owner;
}

// Checks that `frames_json` is a JSON array of at most `max_frames` frames.
absl::Status CheckFramesJson(const std::string& frames_json, size_t max_frames, internal::ParserLease& parser) {
  absl::StatusOr<element> root = parser.ParseDom(frames_json);
  if (!root.ok()) return absl::InvalidArgumentError("frames_json: " + std::string(root.status().message()));
  if (root->type() != element_type::ARRAY) return absl::InvalidArgumentError("frames_json is not a JSON array");
  if (const size_t frames = root->get_array().size(); frames > max_frames) return TooManyFrames(frames, max_frames);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedPush> ParsePush(std::string body) {
  internal::ParserLease parser;
  ECHELON_ASSIGN_OR_RETURN(element root, parser.ParseDom(body));
  if (root.type() != element_type::OBJECT) return absl::InvalidArgumentError("push body must be a JSON object");
  ParsedPush push;
  ECHELON_RETURN_IF_ERROR(MapFields(internal::AsObject(root), push));
  // The DOM has no source positions; an on-demand pass over the same text
  // finds the array's span so its text is kept byte for byte, minus whitespace.
  ECHELON_ASSIGN_OR_RETURN(std::string_view frames, parser.TopLevelValueText(body, "frames"));
  const size_t frames_offset = static_cast<size_t>(frames.data() - body.data());
  push.chunk.set_frames_json(MinifiedInOwnBuffer(std::move(body), frames_offset, frames.size(), parser));
  return push;
}

absl::StatusOr<ReplayChunk> ParsePushBody(std::string_view body) {
  ECHELON_ASSIGN_OR_RETURN(ParsedPush push, ParsePush(std::string(body)));
  return std::move(push.chunk);
}

std::string ChunkToPushJson(const ReplayChunk& chunk) {
  std::string out;
  out.reserve(chunk.frames_json().size() + 256);
  JsonWriter writer(out);
  writer.BeginObject();
  writer.Key("replay_id");
  writer.String(chunk.replay_id());
  writer.Key("world_ref");
  writer.String(chunk.world_ref());
  writer.Key("chunk_index");
  writer.Int(chunk.chunk_index());
  writer.Key("chunk_count");
  writer.Int(chunk.chunk_count());
  writer.Key("frames");
  if (!chunk.frames_json().empty()) {
    writer.Raw(chunk.frames_json());
  } else {
    internal::WriteFrames(chunk.frames(), writer);
  }
  if (chunk.has_meta()) {
    writer.Key("meta");
    internal::WriteStruct(chunk.meta(), writer);
  }
  internal::WriteStructFields(chunk.extra(), writer, IsPushKey);
  writer.EndObject();
  return out;
}

absl::StatusOr<std::string> FramesJsonFromChunk(const ReplayChunk& chunk, size_t max_frames) {
  if (chunk.frames_json().empty()) {
    if (static_cast<size_t>(chunk.frames_size()) > max_frames) return TooManyFrames(chunk.frames_size(), max_frames);
    std::string out;
    AppendFramesJson(chunk.frames(), out);
    return out;
  }
  if (chunk.frames_size() > 0) return BothFrameForms();
  internal::ParserLease parser;
  ECHELON_RETURN_IF_ERROR(CheckFramesJson(chunk.frames_json(), max_frames, parser));
  return std::string(parser.Minify(chunk.frames_json()));
}

absl::StatusOr<std::string> TakeFramesJson(ReplayChunk& chunk, size_t max_frames) {
  if (chunk.frames_json().empty()) return FramesJsonFromChunk(chunk, max_frames);
  if (chunk.frames_size() > 0) return BothFrameForms();
  internal::ParserLease parser;
  ECHELON_RETURN_IF_ERROR(CheckFramesJson(chunk.frames_json(), max_frames, parser));
  std::string frames = std::move(*chunk.mutable_frames_json());
  const size_t length = frames.size();
  return MinifiedInOwnBuffer(std::move(frames), 0, length, parser);
}

}  // namespace echelon::json
