// echelon-server: the gRPC core and the HTTP/SSE gateway in one process (the
// default), or a gateway alone in front of a remote core (--core host:port).
// Runs with embedded defaults; SIGINT/SIGTERM end every stream and exit 0.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "app/cluster_mode.h"
#include "app/config.h"
#include "common/endpoint_list.h"
#include "app/one_process.h"
#include "app/security_setup.h"
#include "cluster/nats_replay_link.h"
#include "common/grpc_channel_args.h"
#include "gateway/gateway.h"
#include "gateway/grpc_replay_link.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

using echelon::Config;

constexpr size_t kMiB = 1u << 20;

echelon::CoreOptions CoreOptionsFrom(const Config& c, const echelon::SecuritySetup& security) {
  echelon::CoreOptions o;
  o.grpc_address = absl::StrCat(c.host, ":", c.grpc_port);
  o.max_message_bytes = std::max<size_t>(static_cast<size_t>(c.max_decompressed_mb) * kMiB * 2, 64 * kMiB);
  o.worlds.max_worlds = c.world_cache_max;
  o.worlds.max_bytes = static_cast<size_t>(c.world_cache_mb) * kMiB;
  o.hub.retention_bytes = static_cast<size_t>(c.retention_mb) * kMiB;
  o.hub.replays.max_chunk_count = c.max_chunk_count;
  o.hub.replays.max_frames_per_chunk = c.max_frames_per_chunk;
  o.hub.replays.idle_timeout = absl::Seconds(c.replay_idle_s);
  o.nav.capacity = c.nav_cache_max;
  o.tokens = security.tokens;
  o.tls_cert_pem = security.tls_cert_pem;
  o.tls_key_pem = security.tls_key_pem;
  o.push_idle_timeout = absl::Seconds(c.push_idle_timeout_s);
  if (!c.no_library) {
    echelon::library::DiskStoreOptions library;
    library.data_dir = c.data_dir;
    library.durability = *echelon::library::ParseDurability(c.fsync);  // checked by the flag parser
    library.max_bytes = static_cast<uint64_t>(c.library_max_gb * 1e9);
    o.library = library;
  }
  return o;
}

echelon::gateway::GatewayOptions GatewayOptionsFrom(const Config& c, const echelon::SecuritySetup& security) {
  echelon::gateway::GatewayOptions o;
  o.host = c.host;
  o.port = c.port;
  o.sse.max_clients = c.sse_max_clients;
  o.sse.client_limits.max_bytes = static_cast<size_t>(c.sse_queue_mb) * kMiB;
  o.sse.client_limits.max_wait = absl::Seconds(c.sse_broadcast_timeout_s);
  // The gateway's own subscription to the core: in one process a token only
  // this process knows; a remote core gets the first view (else push) token.
  if (c.core.empty()) {
    o.sse.core_auth_metadata = security.tokens->AddInternal("gateway", echelon::TokenRole::kView);
  } else {
    std::string core_token = security.tokens->FirstToken(echelon::TokenRole::kView);
    if (core_token.empty()) core_token = security.tokens->FirstToken(echelon::TokenRole::kPush);
    if (!core_token.empty()) o.sse.core_auth_metadata = absl::StrCat("Bearer ", core_token);
  }
  o.keepalive = absl::Seconds(c.sse_keepalive_s);
  o.max_body_bytes = static_cast<size_t>(c.max_body_mb) * kMiB;
  o.max_decompressed_bytes = static_cast<size_t>(c.max_decompressed_mb) * kMiB;
  o.tokens = security.tokens;
  o.tls_cert_file = c.tls_cert;
  o.tls_key_file = c.tls_key;
  o.gate.allowed_hosts = echelon::gateway::ParseAllowedHosts(c.allowed_hosts);
  o.gate.trust_proxy = c.trust_proxy;
  o.sessions.ttl = absl::Hours(c.session_hours);
  o.viewer_dir = c.viewer_dir;
  o.connections.max_connections = c.max_connections;
  o.connections.max_connections_per_ip = c.max_connections_per_ip;
  o.connections.header_timeout = absl::Seconds(c.header_timeout_s);
  o.connections.workers = c.http_workers;
  o.connections.request.body_grace = absl::Seconds(c.header_timeout_s);
  o.connections.request.body_min_rate = static_cast<size_t>(c.body_min_rate_kb) * 1024;
  return o;
}

std::shared_ptr<grpc::Channel> RemoteCoreChannel(const std::string& target, const echelon::SecuritySetup& security) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  echelon::SetFastReconnect(args);
  // With --tls-ca the core must present a certificate that CA signed.
  grpc::SslCredentialsOptions roots;
  roots.pem_root_certs = security.tls_ca_pem;
  auto credentials =
      security.tls_ca_pem.empty() ? grpc::InsecureChannelCredentials() : grpc::SslCredentials(roots);
  return grpc::CreateCustomChannel(target, credentials, args);
}

