#include "gateway/sse_encoder.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "protocol/event_codec.h"

namespace echelon::gateway {
namespace {

namespace v1 = echelon::replay::v1;

// "ffffffffffffffff\r\n": the longest chunk-size line.
constexpr size_t kMaxChunkSizeLine = 2 * sizeof(size_t) + 2;

// The chunk-size line for `size` bytes: lowercase hex without leading zeros,
// as cpp-httplib writes it, so the bytes on the wire are what they always were.
std::string_view ChunkSizeLine(size_t size, char (&buffer)[kMaxChunkSizeLine + 1]) {
  const int digits = std::snprintf(buffer, sizeof(buffer), "%zx\r\n", size);
  return std::string_view(buffer, digits);
}

void AppendSseFields(const v1::ReplayEvent& event, std::string& out) {
  absl::StrAppend(&out, "id: ", event.id(), "\nevent: ", std::string(json::EventTypeName(event)), "\ndata: ");
}

size_t PayloadSizeHint(const v1::ReplayEvent& event) {
  if (event.has_replay_chunk()) return event.replay_chunk().frames_json().size();
  if (event.has_replay_start()) return event.replay_start().world_json().size();
  return 0;
}

// `head` holds room for the longest size line, then `sse_size` bytes of SSE
// text (the rest of it, if any, in the body). Puts the real size line right
// before the text and cuts the unused room off in place.
void PrependChunkSizeLine(std::string& head, size_t sse_size) {
  char buffer[kMaxChunkSizeLine + 1];
  const std::string_view line = ChunkSizeLine(sse_size, buffer);
  const size_t start = kMaxChunkSizeLine - line.size();
  head.replace(start, line.size(), line);
  head.erase(0, start);
}

}  // namespace

std::string SseFrame::Flatten() const {
  std::string out;
  out.reserve(size());
  out.append(head).append(body).append(tail);
  return out;
}

std::string EncodeSseEvent(const v1::ReplayEvent& event) {
  std::string sse;
  sse.reserve(PayloadSizeHint(event) + 256);
  AppendSseFields(event, sse);
  json::AppendEventDataJson(event, sse);
  sse.append("\n\n");
  return sse;
}

SseBytes EncodeSseChunk(std::shared_ptr<const v1::ReplayEvent> event) {
  auto frame = std::make_shared<SseFrame>();
  std::string& head = frame->head;
  head.append(kMaxChunkSizeLine, ' ');
  AppendSseFields(*event, head);
  if (json::AppendChunkDataJsonAroundFrames(*event, head, frame->tail)) {
    frame->body = event->replay_chunk().frames_json();
    frame->body_owner = std::move(event);
  } else {
    // Small events, and the world of a replay_start (sent once per viewer):
    // one buffer.
    head.reserve(head.size() + PayloadSizeHint(*event) + 256);
    json::AppendEventDataJson(*event, head);
  }
  frame->tail.append("\n\n");
  frame->sse_size = head.size() - kMaxChunkSizeLine + frame->body.size() + frame->tail.size();
  PrependChunkSizeLine(head, frame->sse_size);
  frame->tail.append("\r\n");
  return frame;
}

SseFrame HttpChunk(std::string_view sse) {
  char buffer[kMaxChunkSizeLine + 1];
  SseFrame frame;
  frame.head.reserve(kMaxChunkSizeLine + sse.size() + 2);
  frame.head.append(ChunkSizeLine(sse.size(), buffer)).append(sse).append("\r\n");
  frame.sse_size = sse.size();
  return frame;
}

std::string SseKeepalive() {
  return absl::StrCat(": keepalive ", absl::ToUnixSeconds(absl::Now()), "\n\n");
}

}  // namespace echelon::gateway
