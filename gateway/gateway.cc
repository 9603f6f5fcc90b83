#include "gateway/gateway.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_metadata.h"
#include "gateway/grpc_library_link.h"
#include "gateway/grpc_replay_link.h"
#include "gateway/http_errors.h"
#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

std::shared_ptr<const TokenRegistry> TokensOf(const GatewayOptions& options) {
  if (options.tokens) return options.tokens;
  // Without a file there is nothing that can fail.
  return *TokenRegistry::Create(
      {.push_token = options.push_token, .view_token = options.view_token, .tokens_file = {}});
}

bool UsesTls(const GatewayOptions& options) {
  return !options.tls_cert_file.empty() && !options.tls_key_file.empty();
}

// HTTPS when a certificate is configured; the port then speaks TLS only.
std::unique_ptr<httplib::Server> MakeServer(const GatewayOptions& options) {
  if (!UsesTls(options)) return std::make_unique<httplib::Server>();
  auto server = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(), options.tls_key_file.c_str());
  if (server->is_valid()) SSL_CTX_set_min_proto_version(server->ssl_context(), TLS1_2_VERSION);
  return server;
}

GatewayOptions WithTlsGate(GatewayOptions options) {
  options.gate.tls = UsesTls(options);
  return options;
}

}  // namespace

Gateway::Gateway(GatewayOptions options, std::shared_ptr<grpc::Channel> core_channel,
                 std::shared_ptr<protocol::ReplayLink> replay_link,
                 std::shared_ptr<protocol::LibraryLink> library_link)
    : options_(WithTlsGate(std::move(options))),
      started_(absl::Now()),
      channel_(std::move(core_channel)),
      replay_(replay_link ? std::move(replay_link)
                          : std::make_shared<GrpcReplayLink>(channel_, options_.core_deadline)),
      worlds_(v1::WorldService::NewStub(channel_)),
      nav_(v1::NavService::NewStub(channel_)),
      library_(v1::LibraryService::NewStub(channel_)),
      downloads_(library_link ? std::move(library_link) : std::make_shared<GrpcLibraryLink>(channel_)),
      sse_(std::make_unique<SseHub>(options_.sse, replay_)),
      assets_(options_.viewer_dir.empty() ? ViewerAssets::Embedded()
                                          : ViewerAssets::FromDirectory(options_.viewer_dir)),
      tokens_(TokensOf(options_)),
      sessions_(options_.sessions),
      auth_failures_(options_.auth_failures),
      server_(MakeServer(options_)),
      http_(*server_) {
  ConfigureServer();
  InstallRequestGate();
  RegisterHealthRoutes();
  RegisterReplayRoutes();
  RegisterWorldRoutes();
  RegisterNavRoutes();
  RegisterLibraryRoutes();
  RegisterViewerRoutes();
  RegisterMetricsRoutes();
  RegisterSessionRoutes();
  RegisterMethodGuards();
}

Gateway::~Gateway() { Stop(); }

void Gateway::ConfigureServer() {
  // Every open SSE stream holds a worker for its whole life: size the pool so
  // that a full house of viewers still leaves workers for pushes, nav and
  // health checks.
  const size_t workers = options_.sse.max_clients + 16;
  http_.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http_.set_payload_max_length(options_.max_body_bytes);
  http_.set_read_timeout(30, 0);
  // A viewer whose socket takes no bytes for this long is gone; this is also
  // what unblocks its worker when it stalls mid-write.
  const auto write_timeout = absl::ToChronoMicroseconds(
      std::max(options_.sse.client_limits.max_wait, absl::Milliseconds(200)));
  http_.set_write_timeout(write_timeout);
  http_.set_keep_alive_timeout(5);
  http_.set_tcp_nodelay(true);
  // The front speaks plain TCP; under TLS cpp-httplib's SSLServer listens itself
  // (docs/architecture.md, "Connections").
  if (options_.connection_front && !UsesTls(options_)) {
    sse_writer_ = std::make_unique<SseWriter>(
        SseWriterOptions{.stall_timeout = options_.sse.client_limits.max_wait, .keepalive = options_.keepalive},
        [this](const std::shared_ptr<SseClient>& client) { ViewerLeft(client); });
    front_ = std::make_unique<ConnectionFront>(
        options_.connections, [this](httplib::Stream& stream, bool close_connection, bool& connection_closed) {
          return ProcessOneRequest(http_, stream, close_connection, connection_closed);
        });
  }

  http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404: SetError(res, 404, absl::StrCat("no such endpoint: ", req.method, " ", req.path)); break;
      case 413: SetError(res, 413, "request body too large"); break;
      case 415: SetError(res, 415, "unsupported Content-Encoding (use gzip or none)"); break;
      default: SetError(res, res.status, "request failed");
    }
  });
  http_.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                 std::exception_ptr error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{} {} failed: {}", req.method, req.path, what);
    SetError(res, 500, absl::StrCat("internal error: ", what));
  });
}