// Cluster mode: the gateway reads events from the shared log and pushes
// through `push_link` to a core.
std::shared_ptr<echelon::protocol::ReplayLink> ClusterLink(const std::shared_ptr<echelon::cluster::NatsClient>& nats,
                                                           std::shared_ptr<echelon::protocol::ReplayLink> push_link,
                                                           const Config& c) {
  return std::make_shared<echelon::cluster::NatsReplayLink>(nats, std::move(push_link),
                                                            absl::Seconds(c.replay_idle_s));
}

// Chunks are megabyte buffers that live for milliseconds (a push body, its
// frames, the SSE bytes). glibc's default raises its mmap threshold after the
// first such buffer is freed, and from then on serves them from heap arenas
// that it seldom returns to the system: RSS would ratchet up to the busiest
// moment and stay there. A fixed threshold keeps every big buffer mmapped, so
// freeing it returns the memory at once and RSS follows what is really live.
void KeepBigBuffersOutOfTheHeap() {
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
  mallopt(M_ARENA_MAX, 4);
}

// Every connection and viewer is a file descriptor: the soft limit (often
// 1024) would refuse the 1,025th, so it is raised to the hard limit.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("cannot raise the open file limit");
}

// Blocks SIGINT/SIGTERM (shut down) and SIGHUP (reload the tokens) in every
// thread (threads inherit the mask), so that only the main thread's sigwait()
// sees them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Past a file size limit (RLIMIT_FSIZE) a write fails with EFBIG, which the
  // library answers as a full disk, instead of the signal killing the server.
  signal(SIGXFSZ, SIG_IGN);
  return signals;
}

}  // namespace

int main(int argc, char** argv) {
  echelon::ConfigResult parsed = echelon::ParseConfig(argc, argv);
  if (parsed.exit_now) {
    std::fputs(parsed.message.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  const Config& config = parsed.config;
  KeepBigBuffersOutOfTheHeap();
  spdlog::set_default_logger(spdlog::stderr_color_mt("echelon"));
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  const sigset_t signals = BlockShutdownSignals();
  absl::StatusOr<echelon::SecuritySetup> security = echelon::LoadSecurity(config);
  if (!security.ok()) {
    spdlog::critical("{}", std::string(security.status().message()));
    return 2;
  }

  std::shared_ptr<echelon::cluster::NatsClient> nats;
  if (!config.nats.empty()) {
    auto connected = echelon::ConnectCluster(config);
    if (!connected.ok()) {
      spdlog::critical("{}", connected.status().ToString());
      return 1;
    }
    nats = *std::move(connected);
  }
  RaiseOpenFileLimit();

  std::unique_ptr<echelon::OneProcessServer> one_process;
  std::unique_ptr<echelon::gateway::Gateway> gateway_alone;
  std::thread http;
  int port = 0;
  if (config.core.empty()) {
    echelon::CoreOptions core_options = CoreOptionsFrom(config, *security);
    core_options.nats = nats;
    echelon::OneProcessServer::LinkWrapper cluster_link;
    if (nats) cluster_link = [&](auto local) { return ClusterLink(nats, std::move(local), config); };
    auto started = echelon::OneProcessServer::Start(std::move(core_options), GatewayOptionsFrom(config, *security),
                                                    cluster_link);
    if (!started.ok()) {
      spdlog::critical("{}", started.status().ToString());
      return 1;
    }
    one_process = *std::move(started);
    port = one_process->gateway().port();
  } else {
    spdlog::info("gateway only, core at {}{}", config.core, nats ? ", events from the NATS replay log" : "");
    absl::StatusOr<std::string> target = echelon::GrpcTargetFor(config.core);
    if (!target.ok()) {
      spdlog::critical("{}", target.status().ToString());
      return 1;
    }
    const echelon::gateway::GatewayOptions gateway_options = GatewayOptionsFrom(config, *security);
    std::shared_ptr<grpc::Channel> channel = RemoteCoreChannel(*target, *security);
    std::shared_ptr<echelon::protocol::ReplayLink> link;
    if (nats) {
      link = ClusterLink(nats, std::make_shared<echelon::gateway::GrpcReplayLink>(channel, gateway_options.core_deadline),
                         config);
    }
    gateway_alone = std::make_unique<echelon::gateway::Gateway>(gateway_options, channel, link);
    if (absl::Status bound = gateway_alone->Bind(); !bound.ok()) {
      spdlog::critical("{}", bound.ToString());
      return 1;
    }
    port = gateway_alone->port();
    http = std::thread([&gateway_alone] { gateway_alone->Serve(); });
  }
  spdlog::info("echelon-server ready: viewer at {}://{}:{}/", config.tls_cert.empty() ? "http" : "https",
               config.host, port);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    echelon::ReloadTokens(*security->tokens);
  }
  spdlog::info("{} received, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  if (one_process) {
    one_process->Shutdown(absl::Milliseconds(500));
  } else {
    gateway_alone->Stop();
    http.join();
  }
  spdlog::info("bye");
  return 0;
}
