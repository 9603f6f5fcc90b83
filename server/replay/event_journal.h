// EventJournal: where the hub writes every event it accepts beyond its own
// memory, when one is configured: the shared replay log in NATS JetStream
// (jetstream_journal.h) in cluster mode. Shaped so the hub stays in charge of
// order: Append() is called under the hub's mutex, in event order, and only
// queues; the hub waits for the returned confirmation after unlocking, and
// acknowledges the push only once the journal has the chunk.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/replay/hub_event.h"

namespace echelon::replay {

class EventJournal {
 public:
  virtual ~EventJournal() = default;

  // Before any state changes: can the journal take a chunk whose frames are
  // `frames_bytes` long? ResourceExhausted when it cannot.
  [[nodiscard]] virtual absl::Status CheckChunkSize(size_t frames_bytes) const = 0;

  // Blocks until the journal stored the events of one Append(); true when
  // the chunk among them was already stored (sent before, maybe to another
  // core).
  using Confirmation = std::function<absl::StatusOr<bool>()>;

  // Queues one chunk's events (replay_start when it is the first the hub saw
  // of the replay, the chunk, replay_end after the last index), in order.
  // Called under the hub's mutex: must not wait for the journal.
  virtual Confirmation Append(const std::vector<HubEventPtr>& events) = 0;
};

}  // namespace echelon::replay
