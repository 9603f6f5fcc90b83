// SSE framing of replay events (PROTOCOL.md, "GET /events"):
//   id: <n>\nevent: <type>\ndata: <one-line JSON>\n\n
// The data JSON comes from server/json/event_codec; this file only frames it.
#pragma once

#include <memory>
#include <string>

#include "echelon/replay/v1/replay.pb.h"

namespace echelon::gateway {

using SseBytes = std::shared_ptr<const std::string>;

// The complete SSE frame of one event.
SseBytes EncodeSseEvent(const echelon::replay::v1::ReplayEvent& event);

// `: keepalive <unix-seconds>` comment frame.
std::string SseKeepalive();

}  // namespace echelon::gateway
