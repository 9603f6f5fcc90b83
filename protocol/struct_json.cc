#include "protocol/struct_json.h"

#include "common/json_writer.h"
#include "common/status_util.h"
#include "protocol/internal/json_reader.h"
#include "protocol/internal/dom_struct.h"

namespace echelon::json {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

absl::StatusOr<Value> ParseValueJson(std::string_view json) {
  internal::ParserLease parser;
  ECHELON_ASSIGN_OR_RETURN(simdjson::dom::element root, parser.ParseDom(json));
  Value value;
  ECHELON_RETURN_IF_ERROR(internal::ElementToValue(root, 1, value));
  return value;
}

absl::StatusOr<Struct> ParseStructJson(std::string_view json) {
  ECHELON_ASSIGN_OR_RETURN(Value value, ParseValueJson(json));
  if (!value.has_struct_value()) return absl::InvalidArgumentError("JSON is not an object");
  return std::move(*value.mutable_struct_value());
}

absl::StatusOr<ListValue> ParseListValueJson(std::string_view json) {
  ECHELON_ASSIGN_OR_RETURN(Value value, ParseValueJson(json));
  if (!value.has_list_value()) return absl::InvalidArgumentError("JSON is not an array");
  return std::move(*value.mutable_list_value());
}

void AppendValueJson(const Value& value, std::string& out) {
  JsonWriter writer(out);
  internal::WriteValue(value, writer);
}

void AppendStructJson(const Struct& object, std::string& out) {
  JsonWriter writer(out);
  internal::WriteStruct(object, writer);
}

void AppendListValueJson(const ListValue& list, std::string& out) {
  JsonWriter writer(out);
  internal::WriteList(list, writer);
}

std::string ValueToJson(const Value& value) {
  std::string out;
  AppendValueJson(value, out);
  return out;
}

std::string StructToJson(const Struct& object) {
  std::string out;
  AppendStructJson(object, out);
  return out;
}

}  // namespace echelon::json
