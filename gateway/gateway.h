// Gateway: the HTTP/SSE face of the server (PROTOCOL.md). A thin cpp-httplib
// layer that translates each endpoint to the core and back: worlds and nav
// over gRPC, pushes and events over a ReplayLink (gRPC too, or direct calls
// into the core of the same process). The only state it keeps is the SSE
// fan-out (SseHub). Routes live in *_routes.cc, one file per area; this file
// configures the server in one place.
//
//   Gateway gateway(options, core_channel);         // replay over gRPC as well
//   Gateway gateway(options, core_channel, link);   // replay over `link`
//   ECHELON_RETURN_IF_ERROR(gateway.Bind());   // picks the port
//   std::thread t([&] { gateway.Serve(); });
//   ...
//   gateway.Stop();
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/token_registry.h"
#include "echelon/replay/v1/library.grpc.pb.h"
#include "echelon/replay/v1/nav.grpc.pb.h"
#include "echelon/replay/v1/world.grpc.pb.h"
#include "gateway/failure_limiter.h"
#include "gateway/connection_front.h"
#include "gateway/latency_histogram.h"
#include "protocol/library_link.h"
#include "protocol/replay_link.h"
#include "gateway/request_body.h"
#include "gateway/request_gate.h"
#include "gateway/session_store.h"
#include "gateway/sse_hub.h"
#include "gateway/sse_writer.h"
#include "gateway/viewer_assets.h"

namespace echelon::gateway {

struct GatewayOptions {
  std::string host = "0.0.0.0";
  int port = 8090;  // 0 picks a free port
  SseHubOptions sse;
  absl::Duration keepalive = absl::Seconds(15);
  size_t max_body_bytes = 64u << 20;
  size_t max_decompressed_bytes = 256u << 20;
  absl::Duration core_deadline = absl::Seconds(30);
  // --push-token / --view-token: the gateway checks both roles itself (the
  // read endpoints, sessions, the request gate) and still forwards the
  // caller's Authorization header to the core, whose AuthPolicy decides too.
  std::string push_token;
  std::string view_token;
  // Named, reloadable tokens (--tokens-file); when set, push_token and
  // view_token are not used. Shared with the in-process core.
  std::shared_ptr<const TokenRegistry> tokens;
  // PEM files: when both are set the port speaks HTTPS only.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Host and Origin checks (request_gate.h); `gate.tls` follows the files.
  RequestGateOptions gate;
  SessionStoreOptions sessions;
  FailureLimiterOptions auth_failures;
  std::string viewer_dir;  // empty: the embedded viewer
  // Connections go through the connection front (connection_front.h) and
  // /events streams to the SseWriter; false: plain cpp-httplib listening,
  // where every connection and viewer holds a worker (what TLS falls back to).
  bool connection_front = true;
  ConnectionFrontOptions connections;
  // The in-process core's /metrics section; unset for a gateway alone.
  std::function<std::string()> core_metrics;
};

// Who a request acts for, once Authorize has let it through.
struct Caller {
  std::string name;           // the token's name, or kAnonymous on an open server
  std::string authorization;  // what to present to the core: the bearer header or the session's
  bool via_session = false;
};

class Gateway {
 public:
  // Null links: over gRPC on `core_channel`.
  Gateway(GatewayOptions options, std::shared_ptr<grpc::Channel> core_channel,
          std::shared_ptr<protocol::ReplayLink> replay_link = nullptr,
          std::shared_ptr<protocol::LibraryLink> library_link = nullptr);
  ~Gateway();

  // Binds the HTTP port; port() is valid afterwards.
  [[nodiscard]] absl::Status Bind();
  // Serves until Stop(); blocks the calling thread.
  void Serve();
  // Ends every SSE stream and stops the HTTP server.
  void Stop();

  int port() const { return port_; }
  SseHub& sse() { return *sse_; }

 private:
  void ConfigureServer();
  void RegisterHealthRoutes();
  void RegisterReplayRoutes();
  void RegisterWorldRoutes();
  void RegisterNavRoutes();
  void RegisterLibraryRoutes();
  void RegisterViewerRoutes();
  void RegisterMetricsRoutes();
  void RegisterMethodGuards();
  void RegisterSessionRoutes();
  // Host/Origin gate before routing, security headers after (access_routes.cc).
  void InstallRequestGate();
  // Unregisters a viewer whose stream ended, and logs it.
  void ViewerLeft(const std::shared_ptr<SseClient>& client);
  // Moves an /events stream off the worker to the SseWriter.
  void StreamFromWriter(HttpConnection& connection, std::shared_ptr<SseClient> client);

  BodyLimits body_limits() const { return {options_.max_body_bytes, options_.max_decompressed_bytes}; }
  // A ClientContext with the deadline and the caller's credentials.
  std::unique_ptr<grpc::ClientContext> CoreContext(const httplib::Request& req) const;
  // The one auth check of every route: may this request act as `role`? A
  // bearer header or a session cookie (POST /session) counts; on an open
  // server everything passes. nullopt after answering 401, or 429 for an
  // address that failed too often (access_routes.cc).
  std::optional<Caller> Authorize(const httplib::Request& req, httplib::Response& res, TokenRole role);
  bool Authorized(const httplib::Request& req, httplib::Response& res, TokenRole role = TokenRole::kView) {
    return Authorize(req, res, role).has_value();
  }
  // What to present to the core for this request: its Authorization header,
  // else its session's, else nothing.
  std::string CallerAuthorization(const httplib::Request& req) const;
  std::optional<Session> FindSession(const httplib::Request& req) const;
  // The client's address: the peer, or behind a trusted proxy the last
  // X-Forwarded-For hop.
  std::string ClientAddress(const httplib::Request& req) const;

  const GatewayOptions options_;
  const absl::Time started_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<protocol::ReplayLink> replay_;
  std::unique_ptr<echelon::replay::v1::WorldService::Stub> worlds_;
  std::unique_ptr<echelon::replay::v1::NavService::Stub> nav_;
  std::unique_ptr<echelon::replay::v1::LibraryService::Stub> library_;
  std::shared_ptr<protocol::LibraryLink> downloads_;
  std::unique_ptr<SseHub> sse_;
  std::unique_ptr<ViewerAssets> assets_;
  std::shared_ptr<const TokenRegistry> tokens_;
  SessionStore sessions_;
  FailureLimiter auth_failures_;
  LatencyHistogram push_latency_;
  std::atomic<uint64_t> pushes_accepted_ = 0;
  std::atomic<uint64_t> pushes_rejected_ = 0;
  // An SSLServer under TLS. Routes use http_, which refers to it.
  std::unique_ptr<httplib::Server> server_;
  httplib::Server& http_;
  int port_ = 0;
  // Declared after http_: destroyed first, they use it.
  std::unique_ptr<SseWriter> sse_writer_;
  std::unique_ptr<ConnectionFront> front_;
  // With the front: an open descriptor that stands in for cpp-httplib's
  // listening socket (SetServerListeningSocket); -1 otherwise.
  int listening_placeholder_ = -1;
};

}  // namespace echelon::gateway
