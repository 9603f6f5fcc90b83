// Wiring for cluster mode (--nats): what main needs beyond the flags, kept out
// of main.cc.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "app/config.h"
#include "cluster/nats_client.h"

namespace echelon {

// Connects to the NATS cluster of --nats, creating the stream and the worlds
// bucket with the --nats-* limits when they do not exist.
[[nodiscard]] absl::StatusOr<std::shared_ptr<cluster::NatsClient>> ConnectCluster(const Config& config);

}  // namespace echelon
