#include "protocol/frame_codec.h"

#include <map>
#include <memory>
#include <optional>

#include <google/protobuf/struct.pb.h>
#include <simdjson.h>

#include "common/status_util.h"
#include "protocol/internal/json_reader.h"
#include "protocol/internal/dom_struct.h"

namespace echelon::json {
namespace {

using echelon::replay::v1::Vec3;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::Struct;
using simdjson::dom::element;
using simdjson::dom::element_type;

// How one proto field looks in JSON (see the rules in frame_codec.h).
enum class Kind {
  kDouble,         // optional double      <- any number
  kInt64,          // optional int64       <- integer literal in int64 range
  kBool,           // optional bool        <- true / false
  kString,         // optional string      <- string
  kVec3,           // Vec3                 <- [x, y, z]
  kMessage,        // message              <- object
  kDoubles,        // repeated double      <- non-empty array of numbers
  kMessages,       // repeated message     <- non-empty array of objects
  kStructs,        // repeated Struct      <- non-empty array of objects
  kKeyedMessages,  // repeated message with `id` <- non-empty object of objects
};

struct MessageSchema;

struct FieldSchema {
  std::string_view key;
  const FieldDescriptor* field;
  Kind kind;
  const MessageSchema* message;  // element schema for the message kinds
};

struct MessageSchema {
  std::vector<FieldSchema> fields;          // in proto order, which is the render order
  const FieldDescriptor* unknown = nullptr;  // the catch-all Struct
  const FieldDescriptor* id = nullptr;       // the JSON key, for keyed messages

  // Linear: at most ~20 fields, mostly rejected on length alone.
  const FieldSchema* Find(std::string_view key) const {
    for (const FieldSchema& field : fields) {
      if (field.key == key) return &field;
    }
    return nullptr;
  }
};

bool HasStringId(const Descriptor* type) {
  const FieldDescriptor* id = type->FindFieldByName("id");
  return id != nullptr && !id->is_repeated() && id->type() == FieldDescriptor::TYPE_STRING;
}

std::optional<Kind> RepeatedKind(const FieldDescriptor* field) {
  if (field->is_map()) return std::nullopt;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) return Kind::kDoubles;
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return std::nullopt;
  const Descriptor* type = field->message_type();
  if (type == Struct::descriptor()) return Kind::kStructs;
  return HasStringId(type) ? Kind::kKeyedMessages : Kind::kMessages;
}

std::optional<Kind> SingularKind(const FieldDescriptor* field) {
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const Descriptor* type = field->message_type();
    if (type == Vec3::descriptor()) return Kind::kVec3;
    if (type == Struct::descriptor() || HasStringId(type)) return std::nullopt;
    return Kind::kMessage;
  }
  // Without presence an unset scalar and a zero look the same.
  if (!field->has_presence()) return std::nullopt;
  switch (field->type()) {
    case FieldDescriptor::TYPE_DOUBLE: return Kind::kDouble;
    case FieldDescriptor::TYPE_INT64: return Kind::kInt64;
    case FieldDescriptor::TYPE_BOOL: return Kind::kBool;
    case FieldDescriptor::TYPE_STRING: return Kind::kString;
    default: return std::nullopt;
  }
}

// The schemas of Frame and every message under it, derived once from the
// descriptors.
class FrameSchemas {
 public:
  static const FrameSchemas& Get() {
    static const FrameSchemas* schemas = new FrameSchemas();
    return *schemas;
  }

  const MessageSchema& frame() const { return *frame_; }
  const std::vector<std::string>& unmapped() const { return unmapped_; }

 private:
  FrameSchemas() : frame_(Build(Frame::descriptor())) {}

  const MessageSchema* Build(const Descriptor* type) {
    std::unique_ptr<MessageSchema>& slot = by_type_[type];
    if (slot) return slot.get();
    slot = std::make_unique<MessageSchema>();
    MessageSchema& schema = *slot;
    for (int i = 0; i < type->field_count(); ++i) AddField(type->field(i), schema);
    if (schema.unknown == nullptr) unmapped_.push_back(type->full_name() + ".unknown");
    return &schema;
  }

