#include "app/one_process.h"

#include "server/core_metrics.h"

namespace echelon {

absl::StatusOr<std::unique_ptr<OneProcessServer>> OneProcessServer::Start(CoreOptions core_options,
                                                                          gateway::GatewayOptions gateway_options,
                                                                          LinkWrapper gateway_link) {
  std::unique_ptr<OneProcessServer> server(new OneProcessServer());
  absl::StatusOr<std::unique_ptr<CoreServer>> core = CoreServer::Start(std::move(core_options));
  if (!core.ok()) return core.status();
  server->core_ = *std::move(core);
  CoreServer* core_ptr = server->core_.get();
  gateway_options.core_metrics = [core_ptr] { return RenderCoreMetrics(*core_ptr); };
  std::shared_ptr<protocol::ReplayLink> link = core_ptr->InProcessReplayLink();
  if (gateway_link) link = gateway_link(std::move(link));
  server->gateway_ = std::make_unique<gateway::Gateway>(std::move(gateway_options), core_ptr->InProcessChannel(),
                                                        std::move(link), core_ptr->InProcessLibraryLink());
  if (absl::Status bound = server->gateway_->Bind(); !bound.ok()) return bound;
  gateway::Gateway* serving = server->gateway_.get();
  server->serving_ = std::thread([serving] { serving->Serve(); });
  return server;
}

void OneProcessServer::Shutdown(absl::Duration grace) {
  if (!serving_.joinable()) return;
  gateway_->Stop();
  serving_.join();
  core_->Shutdown(grace);
}

OneProcessServer::~OneProcessServer() {
  if (gateway_ && core_) Shutdown(absl::ZeroDuration());
}

}  // namespace echelon
