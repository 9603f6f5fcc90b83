#include "server/replay/library_backlog.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "common/status_util.h"
#include "protocol/struct_json.h"
#include "spdlog/spdlog.h"

namespace echelon::replay {

namespace {

// More stored events than this after a resume point is not a resume any more.
constexpr size_t kMaxResumeEvents = 20000;

}  // namespace

absl::StatusOr<HubEventPtr> LibraryBacklog::Start(const library::ReplayInfo& info) {
  v1::ReplayStart start;
  start.set_replay_id(info.replay_id);
  start.set_world_ref(info.world_ref);
  start.set_chunk_count(info.chunk_count);
  if (auto meta = json::ParseStructJson(info.meta_json); meta.ok() && meta->fields_size() > 0) {
    *start.mutable_meta() = *std::move(meta);
  }
  if (auto extra = json::ParseStructJson(info.extra_json); extra.ok() && extra->fields_size() > 0) {
    *start.mutable_extra() = *std::move(extra);
  }
  ECHELON_ASSIGN_OR_RETURN(std::string world, world_json_(info.world_ref));
  return NewStartEvent(info.start_event_id, std::move(start), world);
}

absl::StatusOr<HubEventPtr> LibraryBacklog::Chunk(const std::string& replay_id, uint32_t chunk_index, uint64_t id) {
  ECHELON_ASSIGN_OR_RETURN(std::string frames, store_.ReadChunk(replay_id, chunk_index));
  v1::ReplayEvent event;
  event.set_id(id);
  auto* body = event.mutable_replay_chunk();
  body->set_replay_id(replay_id);
  body->set_chunk_index(chunk_index);
  body->set_frames_json(std::move(frames));
  return NewHubEvent(std::move(event), replay_id);
}

HubEventPtr LibraryBacklog::End(const std::string& replay_id, uint64_t id) {
  v1::ReplayEvent event;
  event.set_id(id);
  event.mutable_replay_end()->set_replay_id(replay_id);
  return NewHubEvent(std::move(event), replay_id);
}

absl::StatusOr<std::vector<HubEventPtr>> LibraryBacklog::ResumeAfter(uint64_t after_id, uint64_t up_to_id) {
  ECHELON_ASSIGN_OR_RETURN(std::vector<library::StoredEvent> stored,
                           store_.ListEventsAfter(after_id, up_to_id, kMaxResumeEvents));
  std::vector<HubEventPtr> events;
  size_t bytes = 0;
  for (const library::StoredEvent& e : stored) {
    absl::StatusOr<HubEventPtr> event;
    switch (e.kind) {
      case library::StoredEvent::Kind::kStart: {
        auto info = store_.Describe(e.replay_id);
        if (!info.ok()) continue;  // deleted meanwhile
        event = Start(*info);
        break;
      }
      case library::StoredEvent::Kind::kChunk:
        event = Chunk(e.replay_id, e.chunk_index, e.event_id);
        break;
      case library::StoredEvent::Kind::kEnd:
        event = End(e.replay_id, e.event_id);
        break;
    }
    // A damaged chunk is left out: the viewer sees the hole as a gap.
    if (!event.ok()) continue;
    bytes += (*event)->retained_bytes();
    if (bytes > max_bytes_) {
      return absl::ResourceExhaustedError("the events since the resume point exceed the catch-up budget");
    }
    events.push_back(*std::move(event));
  }
  return events;
}

absl::StatusOr<std::vector<HubEventPtr>> LibraryBacklog::WholeReplay(const library::ReplayInfo& info,
                                                                     uint64_t up_to_id, size_t* bytes) {
  std::vector<HubEventPtr> events;
  if (info.start_event_id > up_to_id) return events;
  ECHELON_ASSIGN_OR_RETURN(HubEventPtr start, Start(info));
  *bytes += start->retained_bytes();
  events.push_back(std::move(start));
  ECHELON_ASSIGN_OR_RETURN(std::vector<library::StoredChunkRef> chunks, store_.Chunks(info.replay_id));
  for (const library::StoredChunkRef& chunk : chunks) {
    if (chunk.event_id > up_to_id) continue;
    auto event = Chunk(info.replay_id, chunk.chunk_index, chunk.event_id);
    if (!event.ok()) continue;  // damaged: the viewer sees the hole
    *bytes += (*event)->retained_bytes();
    events.push_back(*std::move(event));
  }
  if (info.end_event_id != 0 && info.end_event_id <= up_to_id) events.push_back(End(info.replay_id, info.end_event_id));
  return events;
}

std::vector<HubEventPtr> LibraryBacklog::ForNewViewer(const std::vector<std::string>& live, uint64_t up_to_id) {
  // The candidates, newest first by start id.
  std::vector<library::ReplayInfo> replays;
  absl::flat_hash_set<std::string> seen;
  auto add = [&](const library::ReplayInfo& info) {
    if (seen.insert(info.replay_id).second) replays.push_back(info);
  };
  auto newest_complete = store_.List({.limit = 1, .complete_only = true});
  auto newest = store_.List({.limit = 1});
  if (newest.ok() && !newest->replays.empty()) {
    const library::ReplayInfo& candidate = newest->replays.front();
    const bool newer_than_complete = !newest_complete.ok() || newest_complete->replays.empty() ||
                                     candidate.start_event_id > newest_complete->replays.front().start_event_id;
    if (newer_than_complete) add(candidate);
  }
  if (newest_complete.ok() && !newest_complete->replays.empty()) add(newest_complete->replays.front());
  for (const std::string& id : live) {
    if (auto info = store_.Describe(id); info.ok()) add(*info);
  }
  std::sort(replays.begin(), replays.end(), [](const auto& a, const auto& b) {
    return a.start_event_id > b.start_event_id;
  });

  std::vector<HubEventPtr> events;
  size_t bytes = 0;
  for (const library::ReplayInfo& info : replays) {
    size_t replay_bytes = 0;
    auto replay_events = WholeReplay(info, up_to_id, &replay_bytes);
    if (!replay_events.ok()) {
      spdlog::warn("library: replay {} left out of a catch-up: {}", info.replay_id, replay_events.status().ToString());
      continue;
    }
    if (!events.empty() && bytes + replay_bytes > max_bytes_) break;
    bytes += replay_bytes;
    events.insert(events.end(), replay_events->begin(), replay_events->end());
  }
  std::sort(events.begin(), events.end(), [](const HubEventPtr& a, const HubEventPtr& b) { return a->id < b->id; });
  return events;
}

}  // namespace echelon::replay
