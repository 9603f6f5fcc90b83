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

// A hub event for `event`, whose id is already set; `without_world` is the
// replay_start without its world (null for every other kind).
inline HubEventPtr NewHubEvent(echelon::replay::v1::ReplayEvent event, const std::string& replay_id,
                               EventPtr without_world = nullptr) {
  auto hub_event = std::make_shared<HubEvent>();
  hub_event->id = event.id();
  hub_event->replay_id = replay_id;
  hub_event->with_world = std::make_shared<const echelon::replay::v1::ReplayEvent>(std::move(event));
  hub_event->with_world_bytes = EventPayloadBytes(*hub_event->with_world);
  if (without_world) {
    hub_event->without_world = std::move(without_world);
    hub_event->without_world_bytes = EventPayloadBytes(*hub_event->without_world);
  } else {
    hub_event->without_world = hub_event->with_world;
    hub_event->without_world_bytes = hub_event->with_world_bytes;
  }
  return hub_event;
}

// The replay_start event (both forms) with id `id`; `start` has no world.
inline HubEventPtr NewStartEvent(uint64_t id, echelon::replay::v1::ReplayStart start, const std::string& world_json) {
  echelon::replay::v1::ReplayEvent lean;
  lean.set_id(id);
  *lean.mutable_replay_start() = std::move(start);
  echelon::replay::v1::ReplayEvent full = lean;
  full.mutable_replay_start()->set_world_json(world_json);
  const std::string replay_id = lean.replay_start().replay_id();
  return NewHubEvent(std::move(full), replay_id,
                     std::make_shared<const echelon::replay::v1::ReplayEvent>(std::move(lean)));
}

}  // namespace echelon::replay
