// libFuzzer target for push bodies: any byte string must come back as a
// ReplayChunk or as InvalidArgument, never as a crash or a hang. For accepted
// bodies: frames_json is already compact (FramesJsonFromChunk returns it
// unchanged), the push body rendered back parses to the same chunk, and the
// SSE data of the chunk stays on one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/util/message_differencer.h>

#include "protocol/chunk_codec.h"
#include "protocol/event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<echelon::json::ReplayChunk> chunk = echelon::json::ParsePushBody(body);
  if (!chunk.ok()) {
    if (chunk.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }

  const absl::StatusOr<std::string> frames = echelon::json::FramesJsonFromChunk(*chunk);
  if (!frames.ok() || *frames != chunk->frames_json()) std::abort();

  const absl::StatusOr<echelon::json::ReplayChunk> again =
      echelon::json::ParsePushBody(echelon::json::ChunkToPushJson(*chunk));
  if (!again.ok() || !google::protobuf::util::MessageDifferencer::Equals(*chunk, *again)) std::abort();

  echelon::replay::v1::ReplayEvent event;
  event.mutable_replay_chunk()->set_replay_id(chunk->replay_id());
  event.mutable_replay_chunk()->set_frames_json(chunk->frames_json());
  if (echelon::json::EventDataJson(event).find('\n') != std::string::npos) std::abort();
  return 0;
}
