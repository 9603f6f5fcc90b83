#include "app/config.h"

#include <CLI/CLI.hpp>

#include "common/bearer_token.h"

namespace echelon {

ConfigResult ParseConfig(int argc, char** argv) {
  ConfigResult result;
  Config& c = result.config;
  CLI::App app{"echelon-server: the Echelon replay server (gRPC core + HTTP/SSE gateway + viewer)"};
  app.get_formatter()->column_width(44);

  app.add_option("--host", c.host, "HTTP bind address")->envname("ECHELON_HOST")->capture_default_str();
  app.add_option("--port", c.port, "HTTP port (viewer, JSON API, SSE)")->envname("ECHELON_PORT")->capture_default_str();
  app.add_option("--grpc-port", c.grpc_port, "gRPC port of the core (0: any free port)")
      ->envname("ECHELON_GRPC_PORT")->capture_default_str();
  app.add_option("--core", c.core,
                 "Run only a gateway, against the core at host:port (or ip:port,ip:port: fails over in order)")
      ->envname("ECHELON_CORE");

  app.add_option("--sse-max-clients", c.sse_max_clients, "SSE viewers per gateway; more get 503")
      ->envname("ECHELON_SSE_MAX_CLIENTS")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--sse-keepalive", c.sse_keepalive_s, "Seconds between keepalive comments")
      ->envname("ECHELON_SSE_KEEPALIVE_S")->capture_default_str()->check(CLI::Range(1, 3600));
  app.add_option("--sse-broadcast-timeout", c.sse_broadcast_timeout_s,
                 "Seconds a viewer with bytes pending may take NO bytes at all before it is dropped; "
                 "a viewer that keeps taking bytes stays, however slow, while its queue is within "
                 "--sse-queue-mb")
      ->envname("ECHELON_SSE_BROADCAST_TIMEOUT_S")->capture_default_str()->check(CLI::Range(0.05, 3600.0));
  app.add_option("--sse-queue-mb", c.sse_queue_mb, "Bytes queued per viewer before it is dropped (MB)")
      ->envname("ECHELON_SSE_QUEUE_MB")->capture_default_str()->check(CLI::Range(1, 65536));

  app.add_option("--max-connections", c.max_connections, "HTTP connections open at once; more get 503")
      ->envname("ECHELON_MAX_CONNECTIONS")->capture_default_str()->check(CLI::Range(16, 1000000));
  app.add_option("--max-connections-per-ip", c.max_connections_per_ip,
                 "HTTP connections open at once from one address; more get 503")
      ->envname("ECHELON_MAX_CONNECTIONS_PER_IP")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--header-timeout", c.header_timeout_s,
                 "Seconds a connection may take to send complete request headers")
      ->envname("ECHELON_HEADER_TIMEOUT_S")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
  app.add_option("--body-min-rate-kb", c.body_min_rate_kb,
                 "Request bodies may take the header timeout plus 1 s per this many KB; slower get 408")
      ->envname("ECHELON_BODY_MIN_RATE_KB")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--http-workers", c.http_workers, "Threads serving HTTP requests (not idle connections or viewers)")
      ->envname("ECHELON_HTTP_WORKERS")->capture_default_str()->check(CLI::Range(2, 4096));

  app.add_option("--push-idle-timeout", c.push_idle_timeout_s,
                 "Seconds a gRPC PushChunks stream may send no chunk before it is closed")
      ->envname("ECHELON_PUSH_IDLE_TIMEOUT_S")->capture_default_str()->check(CLI::Range(0.5, 86400.0));

  app.add_option("--world-cache-max", c.world_cache_max, "Worlds kept (LRU)")
      ->envname("ECHELON_WORLD_CACHE_MAX")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--world-cache-mb", c.world_cache_mb, "Total size of the worlds kept (MB)")
      ->envname("ECHELON_WORLD_CACHE_MB")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  app.add_option("--nav-cache-max", c.nav_cache_max, "Nav graphs kept (LRU)")
      ->envname("ECHELON_NAV_CACHE_MAX")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--retention-mb", c.retention_mb, "Recent events kept for late joiners and resumes (MB)")
      ->envname("ECHELON_RETENTION_MB")->capture_default_str()->check(CLI::Range(0, 1 << 20));
  app.add_option("--replay-idle", c.replay_idle_s, "Seconds after which an unfinished replay expires")
      ->envname("ECHELON_REPLAY_IDLE_S")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  app.add_option("--max-chunk-count", c.max_chunk_count, "Largest chunk_count accepted")
      ->envname("ECHELON_MAX_CHUNK_COUNT")->capture_default_str()->check(CLI::Range(1, 10000000));

