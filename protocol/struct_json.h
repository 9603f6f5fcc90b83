// JSON text <-> google.protobuf.Struct / Value / ListValue: how free-form JSON
// (frame events, unknown keys, replay meta, the trainer's "run") travels in
// protobuf messages.
//
// Struct holds every number as a double. Rendering writes a whole number of
// magnitude below 2^53 as an integer ("3", as JavaScript does), any other
// number as the shortest text that reads back as the same double, in Python's
// repr style ("0.5", "1e+16", "-0.0"). Object keys are rendered sorted, so the
// output is deterministic although protobuf maps have no order.
//
//   ECHELON_ASSIGN_OR_RETURN(google::protobuf::Struct meta, json::ParseStructJson(R"({"map":"pit"})"));
//   std::string text = json::StructToJson(meta);  // {"map":"pit"}
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"
#include "protocol/json_limits.h"

namespace echelon::json {

// Any JSON value. InvalidArgument for malformed JSON or nesting deeper than
// kMaxStructNestingDepth (json_limits.h).
[[nodiscard]] absl::StatusOr<google::protobuf::Value> ParseValueJson(std::string_view json);
// A JSON object; InvalidArgument for anything else.
[[nodiscard]] absl::StatusOr<google::protobuf::Struct> ParseStructJson(std::string_view json);
// A JSON array; InvalidArgument for anything else.
[[nodiscard]] absl::StatusOr<google::protobuf::ListValue> ParseListValueJson(std::string_view json);

// Append compact JSON to `out`. A Value with no kind set renders as null, and
// so do NaN and infinities, which JSON cannot express.
void AppendValueJson(const google::protobuf::Value& value, std::string& out);
void AppendStructJson(const google::protobuf::Struct& object, std::string& out);
void AppendListValueJson(const google::protobuf::ListValue& list, std::string& out);

std::string ValueToJson(const google::protobuf::Value& value);
std::string StructToJson(const google::protobuf::Struct& object);

}  // namespace echelon::json