  void AddField(const FieldDescriptor* field, MessageSchema& schema) {
    if (field->name() == "unknown" && !field->is_repeated() && field->message_type() == Struct::descriptor()) {
      schema.unknown = field;
      return;
    }
    if (field->name() == "id" && HasStringId(field->containing_type())) {
      schema.id = field;
      return;
    }
    const std::optional<Kind> kind = field->is_repeated() ? RepeatedKind(field) : SingularKind(field);
    if (!kind) {
      unmapped_.push_back(field->full_name());
      return;
    }
    const bool nested = *kind == Kind::kMessage || *kind == Kind::kMessages || *kind == Kind::kKeyedMessages;
    schema.fields.push_back({field->name(), field, *kind, nested ? Build(field->message_type()) : nullptr});
  }

  std::map<const Descriptor*, std::unique_ptr<MessageSchema>> by_type_;
  std::vector<std::string> unmapped_;
  const MessageSchema* frame_;
};

// ---- JSON -> Frame ----

bool IsNumber(element value) {
  const element_type type = value.type();
  return type == element_type::INT64 || type == element_type::UINT64 || type == element_type::DOUBLE;
}

double AsDouble(element number) {
  switch (number.type()) {
    case element_type::INT64: return static_cast<double>(number.get_int64().value_unsafe());
    case element_type::UINT64: return static_cast<double>(number.get_uint64().value_unsafe());
    default: return number.get_double().value_unsafe();
  }
}

bool IsNonEmptyArrayOf(element value, bool (*fits)(element)) {
  if (value.type() != element_type::ARRAY) return false;
  simdjson::dom::array array = internal::AsArray(value);
  if (array.begin() == array.end()) return false;
  for (element item : array) {
    if (!fits(item)) return false;
  }
  return true;
}

bool IsObject(element value) { return value.type() == element_type::OBJECT; }

bool IsVec3(element value) {
  if (value.type() != element_type::ARRAY) return false;
  int count = 0;
  for (element item : internal::AsArray(value)) {
    if (!IsNumber(item) || ++count > 3) return false;
  }
  return count == 3;
}

bool IsNonEmptyObjectOfObjects(element value) {
  if (!IsObject(value)) return false;
  simdjson::dom::object object = internal::AsObject(value);
  if (object.begin() == object.end()) return false;
  for (auto [key, item] : object) {
    if (!IsObject(item)) return false;
  }
  return true;
}

// Whether `value` can be held by the field without losing or coercing anything.
bool Fits(const FieldSchema& field, element value) {
  switch (field.kind) {
    case Kind::kDouble: return IsNumber(value);
    case Kind::kInt64: return value.type() == element_type::INT64;
    case Kind::kBool: return value.type() == element_type::BOOL;
    case Kind::kString: return value.type() == element_type::STRING;
    case Kind::kVec3: return IsVec3(value);
    case Kind::kMessage: return IsObject(value);
    case Kind::kDoubles: return IsNonEmptyArrayOf(value, IsNumber);
    case Kind::kMessages:
    case Kind::kStructs: return IsNonEmptyArrayOf(value, IsObject);
    case Kind::kKeyedMessages: return IsNonEmptyObjectOfObjects(value);
  }
  return false;
}

absl::Status ParseMessage(simdjson::dom::object object, const MessageSchema& schema, int depth, Message& message);

void FillVec3(element value, Vec3& vec) {
  double xyz[3];
  int i = 0;
  for (element item : internal::AsArray(value)) xyz[i++] = AsDouble(item);
  vec.set_x(xyz[0]);
  vec.set_y(xyz[1]);
  vec.set_z(xyz[2]);
}

bool IsScalar(Kind kind) {
  return kind == Kind::kDouble || kind == Kind::kInt64 || kind == Kind::kBool || kind == Kind::kString;
}

void FillScalar(const FieldSchema& field, element value, const Reflection& reflection, Message& message) {
  const FieldDescriptor* fd = field.field;
  switch (field.kind) {
    case Kind::kDouble: reflection.SetDouble(&message, fd, AsDouble(value)); return;
    case Kind::kInt64: reflection.SetInt64(&message, fd, value.get_int64().value_unsafe()); return;
    case Kind::kBool: reflection.SetBool(&message, fd, value.get_bool().value_unsafe()); return;
    case Kind::kString: reflection.SetString(&message, fd, std::string(value.get_string().value_unsafe())); return;
    default: return;
  }
}