void Gateway::RegisterMethodGuards() {
  // cpp-httplib answers 404 for a known path with the wrong method; the
  // protocol wants 405 with an Allow header.
  struct Guard {
    const char* pattern;
    const char* allow;
  };
  static constexpr Guard kGuards[] = {
      {"/push", "POST"},          {"/events", "GET"},       {"/health", "GET"},
      {"/metrics", "GET"},        {"/nav/graph", "POST"},   {"/nav/path", "POST"},
      {R"(/worlds/([^/]+))", "GET, HEAD, PUT"}, {"/session", "GET, POST, DELETE"},
      {"/replays", "GET"},        {R"(/replays/([^/]+))", "GET, DELETE"},
      {R"(/replays/([^/]+)/pin)", "POST, DELETE"}, {R"(/replays/([^/]+)/chunks/([^/]+))", "GET"},
  };
  for (const Guard& guard : kGuards) {
    auto not_allowed = [allow = std::string(guard.allow)](const httplib::Request& req,
                                                          httplib::Response& res) {
      res.set_header("Allow", allow);
      SetError(res, 405, absl::StrCat("method ", req.method, " not allowed; use ", allow));
    };
    const std::string allow = guard.allow;
    if (!absl::StrContains(allow, "GET")) http_.Get(guard.pattern, not_allowed);
    if (!absl::StrContains(allow, "POST")) http_.Post(guard.pattern, not_allowed);
    if (!absl::StrContains(allow, "PUT")) http_.Put(guard.pattern, not_allowed);
    if (!absl::StrContains(allow, "DELETE")) http_.Delete(guard.pattern, not_allowed);
    http_.Patch(guard.pattern, not_allowed);
  }
}

std::unique_ptr<grpc::ClientContext> Gateway::CoreContext(const httplib::Request& req) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.core_deadline));
  AddAuthorizationMetadata(*context, CallerAuthorization(req));
  return context;
}

absl::Status Gateway::Bind() {
  if (!http_.is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot serve HTTPS with --tls-cert ", options_.tls_cert_file, " and --tls-key ", options_.tls_key_file,
        ": a file is unreadable or not PEM, or the key does not belong to the certificate"));
  }
  if (front_) {
    absl::StatusOr<int> port = front_->Bind(options_.host, options_.port);
    if (!port.ok()) return port.status();
    port_ = *port;
    sse_writer_->Start();
    // Lets cpp-httplib stream content providers (downloads) on the front's
    // connections (http_connection.h).
    listening_placeholder_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    SetServerListeningSocket(http_, listening_placeholder_);
  } else if (options_.port == 0) {
    port_ = http_.bind_to_any_port(options_.host);
  } else {
    port_ = http_.bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", options_.host, ":", options_.port));
  }
  sse_->Start();
  spdlog::info("HTTP gateway listening on {}:{}{}", options_.host, port_, options_.gate.tls ? " (HTTPS only)" : "");
  return absl::OkStatus();
}

void Gateway::Serve() {
  if (front_) return front_->Serve();
  http_.listen_after_bind();
}

void Gateway::Stop() {
  // Closing the viewers' outboxes first lets their workers return, so that
  // stop() can join the pool without waiting for keepalive timeouts.
  sse_->Stop();
  if (sse_writer_) sse_writer_->Stop();
  if (front_) front_->Stop();
  if (listening_placeholder_ >= 0) {
    SetServerListeningSocket(http_, -1);  // streams still running end now
    ::close(listening_placeholder_);
    listening_placeholder_ = -1;
  }
  http_.stop();
}

}  // namespace echelon::gateway