  app.add_option("--max-frames-per-chunk", c.max_frames_per_chunk, "Most frames one chunk may hold")
      ->envname("ECHELON_MAX_FRAMES_PER_CHUNK")->capture_default_str()->check(CLI::Range(1, 10000000));
  app.add_option("--max-body-mb", c.max_body_mb, "Largest request body (MB); larger gets 413")
      ->envname("ECHELON_MAX_BODY_MB")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--max-decompressed-mb", c.max_decompressed_mb,
                 "Largest gzip request body once decompressed (MB); larger gets 413")
      ->envname("ECHELON_MAX_DECOMPRESSED_MB")->capture_default_str()->check(CLI::Range(1, 16384));

  // Tokens travel in HTTP headers and gRPC metadata: printable ASCII only.
  const CLI::Validator printable_ascii(
      [](std::string& token) -> std::string {
        if (IsValidMetadataValue(token) && token.find(' ') == std::string::npos) return "";
        return "a token may only hold printable ASCII without spaces";
      },
      "TOKEN");
  app.add_option("--push-token", c.push_token, "Bearer token required to push and put worlds")
      ->envname("ECHELON_PUSH_TOKEN")->check(printable_ascii);
  app.add_option("--view-token", c.view_token, "Bearer token required to view")
      ->envname("ECHELON_VIEW_TOKEN")->check(printable_ascii);

  app.add_option("--tokens-file", c.tokens_file,
                 "Named tokens, one `name role token` per line (roles push, view); reloaded on SIGHUP")
      ->envname("ECHELON_TOKENS_FILE");
  app.add_option("--tls-cert", c.tls_cert, "PEM certificate (chain): HTTPS and gRPC over TLS only")
      ->envname("ECHELON_TLS_CERT");
  app.add_option("--tls-key", c.tls_key, "PEM private key of --tls-cert")->envname("ECHELON_TLS_KEY");
  app.add_option("--tls-ca", c.tls_ca, "With --core: PEM CA certificate(s) to verify the core's TLS certificate")
      ->envname("ECHELON_TLS_CA");
  app.add_option("--allowed-hosts", c.allowed_hosts,
                 "Comma-separated Host names (or host:port) to answer for; others get 421 (default: any)")
      ->envname("ECHELON_ALLOWED_HOSTS");
  app.add_flag("--trust-proxy", c.trust_proxy,
               "Behind a reverse proxy: take the client address, scheme and host from X-Forwarded-*")
      ->envname("ECHELON_TRUST_PROXY");
  app.add_option("--session-hours", c.session_hours, "Lifetime of a view login (POST /session)")
      ->envname("ECHELON_SESSION_HOURS")->capture_default_str()->check(CLI::Range(1, 24 * 365));
  app.add_option("--nats", c.nats,
                 "Cluster mode: NATS server URLs (a,b,c); replays go to a JetStream stream shared by every core "
                 "and gateway (docs/deployment.md)")
      ->envname("ECHELON_NATS");
  app.add_option("--nats-stream", c.nats_stream, "JetStream stream of the replay log")
      ->envname("ECHELON_NATS_STREAM")->capture_default_str();
  app.add_option("--nats-replicas", c.nats_replicas, "Replicas of the stream and the worlds bucket when created")
      ->envname("ECHELON_NATS_REPLICAS")->capture_default_str()->check(CLI::Range(1, 5));
  app.add_option("--nats-max-gb", c.nats_max_gb, "Size limit of the replay log when created (GB); oldest go first")
      ->envname("ECHELON_NATS_MAX_GB")->capture_default_str()->check(CLI::Range(0.001, 1e6));
  app.add_option("--nats-max-age-h", c.nats_max_age_h, "Age limit of the replay log when created (hours)")
      ->envname("ECHELON_NATS_MAX_AGE_H")->capture_default_str()->check(CLI::Range(0.001, 1e6));
  app.add_option("--nats-dedupe-window", c.nats_dedupe_window_s,
                 "Seconds within which a re-sent chunk is stored once (when the stream is created)")
      ->envname("ECHELON_NATS_DEDUPE_WINDOW_S")->capture_default_str()->check(CLI::Range(1, 86400));

  app.add_option("--viewer-dir", c.viewer_dir,
                 "Serve the viewer from this folder instead of the embedded copy")
      ->envname("ECHELON_VIEWER_DIR");
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error")
      ->envname("ECHELON_LOG_LEVEL")->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  app.add_option("--data-dir", c.data_dir, "Where the replay library keeps every replay")
      ->envname("ECHELON_DATA_DIR")->capture_default_str();
  app.add_flag("--no-library", c.no_library, "Keep replays in memory only (no data dir, nothing survives a restart)")
      ->envname("ECHELON_NO_LIBRARY");
  app.add_option("--fsync", c.fsync,
                 "When the library forces chunks to disk: never (a process crash loses nothing acknowledged), "
                 "interval (also fsync about once a second), always (before every acknowledgement)")
      ->envname("ECHELON_FSYNC")->capture_default_str()->check(CLI::IsMember({"never", "interval", "always"}));
  app.add_option("--library-max-gb", c.library_max_gb,
                 "Library size past which the oldest unpinned replays are removed (GB)")
      ->envname("ECHELON_LIBRARY_MAX_GB")->capture_default_str()->check(CLI::Range(0.0, 1e6));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    result.exit_code = app.exit(e, out, err);
    result.message = out.str() + err.str();
    result.exit_now = true;
    return result;
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    result.message = "--tls-cert and --tls-key (ECHELON_TLS_CERT, ECHELON_TLS_KEY) go together\n";
    result.exit_code = 2;
    result.exit_now = true;
  } else if (!c.tls_ca.empty() && c.core.empty()) {
    result.message = "--tls-ca is for a gateway started with --core (the CA of the core's certificate)\n";
    result.exit_code = 2;
    result.exit_now = true;
  }
  return result;
}

}  // namespace echelon
