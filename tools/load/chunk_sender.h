// ChunkSender: pushes one prepared replay chunk by chunk, over either of the
// server's push paths, timing each chunk:
//   - HTTP: one POST /push per chunk on a keep-alive connection, bodies built
//     before the first send (compact JSON, meta on chunk 0) as the trainer's
//     requests would carry them; a chunk's time is its request's round trip.
//   - gRPC: one PushChunks client stream for the replay; a chunk's time is
//     how long Write() took to hand it over (flow control included), and
//     Close() waits for the server's summary.
// Worlds are stored beforehand with StoreWorld (setup, not measured).
//
//   ECHELON_ASSIGN_OR_RETURN(std::string hash, StoreWorld(core_target, replay.world_json));
//   auto sender = NewChunkSender(Transport::kHttp, target, replay, "r1", hash);
//   for (size_t i = 0; i < replay.chunks.size(); ++i) ECHELON_ASSIGN_OR_RETURN(auto took, sender->Send(i));
//   ECHELON_RETURN_IF_ERROR(sender->Close());
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/load/replay_source.h"

namespace echelon::load {

enum class Transport { kHttp, kGrpc };

const char* TransportName(Transport transport);

// Where a push goes: the gateway's HTTP port for kHttp, the core's gRPC
// address for kGrpc.
struct PushTarget {
  std::string host = "127.0.0.1";
  int http_port = 0;
  std::string grpc_target;
};

// Stores `world_json` through the core's WorldService.Put; returns its hash.
[[nodiscard]] absl::StatusOr<std::string> StoreWorld(const std::string& grpc_target, const std::string& world_json);

class ChunkSender {
 public:
  virtual ~ChunkSender() = default;
  // Sends chunk `index` (callers go in order); returns how long it took.
  [[nodiscard]] virtual absl::StatusOr<absl::Duration> Send(size_t index) = 0;
  // Ends the push (for gRPC: half-close and wait for the summary).
  [[nodiscard]] virtual absl::Status Close() = 0;
};

// `replay` must outlive the sender.
std::unique_ptr<ChunkSender> NewChunkSender(Transport transport, const PushTarget& target,
                                            const PushableReplay& replay, const std::string& replay_id,
                                            const std::string& world_hash);

}  // namespace echelon::load
