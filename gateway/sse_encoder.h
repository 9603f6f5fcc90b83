// SSE framing of replay events (PROTOCOL.md, "GET /events"):
//   id: <n>\nevent: <type>\ndata: <one-line JSON>\n\n
// The data JSON comes from server/json/event_codec; this file only frames it,
// and wraps each frame as one HTTP/1.1 chunk ("<hex size>\r\n<frame>\r\n"):
// the gateway writes the chunked encoding itself, once per event, so that
// every viewer's socket gets the same shared bytes without a per-viewer copy
// (see the /events route).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "echelon/replay/v1/replay.pb.h"

namespace echelon::gateway {

using SseBytes = std::shared_ptr<const std::string>;

// The complete SSE frame of one event.
SseBytes EncodeSseEvent(const echelon::replay::v1::ReplayEvent& event);

// The SSE frame of one event as one HTTP chunk: what a viewer's socket gets.
SseBytes EncodeSseChunk(const echelon::replay::v1::ReplayEvent& event);

// Any SSE text (the greeting, a keepalive) as one HTTP chunk.
std::string HttpChunk(std::string_view sse);

// The size of the SSE text inside a chunk made by the two above.
size_t HttpChunkPayloadSize(const std::string& chunk);

// `: keepalive <unix-seconds>` comment frame.
std::string SseKeepalive();

}  // namespace echelon::gateway
