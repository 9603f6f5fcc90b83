#include "server/core_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "server/library/library_service.h"
#include "server/replay/local_replay_link.h"
#include "server/nav/nav_service.h"
#include "server/replay/replay_service.h"
#include "server/world/world_service.h"
#include "spdlog/spdlog.h"

namespace echelon {

namespace {

// Worlds as the nav cache wants them: the JSON text, sharing the stored
// world's lifetime (aliasing shared_ptr, no copy).
nav::NavCache::WorldSource NavWorldSource(world::WorldStore& store) {
  return [&store](const std::string& hash) -> absl::StatusOr<std::shared_ptr<const std::string>> {
    auto world = store.Get(hash);
    if (!world.ok()) return world.status();
    return std::shared_ptr<const std::string>(*world, &(*world)->json());
  };
}

// Worlds for the hub: the world cache, and for a replay the library holds,
// the library's copy (the cache forgets; a restart empties it), put back
// into the cache.
replay::ReplayHub::WorldLookup LibraryBackedWorlds(world::WorldStore& worlds, library::ReplayStore* library) {
  return [&worlds, library](const std::string& hash) -> absl::StatusOr<std::shared_ptr<const world::StoredWorld>> {
    auto cached = worlds.Get(hash);
    if (cached.ok() || library == nullptr) return cached;
    absl::StatusOr<std::string> stored = library->GetWorld(hash);
    if (!stored.ok()) return cached.status();
    if (auto put = worlds.Put(*stored, hash); !put.ok()) return put.status();
    return worlds.Get(hash);
  };
}

}  // namespace

CoreServer::CoreServer(CoreOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<CoreServer>> CoreServer::Start(CoreOptions options) {
  std::unique_ptr<CoreServer> core(new CoreServer(std::move(options)));
  core->auth_ = std::make_unique<AuthPolicy>(core->options_.push_token, core->options_.view_token);
  core->worlds_ = std::make_unique<world::WorldStore>(core->options_.worlds);
  world::WorldStore* worlds = core->worlds_.get();
  replay::HubOptions hub_options = core->options_.hub;
  if (core->options_.library) {
    absl::StatusOr<std::unique_ptr<library::DiskReplayStore>> store =
        library::DiskReplayStore::Open(*core->options_.library);
    if (!store.ok()) return store.status();
    core->library_ = *std::move(store);
    hub_options.library = core->library_.get();
  }
  core->hub_ = std::make_unique<replay::ReplayHub>(hub_options, LibraryBackedWorlds(*worlds, core->library_.get()));
  core->nav_ = std::make_shared<nav::NavCache>(NavWorldSource(*worlds), core->options_.nav);

  core->services_.push_back(std::make_unique<world::WorldServiceImpl>(*worlds, *core->auth_));
  core->services_.push_back(std::make_unique<replay::ReplayServiceImpl>(*core->hub_, *core->auth_));
  core->services_.push_back(std::make_unique<nav::NavServiceImpl>(core->nav_, core->auth_.get()));
  if (core->library_) {
    core->services_.push_back(
        std::make_unique<library::LibraryServiceImpl>(*core->library_, *core->hub_, *core->auth_));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!core->options_.grpc_address.empty()) {
    builder.AddListeningPort(core->options_.grpc_address, grpc::InsecureServerCredentials(),
                             &core->grpc_port_);
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(core->options_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(core->options_.max_message_bytes));
  for (auto& service : core->services_) builder.RegisterService(service.get());
  core->server_ = builder.BuildAndStart();
  if (core->server_ == nullptr ||
      (!core->options_.grpc_address.empty() && core->grpc_port_ == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", core->options_.grpc_address));
  }
  core->server_->GetHealthCheckService()->SetServingStatus(true);
  core->maintenance_ = std::thread([raw = core.get()] { raw->RunMaintenance(); });
  if (!core->options_.grpc_address.empty()) {
    spdlog::info("gRPC core listening on port {}", core->grpc_port_);
  }
  return core;
}

std::shared_ptr<protocol::ReplayLink> CoreServer::InProcessReplayLink() {
  return std::make_shared<LocalReplayLink>(*hub_, *auth_);
}

CoreServer::~CoreServer() { Shutdown(absl::Seconds(1)); }

std::shared_ptr<grpc::Channel> CoreServer::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  return server_->InProcessChannel(args);
}

void CoreServer::Shutdown(absl::Duration grace) {
  if (stopping_.HasBeenNotified()) return;
  stopping_.Notify();
  if (maintenance_.joinable()) maintenance_.join();
  if (server_ == nullptr) return;  // Start() failed before serving
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Closing the hub's subscriptions ends every Subscribe stream at once;
  // Shutdown then cancels whatever is still running at the deadline.
  hub_->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

void CoreServer::RunMaintenance() {
  while (!stopping_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
    hub_->ExpireIdleReplays();
  }
}

}  // namespace echelon
