#include "protocol/internal/dom_struct.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/container/inlined_vector.h"
#include "common/status_util.h"
#include "protocol/json_limits.h"

namespace echelon::json::internal {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status CheckDepth(int depth) {
  if (depth <= kMaxStructNestingDepth) return absl::OkStatus();
  return absl::InvalidArgumentError("JSON nested deeper than " + std::to_string(kMaxStructNestingDepth) + " levels");
}

absl::Status ElementToValue(simdjson::dom::element element, int depth, Value& out) {
  // A repeated key lands on an existing Value: start from scratch so that a
  // later object or array replaces the earlier one instead of merging into it.
  if (out.kind_case() != Value::KIND_NOT_SET) out.Clear();
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: {
      ECHELON_RETURN_IF_ERROR(CheckDepth(depth));
      ListValue& list = *out.mutable_list_value();
      for (simdjson::dom::element child : AsArray(element)) {
        ECHELON_RETURN_IF_ERROR(ElementToValue(child, depth + 1, *list.add_values()));
      }
      return absl::OkStatus();
    }
    case simdjson::dom::element_type::OBJECT:
      return ObjectToStruct(AsObject(element), depth, *out.mutable_struct_value());
    case simdjson::dom::element_type::INT64:
      out.set_number_value(static_cast<double>(element.get_int64().value_unsafe()));
      return absl::OkStatus();
    case simdjson::dom::element_type::UINT64:
      out.set_number_value(static_cast<double>(element.get_uint64().value_unsafe()));
      return absl::OkStatus();
    case simdjson::dom::element_type::DOUBLE:
      out.set_number_value(element.get_double().value_unsafe());
      return absl::OkStatus();
    case simdjson::dom::element_type::STRING:
      out.set_string_value(std::string(element.get_string().value_unsafe()));
      return absl::OkStatus();
    case simdjson::dom::element_type::BOOL:
      out.set_bool_value(element.get_bool().value_unsafe());
      return absl::OkStatus();
    case simdjson::dom::element_type::NULL_VALUE:
      out.set_null_value(google::protobuf::NULL_VALUE);
      return absl::OkStatus();
  }
  return absl::InternalError("unknown simdjson element type");
}

absl::Status ObjectToStruct(simdjson::dom::object object, int depth, Struct& out) {
  ECHELON_RETURN_IF_ERROR(CheckDepth(depth));
  auto& fields = *out.mutable_fields();
  for (auto [key, value] : object) {
    ECHELON_RETURN_IF_ERROR(ElementToValue(value, depth + 1, fields[std::string(key)]));
  }
  return absl::OkStatus();
}

void WriteNumber(double value, JsonWriter& writer) {
  // Below 2^53 every whole double is an exact integer and reads back as the
  // same double; -0.0 keeps its sign through the repr path.
  constexpr double kExactIntegerLimit = 9007199254740992.0;
  if (std::trunc(value) == value && std::fabs(value) < kExactIntegerLimit && !(value == 0 && std::signbit(value))) {
    writer.Int(static_cast<int64_t>(value));
  } else {
    writer.Double(value);  // NaN and infinities become null
  }
}

void WriteValue(const Value& value, JsonWriter& writer) {
  switch (value.kind_case()) {
    case Value::kNumberValue: WriteNumber(value.number_value(), writer); return;
    case Value::kStringValue: writer.String(value.string_value()); return;
    case Value::kBoolValue: writer.Bool(value.bool_value()); return;
    case Value::kStructValue: WriteStruct(value.struct_value(), writer); return;
    case Value::kListValue: WriteList(value.list_value(), writer); return;
    case Value::kNullValue:
    case Value::KIND_NOT_SET: writer.Null(); return;
  }
  writer.Null();
}

void WriteStruct(const Struct& object, JsonWriter& writer) {
  writer.BeginObject();
  WriteStructFields(object, writer, [](std::string_view) { return false; });
  writer.EndObject();
}

void WriteList(const ListValue& list, JsonWriter& writer) {
  writer.BeginArray();
  for (const Value& value : list.values()) WriteValue(value, writer);
  writer.EndArray();
}

void WriteStructFields(const Struct& object, JsonWriter& writer, absl::FunctionRef<bool(std::string_view)> skip) {
  using Entry = google::protobuf::MapPair<std::string, Value>;
  absl::InlinedVector<const Entry*, 16> entries;
  entries.reserve(object.fields_size());
  for (const Entry& entry : object.fields()) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->first < b->first; });
  for (const Entry* entry : entries) {
    if (skip(entry->first)) continue;
    writer.Key(entry->first);
    WriteValue(entry->second, writer);
  }
}

}  // namespace echelon::json::internal
