// WorldBucket: worlds in the cluster's JetStream KV bucket, so that a world
// put through one core is served by every core (GET /worlds/{hash}, nav,
// replay_start).
//
// A KV value is one NATS message, at most the servers' max_payload (1 MB by
// default), and worlds can be larger: such a world is stored as parts
// `<hash>.0`, `<hash>.1`, ... first and then `<hash>` = "parts:N", so a reader
// that finds the key finds every part. A world's JSON always starts with '{',
// which tells the two forms apart.
//
// Threads: any; nats.c's KV calls are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cluster/nats_client.h"

namespace echelon::cluster {

class WorldBucket {
 public:
  explicit WorldBucket(std::shared_ptr<NatsClient> nats) : nats_(std::move(nats)) {}

  // Stores a validated world's compact JSON under its hash (idempotent).
  [[nodiscard]] absl::Status Save(const std::string& hash, const std::string& json);
  // NotFound when no core has stored it.
  [[nodiscard]] absl::StatusOr<std::string> Load(const std::string& hash);

 private:
  absl::StatusOr<std::string> Get(const std::string& key);
  absl::Status Put(const std::string& key, absl::string_view value);

  const std::shared_ptr<NatsClient> nats_;
};

}  // namespace echelon::cluster
