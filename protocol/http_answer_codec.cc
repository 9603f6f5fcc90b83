#include "protocol/http_answer_codec.h"

#include "common/json_writer.h"
#include "protocol/internal/json_reader.h"

namespace echelon::json {
namespace {

// The value of `key` in the JSON object `body`, or an error element when the
// body is not an object or lacks the key. Valid until `parser` parses again.
simdjson::simdjson_result<simdjson::dom::element> TopLevelField(internal::ParserLease& parser,
                                                                std::string_view body, std::string_view key) {
  absl::StatusOr<simdjson::dom::element> root = parser.ParseDom(body);
  if (!root.ok()) return simdjson::TAPE_ERROR;
  return (*root)[key];
}

}  // namespace

std::string RenderPushAckJson(const replay::v1::PushAck& ack, uint64_t clients_notified) {
  std::string body;
  JsonWriter w(body);
  w.BeginObject();
  w.Key("status");
  w.String("ok");
  w.Key("replay_id");
  w.String(ack.replay_id());
  w.Key("chunk_index");
  w.Int(ack.chunk_index());
  w.Key("clients_notified");
  w.Int(ack.duplicate() ? 0 : static_cast<int64_t>(clients_notified));
  if (ack.duplicate()) {
    w.Key("duplicate");
    w.Bool(true);
  }
  w.EndObject();
  return body;
}

bool PushAckIsDuplicate(std::string_view body) {
  internal::ParserLease parser;
  bool duplicate = false;
  if (TopLevelField(parser, body, "duplicate").get_bool().get(duplicate)) return false;
  return duplicate;
}

std::string RenderErrorJson(std::string_view detail) {
  std::string body;
  JsonWriter w(body);
  w.BeginObject();
  w.Key("detail");
  w.String(detail);
  w.EndObject();
  return body;
}

std::optional<std::string> ErrorDetail(std::string_view body) {
  internal::ParserLease parser;
  std::string_view detail;
  if (TopLevelField(parser, body, "detail").get_string().get(detail)) return std::nullopt;
  return std::string(detail);
}

}  // namespace echelon::json
