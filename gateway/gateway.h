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
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "echelon/replay/v1/library.grpc.pb.h"
#include "echelon/replay/v1/nav.grpc.pb.h"
#include "echelon/replay/v1/world.grpc.pb.h"
#include "gateway/latency_histogram.h"
#include "protocol/replay_link.h"
#include "gateway/request_body.h"
#include "gateway/sse_hub.h"
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
  std::string push_token;
  std::string view_token;
  std::string viewer_dir;  // empty: the embedded viewer
  // The in-process core's /metrics section; unset for a gateway alone.
  std::function<std::string()> core_metrics;
};

class Gateway {
 public:
  Gateway(GatewayOptions options, std::shared_ptr<grpc::Channel> core_channel,
          std::shared_ptr<protocol::ReplayLink> replay_link = nullptr);
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

  BodyLimits body_limits() const { return {options_.max_body_bytes, options_.max_decompressed_bytes}; }
  // A ClientContext with the deadline and the caller's credentials.
  std::unique_ptr<grpc::ClientContext> CoreContext(const httplib::Request& req) const;
  // Checks the bearer token of a push or view request; false after setting
  // a 401 answer.
  bool Authorized(const httplib::Request& req, httplib::Response& res, const std::string& token) const;

  const GatewayOptions options_;
  const absl::Time started_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<protocol::ReplayLink> replay_;
  std::unique_ptr<echelon::replay::v1::WorldService::Stub> worlds_;
  std::unique_ptr<echelon::replay::v1::NavService::Stub> nav_;
  std::unique_ptr<echelon::replay::v1::LibraryService::Stub> library_;
  std::unique_ptr<SseHub> sse_;
  std::unique_ptr<ViewerAssets> assets_;
  LatencyHistogram push_latency_;
  std::atomic<uint64_t> pushes_accepted_ = 0;
  std::atomic<uint64_t> pushes_rejected_ = 0;
  httplib::Server http_;
  int port_ = 0;
};

}  // namespace echelon::gateway
