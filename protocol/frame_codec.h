// The JSON frame object of PROTOCOL.md ("Frame") <-> the typed Frame message.
// This is the only place that maps frames; everything else either passes frame
// JSON through untouched or holds typed frames.
//
// Mapping, generic over frame.proto (so a new `optional` field there is mapped
// without code changes):
//  - A JSON key maps to the proto field of the same name ("class" included).
//  - A known key becomes typed only when its value fits the field: any number
//    for a double, an integer literal in int64 range for an int64, a bool, a
//    string, exactly three numbers for a Vec3, an object for a message, a
//    non-empty array of numbers or objects for a repeated field (events become
//    Structs), and a non-empty object of objects for a repeated message with an
//    `id` (mechs, kept in JSON order, the JSON key in `id`).
//  - Every other key, and every known key whose value does not fit (null, a
//    string hp, a two-number pos, a tick of 1.5), goes verbatim into that
//    message's `unknown` Struct: nothing is dropped or coerced.
//  - Absent vs empty: protobuf cannot tell an empty repeated field from an
//    absent one, so an empty array or object for a repeated field counts as not
//    fitting and is kept in `unknown` (`"smoke_clouds": []` becomes
//    unknown["smoke_clouds"] = []); an absent key stays absent.
//  - A later duplicate key replaces an earlier one, except mech ids: two
//    "blue_0" entries stay two MechStates in order, and render back as two
//    keys (a JSON reader then keeps the later one, as it did with the input).
//  - Rendering writes set typed fields in proto order, then `unknown` sorted by
//    key; an unknown key that names a set typed field is skipped (only
//    hand-built messages have both). Typed doubles render in Python repr style
//    (200.0), Struct numbers as struct_json.h says.
// So JSON -> Frame -> JSON keeps the content: same keys and values, numbers
// equal as doubles (an integer in a double field comes back as 200.0).
//
//   ECHELON_ASSIGN_OR_RETURN(auto frames, json::ParseFramesJson(R"([{"t":0.5,"tick":1}])"));
//   std::string text;
//   json::AppendFramesJson(frames, text);  // [{"t":0.5,"tick":1}]
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

#include "absl/status/statusor.h"
#include "common/json_writer.h"
#include "echelon/replay/v1/frame.pb.h"

namespace echelon::json {

using echelon::replay::v1::Frame;
using Frames = google::protobuf::RepeatedPtrField<Frame>;

// One frame object. InvalidArgument for malformed JSON, a non-object, or
// nesting deeper than kMaxStructNestingDepth (counted from the frame).
[[nodiscard]] absl::StatusOr<Frame> ParseFrameJson(std::string_view json);

// A JSON array of frame objects, e.g. a push body's "frames".
[[nodiscard]] absl::StatusOr<Frames> ParseFramesJson(std::string_view json);

// Appends the frame as one compact JSON object.
void AppendFrameJson(const Frame& frame, std::string& out);

// Appends the frames as one compact JSON array.
void AppendFramesJson(const Frames& frames, std::string& out);

namespace internal {

// AppendFramesJson for callers that are in the middle of a JsonWriter.
void WriteFrames(const Frames& frames, JsonWriter& writer);

// Full names of the fields reachable from Frame that the mapping cannot
// represent (e.g. a non-optional scalar or an int32); tests expect none.
std::vector<std::string> UnmappedFrameFields();

}  // namespace internal
}  // namespace echelon::json
