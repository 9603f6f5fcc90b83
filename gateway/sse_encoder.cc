#include "gateway/sse_encoder.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/json/event_codec.h"

namespace echelon::gateway {
namespace {

// "ffffffffffffffff\r\n": the longest chunk-size line.
constexpr size_t kMaxChunkSizeLine = 2 * sizeof(size_t) + 2;

size_t PayloadSizeHint(const echelon::replay::v1::ReplayEvent& event) {
  if (event.has_replay_chunk()) return event.replay_chunk().frames_json().size();
  if (event.has_replay_start()) return event.replay_start().world_json().size();
  return 0;
}

// The chunk-size line for `size` bytes: lowercase hex without leading
// zeros, as cpp-httplib writes it, so the bytes on the wire are what they
// always were.
std::string_view ChunkSizeLine(size_t size, char (&buffer)[kMaxChunkSizeLine + 1]) {
  const int digits = std::snprintf(buffer, sizeof(buffer), "%zx\r\n", size);
  return std::string_view(buffer, digits);
}

// Appends the SSE frame of `event` to `out`.
void AppendSseEvent(const echelon::replay::v1::ReplayEvent& event, std::string& out) {
  absl::StrAppend(&out, "id: ", event.id(), "\nevent: ", std::string(json::EventTypeName(event)), "\ndata: ");
  json::AppendEventDataJson(event, out);
  out.append("\n\n");
}

}  // namespace

SseBytes EncodeSseEvent(const echelon::replay::v1::ReplayEvent& event) {
  auto frame = std::make_shared<std::string>();
  frame->reserve(PayloadSizeHint(event) + 256);
  AppendSseEvent(event, *frame);
  return frame;
}

SseBytes EncodeSseChunk(const echelon::replay::v1::ReplayEvent& event) {
  // The frame is written once, after room for the longest size line; the
  // real line then goes right before it and the unused room is cut off in
  // place (a memmove, not a second megabyte buffer).
  auto chunk = std::make_shared<std::string>();
  chunk->reserve(kMaxChunkSizeLine + PayloadSizeHint(event) + 256);
  chunk->append(kMaxChunkSizeLine, ' ');
  AppendSseEvent(event, *chunk);
  char line_buffer[kMaxChunkSizeLine + 1];
  const std::string_view line = ChunkSizeLine(chunk->size() - kMaxChunkSizeLine, line_buffer);
  const size_t start = kMaxChunkSizeLine - line.size();
  chunk->replace(start, line.size(), line);
  chunk->erase(0, start);
  chunk->append("\r\n");
  return chunk;
}

std::string HttpChunk(std::string_view sse) {
  char line_buffer[kMaxChunkSizeLine + 1];
  const std::string_view line = ChunkSizeLine(sse.size(), line_buffer);
  std::string chunk;
  chunk.reserve(line.size() + sse.size() + 2);
  chunk.append(line).append(sse).append("\r\n");
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
