// The `data:` JSON of each SSE event of PROTOCOL.md ("GET /events"), rendered
// from a ReplayEvent. The gateway renders each event once and shares the bytes
// between its viewers, so the large parts (frames, world) are spliced in as
// the raw JSON the core already holds, never re-encoded.
//
//   replay_start  {"replay_id","world_ref","chunk_count","meta","world"} + extra keys
//   replay_chunk  {"replay_id","chunk_index","frames"}
//   replay_end    {"replay_id"}
//   world         {"hash","data"}
//
// The output is always one line: spliced JSON that contains line breaks (only
// possible as whitespace) is minified first. Spliced JSON is trusted to be
// valid; the core validated it on the way in.
//
//   std::string data = json::EventDataJson(event);
//   std::string sse = absl::StrCat("id: ", event.id(), "\nevent: ", json::EventTypeName(event),
//                                  "\ndata: ", data, "\n\n");
#pragma once

#include <string>
#include <string_view>

#include "echelon/replay/v1/replay.pb.h"

namespace echelon::json {

using echelon::replay::v1::ReplayEvent;

// "replay_start", "replay_chunk", "replay_end", "world"; "" when no kind is set.
std::string_view EventTypeName(const ReplayEvent& event);

// Appends the event's data JSON. replay_start: `meta` is {} when unset,
// `world` is left out when world_json is empty (the subscriber opted out),
// ReplayStart.extra keys are merged at the top level unless they collide with
// the event's own keys. replay_chunk: empty frames_json renders as []. world:
// empty data_json renders as null. An event with no kind renders as {}.
void AppendEventDataJson(const ReplayEvent& event, std::string& out);

std::string EventDataJson(const ReplayEvent& event);

// For a replay_chunk whose frames_json can be spliced as it is (non-empty,
// one line): appends the data JSON's text before the frames to `before` and
// after them to `after`, so that before + frames_json + after is what
// AppendEventDataJson writes, and returns true. Lets the SSE fan-out send the
// frames from the event itself instead of a copy. False (nothing appended)
// for every other event.
bool AppendChunkDataJsonAroundFrames(const ReplayEvent& event, std::string& before, std::string& after);

}  // namespace echelon::json
