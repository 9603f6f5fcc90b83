// HubEvent: one published replay event as the hub keeps and hands it out.
//
// Each event is encoded once, as an immutable protobuf shared by the retained
// log and every subscriber's outbox. replay_start exists in two forms, with
// and without the world, since subscribers choose whether they want the world
// inline; for every other kind both pointers are the same object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "echelon/replay/v1/replay.pb.h"

namespace echelon::replay {

using EventPtr = std::shared_ptr<const echelon::replay::v1::ReplayEvent>;

struct HubEvent {
  uint64_t id = 0;
  std::string replay_id;
  EventPtr with_world;
  EventPtr without_world;
  size_t with_world_bytes = 0;
  size_t without_world_bytes = 0;

  const EventPtr& For(bool omit_world) const { return omit_world ? without_world : with_world; }
  size_t BytesFor(bool omit_world) const {
    return omit_world ? without_world_bytes : with_world_bytes;
  }
  // What this event keeps alive, for the retention budget.
  size_t retained_bytes() const {
    return with_world == without_world ? with_world_bytes : with_world_bytes + without_world_bytes;
  }
};

using HubEventPtr = std::shared_ptr<const HubEvent>;

// Approximate size of an event's payload in memory.
inline size_t EventPayloadBytes(const echelon::replay::v1::ReplayEvent& event) {
  switch (event.kind_case()) {
    case echelon::replay::v1::ReplayEvent::kReplayChunk:
      return event.replay_chunk().frames_json().size() + 64;
    case echelon::replay::v1::ReplayEvent::kReplayStart:
      return event.replay_start().world_json().size() + event.replay_start().ByteSizeLong();
    default:
      return event.ByteSizeLong() + 64;
  }
}

}  // namespace echelon::replay
