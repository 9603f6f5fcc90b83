// SSE framing of replay events (PROTOCOL.md, "GET /events"):
//   id: <n>\nevent: <type>\ndata: <one-line JSON>\n\n
// The data JSON comes from protocol/event_codec; this file only frames it,
// and wraps each frame as one HTTP/1.1 chunk ("<hex size>\r\n<frame>\r\n"):
// the gateway writes the chunked encoding itself, once per event, so that
// every viewer's socket gets the same shared bytes without a per-viewer copy
// (see the /events route).
//
// A replay_chunk's frames are not copied at all: its SseFrame points into the
// event (which it keeps alive), between a small head and tail. In the
// one-process server that event is the very one the hub retains, so a chunk
// exists once in memory however many viewers and late joiners read it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "echelon/replay/v1/replay.pb.h"

namespace echelon::gateway {

// One HTTP chunk of the SSE stream: head + body + tail, written in that order.
struct SseFrame {
  std::string head;
  // The frames of a replay_chunk, inside `body_owner`; empty for other events
  // (the whole chunk is then in `head`).
  std::string_view body;
  std::shared_ptr<const echelon::replay::v1::ReplayEvent> body_owner;
  std::string tail;
  // The SSE text inside the chunk, without the HTTP framing.
  size_t sse_size = 0;

  size_t size() const { return head.size() + body.size() + tail.size(); }
  // The bytes in one string (for tests and single-write callers).
  std::string Flatten() const;
};

using SseBytes = std::shared_ptr<const SseFrame>;

// The complete SSE text of one event (without the HTTP framing).
std::string EncodeSseEvent(const echelon::replay::v1::ReplayEvent& event);

// The SSE frame of one event as one HTTP chunk: what a viewer's socket gets.
SseBytes EncodeSseChunk(std::shared_ptr<const echelon::replay::v1::ReplayEvent> event);

// Any SSE text (the greeting, a keepalive) as one HTTP chunk.
SseFrame HttpChunk(std::string_view sse);

// The first SSE text of every stream: tells EventSource how soon to
// reconnect, and shows the stream open before the first event.
inline constexpr std::string_view kSseGreeting = "retry: 1000\n: connected\n\n";

// `: keepalive <unix-seconds>` comment frame.
std::string SseKeepalive();

}  // namespace echelon::gateway
