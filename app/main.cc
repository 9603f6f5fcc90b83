// echelon-server: the gRPC core and the HTTP/SSE gateway in one process (the
// default), or a gateway alone in front of a remote core (--core host:port).
// Runs with embedded defaults; SIGINT/SIGTERM end every stream and exit 0.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "app/config.h"
#include "app/one_process.h"
#include "gateway/gateway.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

using echelon::Config;

constexpr size_t kMiB = 1u << 20;

echelon::CoreOptions CoreOptionsFrom(const Config& c) {
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
  o.push_token = c.push_token;
  o.view_token = c.view_token;
  if (!c.no_library) {
    echelon::library::DiskStoreOptions library;
    library.data_dir = c.data_dir;
    library.durability = *echelon::library::ParseDurability(c.fsync);  // checked by the flag parser
    library.max_bytes = static_cast<uint64_t>(c.library_max_gb * 1e9);
    o.library = library;
  }
  return o;
}

echelon::gateway::GatewayOptions GatewayOptionsFrom(const Config& c) {
  echelon::gateway::GatewayOptions o;
  o.host = c.host;
  o.port = c.port;
  o.sse.max_clients = c.sse_max_clients;
  o.sse.client_limits.max_bytes = static_cast<size_t>(c.sse_queue_mb) * kMiB;
  o.sse.client_limits.max_wait = absl::Seconds(c.sse_broadcast_timeout_s);
  // The gateway's own subscription to the core; the push token also views.
  const std::string& core_token = c.push_token.empty() ? c.view_token : c.push_token;
  if (!core_token.empty()) o.sse.core_auth_metadata = absl::StrCat("Bearer ", core_token);
  o.keepalive = absl::Seconds(c.sse_keepalive_s);
  o.max_body_bytes = static_cast<size_t>(c.max_body_mb) * kMiB;
  o.max_decompressed_bytes = static_cast<size_t>(c.max_decompressed_mb) * kMiB;
  o.view_token = c.view_token;
  o.viewer_dir = c.viewer_dir;
  return o;
}

std::shared_ptr<grpc::Channel> RemoteCoreChannel(const Config& c) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(c.core, grpc::InsecureChannelCredentials(), args);
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

// Blocks SIGINT/SIGTERM in every thread (threads inherit the mask), so that
// only the main thread's sigwait() sees them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
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

  std::unique_ptr<echelon::OneProcessServer> one_process;
  std::unique_ptr<echelon::gateway::Gateway> gateway_alone;
  std::thread http;
  int port = 0;
  if (config.core.empty()) {
    auto started = echelon::OneProcessServer::Start(CoreOptionsFrom(config), GatewayOptionsFrom(config));
    if (!started.ok()) {
      spdlog::critical("{}", started.status().ToString());
      return 1;
    }
    one_process = *std::move(started);
    port = one_process->gateway().port();
  } else {
    spdlog::info("gateway only, core at {}", config.core);
    gateway_alone = std::make_unique<echelon::gateway::Gateway>(GatewayOptionsFrom(config), RemoteCoreChannel(config));
    if (absl::Status bound = gateway_alone->Bind(); !bound.ok()) {
      spdlog::critical("{}", bound.ToString());
      return 1;
    }
    port = gateway_alone->port();
    http = std::thread([&gateway_alone] { gateway_alone->Serve(); });
  }
  spdlog::info("echelon-server ready: viewer at http://{}:{}/", config.host, port);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
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