// `depth` is the level of the container `value` itself.
absl::Status FillContainer(const FieldSchema& field, element value, int depth, const Reflection& reflection,
                           Message& message) {
  const FieldDescriptor* fd = field.field;
  switch (field.kind) {
    case Kind::kVec3:
      FillVec3(value, static_cast<Vec3&>(*reflection.MutableMessage(&message, fd)));
      return absl::OkStatus();
    case Kind::kMessage:
      return ParseMessage(internal::AsObject(value), *field.message, depth, *reflection.MutableMessage(&message, fd));
    case Kind::kDoubles:
      for (element item : internal::AsArray(value)) reflection.AddDouble(&message, fd, AsDouble(item));
      return absl::OkStatus();
    case Kind::kMessages:
      for (element item : internal::AsArray(value)) {
        ECHELON_RETURN_IF_ERROR(ParseMessage(internal::AsObject(item), *field.message, depth + 1,
                                             *reflection.AddMessage(&message, fd)));
      }
      return absl::OkStatus();
    case Kind::kStructs:
      for (element item : internal::AsArray(value)) {
        auto& event = static_cast<Struct&>(*reflection.AddMessage(&message, fd));
        ECHELON_RETURN_IF_ERROR(internal::ObjectToStruct(internal::AsObject(item), depth + 1, event));
      }
      return absl::OkStatus();
    case Kind::kKeyedMessages:
      for (auto [key, item] : internal::AsObject(value)) {
        Message& keyed = *reflection.AddMessage(&message, fd);
        keyed.GetReflection()->SetString(&keyed, field.message->id, std::string(key));
        ECHELON_RETURN_IF_ERROR(ParseMessage(internal::AsObject(item), *field.message, depth + 1, keyed));
      }
      return absl::OkStatus();
    default: return absl::InternalError("not a container field");
  }
}

// Sets the field from a `value` that Fits(); `depth` is the level of the
// object holding the field. Reflection is passed in because looking it up per
// field shows in profiles.
absl::Status Fill(const FieldSchema& field, element value, int depth, const Reflection& reflection,
                  Message& message) {
  if (IsScalar(field.kind)) {
    FillScalar(field, value, reflection, message);
    return absl::OkStatus();
  }
  ECHELON_RETURN_IF_ERROR(internal::CheckDepth(depth + 1));
  return FillContainer(field, value, depth + 1, reflection, message);
}

// `depth` is the nesting level of `object` itself.
absl::Status ParseMessage(simdjson::dom::object object, const MessageSchema& schema, int depth, Message& message) {
  ECHELON_RETURN_IF_ERROR(internal::CheckDepth(depth));
  const Reflection& reflection = *message.GetReflection();
  Struct* unknown = nullptr;  // created on first use: most messages have none
  for (auto [key, value] : object) {
    if (const FieldSchema* field = schema.Find(key)) {
      // Forget an earlier duplicate of this key, typed or not: the later one wins.
      reflection.ClearField(&message, field->field);
      if (unknown != nullptr) unknown->mutable_fields()->erase(std::string(key));
      if (Fits(*field, value)) {
        ECHELON_RETURN_IF_ERROR(Fill(*field, value, depth, reflection, message));
        continue;
      }
    }
    if (unknown == nullptr) unknown = static_cast<Struct*>(reflection.MutableMessage(&message, schema.unknown));
    ECHELON_RETURN_IF_ERROR(internal::ElementToValue(value, depth + 1, (*unknown->mutable_fields())[std::string(key)]));
  }
  return absl::OkStatus();
}

absl::Status ParseFrame(element value, Frame& frame) {
  if (value.type() != element_type::OBJECT) return absl::InvalidArgumentError("a frame is not a JSON object");
  return ParseMessage(internal::AsObject(value), FrameSchemas::Get().frame(), 1, frame);
}

// ---- Frame -> JSON ----

void WriteMessage(const Message& message, const MessageSchema& schema, JsonWriter& writer);

bool IsSet(const FieldSchema& field, const Message& message, const Reflection& reflection) {
  return field.field->is_repeated() ? reflection.FieldSize(message, field.field) > 0
                                    : reflection.HasField(message, field.field);
}

void WriteVec3(const Vec3& vec, JsonWriter& writer) {
  writer.BeginArray();
  writer.Double(vec.x());
  writer.Double(vec.y());
  writer.Double(vec.z());
  writer.EndArray();
}

