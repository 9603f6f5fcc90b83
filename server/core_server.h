// CoreServer: the gRPC core in one object: world store, replay hub and nav
// cache behind WorldService, ReplayService and NavService, plus gRPC health
// checking and server reflection (so grpcurl can list and call everything).
//
// With a data directory it also keeps every replay (server/library/): the
// hub stores each chunk before acknowledging it, and LibraryService serves
// the stored replays. In cluster mode the library is instead a complete copy
// of the shared replay log, fed by its own reader (StreamFeeder).
//
// The gateway reaches it over a gRPC channel: InProcessChannel() in the
// default one-process setup, or TCP from a gateway started with --core.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "cluster/nats_client.h"
#include "protocol/library_link.h"
#include "protocol/replay_link.h"
#include "server/auth_policy.h"
#include "server/library/disk_replay_store.h"
#include "server/library/library_service.h"
#include "server/library/stream_feeder.h"
#include "server/nav/nav_cache.h"
#include "server/replay/replay_hub.h"
#include "server/replay/replay_service.h"
#include "server/world/world_store.h"

namespace echelon {

struct CoreOptions {
  // host:port to listen on; port 0 picks a free one. Empty: in-process only.
  std::string grpc_address = "0.0.0.0:50051";
  size_t max_message_bytes = 256u << 20;
  world::WorldStoreOptions worlds;
  replay::HubOptions hub;
  nav::NavCacheOptions nav;
  // When set, pushes and world puts need `authorization: Bearer <token>`.
  std::string push_token;
  std::string view_token;
  // Named tokens (--tokens-file, reloadable); when set, push_token and
  // view_token are not used.
  std::shared_ptr<const TokenRegistry> tokens;
  // PEM certificate chain and private key: when both are set, the gRPC port
  // speaks TLS only.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Cluster mode (--nats): every accepted event goes to the shared replay log
  // and worlds to the shared bucket, so other cores and gateways see them.
  std::shared_ptr<cluster::NatsClient> nats;
  // A PushChunks stream that sends no chunk for this long is ended.
  absl::Duration push_idle_timeout = absl::Seconds(30);
  // gRPC transport limits (docs/architecture.md, "Connections").
  int max_concurrent_streams = 128;              // per HTTP/2 connection
  int min_client_ping_interval_ms = 10000;       // faster pings are strikes; 2 strikes: GOAWAY
  int keepalive_time_ms = 30000;                 // the core pings idle peers this often...
  int keepalive_timeout_ms = 10000;              // ...and closes those that do not answer
  int max_connection_idle_ms = 10 * 60 * 1000;   // a connection without calls is closed
  // The replay library; unset runs memory-only (--no-library). With `nats`
  // it is a complete copy of the shared replay log, fed from the log
  // (server/library/stream_feeder.h), and pins and deletes go through the log.
  std::optional<library::DiskStoreOptions> library;
};

class CoreServer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CoreServer>> Start(CoreOptions options);
  ~CoreServer();

  // A channel to this server that never leaves the process.
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // The replay hot path for a gateway in this process: direct calls into the
  // hub instead of gRPC (server/replay/local_replay_link.h).
  std::shared_ptr<protocol::ReplayLink> InProcessReplayLink();
  // Downloads from the library for a gateway in this process: the store read
  // into the gateway's buffer (server/library/local_library_link.h). Null
  // without a library (the gateway then asks over gRPC, which says so).
  std::shared_ptr<protocol::LibraryLink> InProcessLibraryLink();
  int grpc_port() const { return grpc_port_; }

  // Ends every stream, then stops within `grace`.
  void Shutdown(absl::Duration grace);

  world::WorldStore& worlds() { return *worlds_; }
  replay::ReplayHub& hub() { return *hub_; }
  nav::NavCache& nav() { return *nav_; }
  const AuthPolicy& auth() const { return *auth_; }
  // Null without a library.
  library::DiskReplayStore* library() { return library_.get(); }
  // Null unless cluster mode with a library.
  const library::StreamFeeder* library_feeder() const { return library_feeder_.get(); }

 private:
  explicit CoreServer(CoreOptions options);
  void RunMaintenance();
  // The library as the API shows it (in cluster mode: changes through the
  // log), and whether one of its replays is being pushed; with a library only.
  library::ReplayStore& LibraryAsShown();
  library::LiveCheck LibraryLiveCheck() const;

  const CoreOptions options_;
  std::unique_ptr<AuthPolicy> auth_;
  std::unique_ptr<world::WorldStore> worlds_;
  std::unique_ptr<library::DiskReplayStore> library_;
  // Cluster mode with a library: the feeder of the copy, and the store the
  // LibraryService uses (reads from the copy, changes through the log).
  std::unique_ptr<library::StreamFeeder> library_feeder_;
  std::unique_ptr<library::ReplayStore> cluster_library_;
  std::unique_ptr<replay::ReplayHub> hub_;
  std::shared_ptr<nav::NavCache> nav_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  replay::ReplayServiceImpl* replay_service_ = nullptr;  // in services_
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  absl::Notification stopping_;
  std::thread maintenance_;
};

}  // namespace echelon
