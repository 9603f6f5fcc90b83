// StreamReader: reads the replay log in order through an ordered, ephemeral
// JetStream consumer (no acks, no state on the server worth keeping: when it
// breaks, nats.c recreates it from the last sequence it delivered, on whichever
// server holds the stream then). That is the consumer for a fan-out: every
// gateway and every catch-up reads the log from where it needs, and none of
// them must be resumed by the server after a crash (the gateway resumes itself
// from its last event id).
//
// Threads: one thread calls Next(); Cancel() may come from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/nats_client.h"

namespace echelon::cluster {

struct StreamMessage {
  uint64_t sequence = 0;
  // Messages after this one that the consumer had not delivered yet.
  uint64_t pending = 0;
  // When the stream stored it.
  absl::Time stored;
  std::string subject;
  std::string data;
};

class StreamReader {
 public:
  // Reads `filter` from `start_sequence` on; 0 reads only what is published
  // after the call.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StreamReader>> Open(std::shared_ptr<NatsClient> nats,
                                                                          const std::string& filter,
                                                                          uint64_t start_sequence);
  ~StreamReader();

  // The next message; nullopt when none came within `timeout` or after
  // Cancel(). A broken subscription is an error.
  absl::StatusOr<std::optional<StreamMessage>> Next(absl::Duration timeout);
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  StreamReader(std::shared_ptr<NatsClient> nats, natsSubscription* sub) : nats_(std::move(nats)), sub_(sub) {}

  const std::shared_ptr<NatsClient> nats_;
  natsSubscription* const sub_;
  std::atomic<bool> cancelled_ = false;
};

}  // namespace echelon::cluster
