#include "gateway/sse_encoder.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/json/event_codec.h"

namespace echelon::gateway {
namespace {

size_t PayloadSizeHint(const echelon::replay::v1::ReplayEvent& event) {
  if (event.has_replay_chunk()) return event.replay_chunk().frames_json().size();
  if (event.has_replay_start()) return event.replay_start().world_json().size();
  return 0;
}

}  // namespace

SseBytes EncodeSseEvent(const echelon::replay::v1::ReplayEvent& event) {
  auto frame = std::make_shared<std::string>();
  const std::string_view type = json::EventTypeName(event);
  frame->reserve(PayloadSizeHint(event) + 256);
  absl::StrAppend(frame.get(), "id: ", event.id(), "\nevent: ", std::string(type), "\ndata: ");
  json::AppendEventDataJson(event, *frame);
  frame->append("\n\n");
  return frame;
}

SseBytes EncodeSseChunk(const echelon::replay::v1::ReplayEvent& event) {
  // One copy of the frame per event (not per viewer) buys the exact size for
  // the chunk header; lowercase hex without leading zeros, as cpp-httplib
  // writes it, so the bytes on the wire are what they always were.
  return std::make_shared<const std::string>(HttpChunk(*EncodeSseEvent(event)));
}

std::string HttpChunk(std::string_view sse) {
  char hex[2 * sizeof(size_t) + 1];
  const int digits = std::snprintf(hex, sizeof(hex), "%zx", sse.size());
  std::string chunk;
  chunk.reserve(digits + sse.size() + 4);
  chunk.append(hex, digits).append("\r\n").append(sse).append("\r\n");
  return chunk;
}

size_t HttpChunkPayloadSize(const std::string& chunk) {
  const size_t header = chunk.find('\n') + 1;
  return chunk.size() - header - 2;
}

std::string SseKeepalive() {
  return absl::StrCat(": keepalive ", absl::ToUnixSeconds(absl::Now()), "\n\n");
}

}  // namespace echelon::gateway
