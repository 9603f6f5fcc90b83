// The few fields the load tools read from SSE event data, without a JSON
// parser: the gateway writes every event's small fields before the large ones
// (replay_id, then chunk_index or world_ref/chunk_count, then frames or world),
// so they sit in the first bytes of `data` even when a reader keeps only that
// prefix (SseReaderOptions::store == false).
//
//   EventFields f = ReadEventFields(event.data);   // {"replay_id":"r1","chunk_index":3,...
//   std::string_view frames = ChunkFrames(event.data);  // the raw "[...]"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace echelon::load {

struct EventFields {
  std::string replay_id;
  int64_t chunk_index = -1;  // replay_chunk only
  int64_t chunk_count = -1;  // replay_start only
};

EventFields ReadEventFields(std::string_view data);

// The frames array of a replay_chunk's full data (empty when it has none).
std::string_view ChunkFrames(std::string_view data);

}  // namespace echelon::load
