// OneProcessServer: a core and a gateway wired together in one process, the
// default deployment. The gateway reaches the core's worlds and nav over the
// in-process gRPC channel, its replay hub through the in-process replay link
// (server/replay/local_replay_link.h), so a pushed chunk's frames are parsed
// once and its SSE bytes point at the hub's retained event, and library
// downloads through the in-process library link (a pread and a send a chunk).
//
// This folder is the only place that includes both server/ and gateway/:
// echelon-server's main, the HTTP fuzz target and bench_nav all wire the two
// halves through here.
//
//   auto server = OneProcessServer::Start(core_options, gateway_options);
//   (*server)->gateway().port();   // bound and serving on its own thread
//   (*server)->Shutdown(absl::Milliseconds(500));
#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "gateway/gateway.h"
#include "server/core_server.h"

namespace echelon {

class OneProcessServer {
 public:
  // Starts the core, then builds and binds the gateway and serves HTTP on a
  // thread of its own.
  // `gateway_link`, when set, gives the gateway's replay link from the
  // in-process one (cluster mode reads events from the shared log instead).
  using LinkWrapper =
      std::function<std::shared_ptr<protocol::ReplayLink>(std::shared_ptr<protocol::ReplayLink> in_process)>;
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<OneProcessServer>> Start(
      CoreOptions core_options, gateway::GatewayOptions gateway_options, LinkWrapper gateway_link = {});

  CoreServer& core() { return *core_; }
  gateway::Gateway& gateway() { return *gateway_; }

  // Stops the gateway (ends every viewer), then the core within `grace`.
  // Idempotent; the destructor calls it with no grace.
  void Shutdown(absl::Duration grace);
  ~OneProcessServer();

 private:
  OneProcessServer() = default;
  std::thread serving_;
  std::unique_ptr<CoreServer> core_;
  std::unique_ptr<gateway::Gateway> gateway_;
};

}  // namespace echelon
