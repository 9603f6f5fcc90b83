// JetStreamJournal: the hub's EventJournal over the shared replay log
// (cluster/). Each event is stored as the hub's ReplayEvent protobuf without
// the world (worlds are in the KV bucket): start and end on the replay's meta
// subject, chunks on its chunk subject, each with a message id (replay id +
// "start", chunk index, "end"), so that the same chunk pushed to two cores is
// stored once. The event's frames are the compact JSON the hub validated,
// byte for byte what viewers receive.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "cluster/nats_client.h"
#include "server/replay/event_journal.h"

namespace echelon::replay {

class JetStreamJournal final : public EventJournal {
 public:
  // Runs once the log stored one Append()'s events, with the highest stream
  // sequence among them, before the push is acknowledged (cluster mode with a
  // library: waits for this core's copy, so that the core that acknowledged a
  // chunk lists it).
  using AfterStored = std::function<void(uint64_t last_sequence)>;

  JetStreamJournal(std::shared_ptr<cluster::NatsClient> nats, absl::Duration ack_timeout,
                   AfterStored after_stored = {})
      : nats_(std::move(nats)), ack_timeout_(ack_timeout), after_stored_(std::move(after_stored)) {}

  absl::Status CheckChunkSize(size_t frames_bytes) const override;
  Confirmation Append(const std::vector<HubEventPtr>& events) override;

 private:
  const std::shared_ptr<cluster::NatsClient> nats_;
  const absl::Duration ack_timeout_;
  const AfterStored after_stored_;
};

}  // namespace echelon::replay
