// LibraryBacklog: hub events rebuilt from the replay library, with the ids
// they had when they were published (ReplayStore keeps them). A viewer that
// joins late or resumes after a restart is caught up from here instead of the
// hub's in-memory log, which holds only the recent events of this life.
//
// Reads the store and allocates the events' frames; the hub calls it outside
// its mutex, for backlog-only subscriptions (a gateway's catch-up).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/library/replay_store.h"
#include "server/replay/hub_event.h"

namespace echelon::replay {

class LibraryBacklog {
 public:
  // The world JSON of a hash (the hub's world lookup, which falls back to
  // the library).
  using WorldJson = std::function<absl::StatusOr<std::string>(const std::string& world_hash)>;

  LibraryBacklog(library::ReplayStore& store, WorldJson world_json, size_t max_bytes)
      : store_(store), world_json_(std::move(world_json)), max_bytes_(max_bytes) {}

  // Every stored event with after_id < id <= up_to_id, in id order: what a
  // viewer that saw `after_id` missed. ResourceExhausted when that is more
  // than the budget (the caller starts the viewer afresh, marked as a gap).
  [[nodiscard]] absl::StatusOr<std::vector<HubEventPtr>> ResumeAfter(uint64_t after_id, uint64_t up_to_id);

  // What a new viewer gets: the newest complete replay, the newest replay if
  // it is newer than that (e.g. one cut short by a restart), and the replays
  // in `live` (being pushed now), each from its start, events up to
  // `up_to_id`, in id order. Replays past the byte budget are left out,
  // oldest first.
  [[nodiscard]] std::vector<HubEventPtr> ForNewViewer(const std::vector<std::string>& live, uint64_t up_to_id);

 private:
  absl::StatusOr<HubEventPtr> Start(const library::ReplayInfo& info);
  absl::StatusOr<HubEventPtr> Chunk(const std::string& replay_id, uint32_t chunk_index, uint64_t id);
  static HubEventPtr End(const std::string& replay_id, uint64_t id);
  // One replay's events up to `up_to_id`; adds their bytes to *bytes.
  absl::StatusOr<std::vector<HubEventPtr>> WholeReplay(const library::ReplayInfo& info, uint64_t up_to_id,
                                                       size_t* bytes);

  library::ReplayStore& store_;
  const WorldJson world_json_;
  const size_t max_bytes_;
};

}  // namespace echelon::replay
