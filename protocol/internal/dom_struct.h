// The Struct/Value half of the mapping at the level the codecs need it:
// simdjson DOM elements into Struct/Value (with the depth limit), and Struct
// rendering through a JsonWriter. struct_json.h wraps these for text; the
// frame, chunk and event codecs use them directly to avoid re-parsing.
//
//   google::protobuf::Struct meta;
//   ECHELON_RETURN_IF_ERROR(internal::ObjectToStruct(object, /*depth=*/1, meta));
//   internal::WriteStructFields(extra, writer, [](std::string_view key) { return key == "meta"; });
#pragma once

#include <string_view>

#include <google/protobuf/struct.pb.h>
#include <simdjson.h>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/json_writer.h"

namespace echelon::json::internal {

// The array or object of an element already known to be one. By value on
// purpose: a range-for over get_array().value_unsafe() binds a reference into a
// temporary simdjson_result and dangles.
inline simdjson::dom::array AsArray(simdjson::dom::element element) { return element.get_array().value_unsafe(); }
inline simdjson::dom::object AsObject(simdjson::dom::element element) { return element.get_object().value_unsafe(); }

// InvalidArgument when a container at nesting level `depth` (the root is 1)
// is deeper than kMaxStructNestingDepth.
[[nodiscard]] absl::Status CheckDepth(int depth);

// `depth` is the nesting level of the element itself. A later duplicate key
// replaces an earlier one, as in Python's and JavaScript's readers.
[[nodiscard]] absl::Status ElementToValue(simdjson::dom::element element, int depth, google::protobuf::Value& out);
[[nodiscard]] absl::Status ObjectToStruct(simdjson::dom::object object, int depth, google::protobuf::Struct& out);

// A Struct number: whole numbers below 2^53 as integers, others in repr style.
void WriteNumber(double value, JsonWriter& writer);
void WriteValue(const google::protobuf::Value& value, JsonWriter& writer);
void WriteStruct(const google::protobuf::Struct& object, JsonWriter& writer);
void WriteList(const google::protobuf::ListValue& list, JsonWriter& writer);

// Writes the members of `object` (sorted by key) into the JSON object the
// writer is inside, leaving out the keys for which `skip` is true.
void WriteStructFields(const google::protobuf::Struct& object, JsonWriter& writer,
                       absl::FunctionRef<bool(std::string_view)> skip);

}  // namespace echelon::json::internal
