#include "gateway/sse_encoder.h"

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

std::string SseKeepalive() {
  return absl::StrCat(": keepalive ", absl::ToUnixSeconds(absl::Now()), "\n\n");
}

}  // namespace echelon::gateway