// A repeated field that IsSet(): an array, or an object keyed by id.
void WriteRepeated(const FieldSchema& field, const Message& message, const Reflection& reflection,
                   JsonWriter& writer) {
  const FieldDescriptor* fd = field.field;
  const int size = reflection.FieldSize(message, fd);
  if (field.kind == Kind::kKeyedMessages) {
    writer.BeginObject();
    for (int i = 0; i < size; ++i) {
      const Message& item = reflection.GetRepeatedMessage(message, fd, i);
      std::string scratch;
      writer.Key(item.GetReflection()->GetStringReference(item, field.message->id, &scratch));
      WriteMessage(item, *field.message, writer);
    }
    writer.EndObject();
    return;
  }
  writer.BeginArray();
  for (int i = 0; i < size; ++i) {
    if (field.kind == Kind::kDoubles) {
      writer.Double(reflection.GetRepeatedDouble(message, fd, i));
    } else if (field.kind == Kind::kStructs) {
      internal::WriteStruct(static_cast<const Struct&>(reflection.GetRepeatedMessage(message, fd, i)), writer);
    } else {
      WriteMessage(reflection.GetRepeatedMessage(message, fd, i), *field.message, writer);
    }
  }
  writer.EndArray();
}

void WriteField(const FieldSchema& field, const Message& message, const Reflection& reflection,
                JsonWriter& writer) {
  const FieldDescriptor* fd = field.field;
  switch (field.kind) {
    case Kind::kDouble: writer.Double(reflection.GetDouble(message, fd)); return;
    case Kind::kInt64: writer.Int(reflection.GetInt64(message, fd)); return;
    case Kind::kBool: writer.Bool(reflection.GetBool(message, fd)); return;
    case Kind::kString: {
      std::string scratch;
      writer.String(reflection.GetStringReference(message, fd, &scratch));
      return;
    }
    case Kind::kVec3: WriteVec3(static_cast<const Vec3&>(reflection.GetMessage(message, fd)), writer); return;
    case Kind::kMessage: WriteMessage(reflection.GetMessage(message, fd), *field.message, writer); return;
    default: WriteRepeated(field, message, reflection, writer); return;
  }
}

void WriteMessage(const Message& message, const MessageSchema& schema, JsonWriter& writer) {
  const Reflection& reflection = *message.GetReflection();
  writer.BeginObject();
  for (const FieldSchema& field : schema.fields) {
    if (!IsSet(field, message, reflection)) continue;
    writer.Key(field.key);
    WriteField(field, message, reflection, writer);
  }
  const auto& unknown = static_cast<const Struct&>(reflection.GetMessage(message, schema.unknown));
  if (unknown.fields_size() > 0) {
    internal::WriteStructFields(unknown, writer, [&](std::string_view key) {
      const FieldSchema* field = schema.Find(key);
      return field != nullptr && IsSet(*field, message, reflection);
    });
  }
  writer.EndObject();
}

}  // namespace

absl::StatusOr<Frame> ParseFrameJson(std::string_view json) {
  internal::ParserLease parser;
  ECHELON_ASSIGN_OR_RETURN(element root, parser.ParseDom(json));
  Frame frame;
  ECHELON_RETURN_IF_ERROR(ParseFrame(root, frame));
  return frame;
}

absl::StatusOr<Frames> ParseFramesJson(std::string_view json) {
  internal::ParserLease parser;
  ECHELON_ASSIGN_OR_RETURN(element root, parser.ParseDom(json));
  if (root.type() != element_type::ARRAY) return absl::InvalidArgumentError("frames JSON is not an array");
  simdjson::dom::array array = internal::AsArray(root);
  Frames frames;
  frames.Reserve(static_cast<int>(array.size()));
  for (element item : array) {
    absl::Status status = ParseFrame(item, *frames.Add());
    if (!status.ok()) {
      return absl::InvalidArgumentError("frame " + std::to_string(frames.size() - 1) + ": " +
                                        std::string(status.message()));
    }
  }
  return frames;
}

void AppendFrameJson(const Frame& frame, std::string& out) {
  JsonWriter writer(out);
  WriteMessage(frame, FrameSchemas::Get().frame(), writer);
}

void AppendFramesJson(const Frames& frames, std::string& out) {
  JsonWriter writer(out);
  internal::WriteFrames(frames, writer);
}

namespace internal {

void WriteFrames(const Frames& frames, JsonWriter& writer) {
  const MessageSchema& schema = FrameSchemas::Get().frame();
  writer.BeginArray();
  for (const Frame& frame : frames) WriteMessage(frame, schema, writer);
  writer.EndArray();
}

std::vector<std::string> UnmappedFrameFields() { return FrameSchemas::Get().unmapped(); }

}  // namespace internal
}  // namespace echelon::json
