#include "server/core_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "cluster/world_bucket.h"
#include "server/replay/jetstream_journal.h"
#include "server/library/cluster_replay_store.h"
#include "server/library/library_service.h"
#include "server/library/local_library_link.h"
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

// TLS when a certificate is configured; plaintext otherwise (a trusted LAN).
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const CoreOptions& options) {
  if (options.tls_cert_pem.empty() || options.tls_key_pem.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
  return grpc::SslServerCredentials(tls);
}

// How long a push waits for the replay log to confirm its chunk.
constexpr absl::Duration kJournalAckTimeout = absl::Seconds(10);

// Cluster mode: worlds live in the shared bucket as well as in this core's
// cache (the hub's journal is set up in Start, after the library).
void JoinCluster(CoreOptions& options) {
  if (!options.nats) return;
  auto bucket = std::make_shared<cluster::WorldBucket>(options.nats);
  options.worlds.shared = world::SharedWorlds{
      .save = [bucket](const std::string& hash, const std::string& json) { return bucket->Save(hash, json); },
      .load = [bucket](const std::string& hash) { return bucket->Load(hash); }};
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

// How long an acknowledged push waits for this core's copy of the log.
constexpr absl::Duration kCopyWait = absl::Seconds(2);

// How long a pin or delete in cluster mode waits for the log, and then for
// this core's copy to apply it.
constexpr absl::Duration kLibraryChangeTimeout = absl::Seconds(5);

// Cluster mode: the library is a copy of the shared log, fed by its own
// reader; nothing of the hub writes to it.
library::StreamFeeder::WorldSource FeederWorlds(world::WorldStore& worlds) {
  return [&worlds](const std::string& hash) -> absl::StatusOr<std::string> {
    auto world = worlds.Get(hash);
    if (!world.ok()) return world.status();
    return (*world)->json();
  };
}

}  // namespace

CoreServer::CoreServer(CoreOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<CoreServer>> CoreServer::Start(CoreOptions options) {
  JoinCluster(options);
  std::unique_ptr<CoreServer> core(new CoreServer(std::move(options)));
  core->auth_ = core->options_.tokens
                    ? std::make_unique<AuthPolicy>(core->options_.tokens)
                    : std::make_unique<AuthPolicy>(core->options_.push_token, core->options_.view_token);
  core->worlds_ = std::make_unique<world::WorldStore>(core->options_.worlds);
  world::WorldStore* worlds = core->worlds_.get();
  replay::HubOptions hub_options = core->options_.hub;
  if (core->options_.library) {
    absl::StatusOr<std::unique_ptr<library::DiskReplayStore>> store =
        library::DiskReplayStore::Open(*core->options_.library);
    if (!store.ok()) return store.status();
    core->library_ = *std::move(store);
    if (core->options_.nats) {
      core->library_feeder_ = library::StreamFeeder::Start(
          core->options_.nats, *core->library_, FeederWorlds(*worlds),
          {.data_dir = core->options_.library->data_dir, .live_window = hub_options.replays.idle_timeout});
      core->cluster_library_ = std::make_unique<library::ClusterReplayStore>(
          *core->library_, *core->library_feeder_, core->options_.nats, kLibraryChangeTimeout);
    } else {
      hub_options.library = core->library_.get();
    }
  }
  if (core->options_.nats) {
    // The hub journals to the shared log; with a library a push is also
    // acknowledged only once this core's copy has it (when the copy keeps
    // up: a copy catching up does not hold pushes back).
    replay::JetStreamJournal::AfterStored await_copy;
    if (library::StreamFeeder* feeder = core->library_feeder_.get()) {
      await_copy = [feeder](uint64_t sequence) { feeder->WaitAppliedIfCurrent(sequence, kCopyWait); };
    }
    hub_options.journal =
        std::make_shared<replay::JetStreamJournal>(core->options_.nats, kJournalAckTimeout, std::move(await_copy));
  }
  core->hub_ = std::make_unique<replay::ReplayHub>(hub_options, LibraryBackedWorlds(*worlds, core->library_.get()));
  core->nav_ = std::make_shared<nav::NavCache>(NavWorldSource(*worlds), core->options_.nav);

  core->services_.push_back(std::make_unique<world::WorldServiceImpl>(*worlds, *core->auth_));
  auto replay_service =
      std::make_unique<replay::ReplayServiceImpl>(*core->hub_, *core->auth_, core->options_.push_idle_timeout);
  core->replay_service_ = replay_service.get();
  core->services_.push_back(std::move(replay_service));
  core->services_.push_back(std::make_unique<nav::NavServiceImpl>(core->nav_, core->auth_.get()));
  if (core->library_) {
    core->services_.push_back(
        std::make_unique<library::LibraryServiceImpl>(core->LibraryAsShown(), core->LibraryLiveCheck(), *core->auth_));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!core->options_.grpc_address.empty()) {
    builder.AddListeningPort(core->options_.grpc_address, ServerCredentials(core->options_), &core->grpc_port_);
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(core->options_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(core->options_.max_message_bytes));
  // Abuse limits: streams per connection, keepalive enforcement (clients may
  // not ping more often than every 10 s), dead peers found by our own pings,
  // idle connections closed.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, core->options_.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             core->options_.min_client_ping_interval_ms);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, core->options_.keepalive_time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, core->options_.keepalive_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, core->options_.max_connection_idle_ms);
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
    spdlog::info("gRPC core listening on port {}{}", core->grpc_port_,
                 core->options_.tls_cert_pem.empty() ? "" : " (TLS)");
  }
  return core;
}

std::shared_ptr<protocol::ReplayLink> CoreServer::InProcessReplayLink() {
  return std::make_shared<LocalReplayLink>(*hub_, *auth_);
}

std::shared_ptr<protocol::LibraryLink> CoreServer::InProcessLibraryLink() {
  if (!library_) return nullptr;
  return std::make_shared<library::LocalLibraryLink>(LibraryAsShown(), LibraryLiveCheck(), *auth_);
}

library::ReplayStore& CoreServer::LibraryAsShown() {
  if (cluster_library_) return *cluster_library_;
  return *library_;
}

library::LiveCheck CoreServer::LibraryLiveCheck() const {
  return [hub = hub_.get(), feeder = library_feeder_.get()](const std::string& replay_id) {
    return hub->IsLive(replay_id) || (feeder != nullptr && feeder->IsLive(replay_id));
  };
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
  if (library_feeder_) library_feeder_->Stop();
}

void CoreServer::RunMaintenance() {
  // Also the timer behind the stall limits: a silent push stream or a
  // stalled subscriber is ended within a second of its limit, whether or
  // not anything else happens.
  while (!stopping_.WaitForNotificationWithTimeout(absl::Milliseconds(500))) {
    hub_->ExpireIdleReplays();
    hub_->DropStalledSubscribers();
    replay_service_->FinishIdlePushStreams();
  }
}

}  // namespace echelon
