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
  app.add_option("--core", c.core, "Run only a gateway, against the core at host:port")
      ->envname("ECHELON_CORE");

  app.add_option("--sse-max-clients", c.sse_max_clients, "SSE viewers per gateway; more get 503")
      ->envname("ECHELON_SSE_MAX_CLIENTS")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--sse-keepalive", c.sse_keepalive_s, "Seconds between keepalive comments")
      ->envname("ECHELON_SSE_KEEPALIVE_S")->capture_default_str()->check(CLI::Range(1, 3600));
  app.add_option("--sse-broadcast-timeout", c.sse_broadcast_timeout_s,
                 "Seconds a viewer may take to accept an event before it is dropped")
      ->envname("ECHELON_SSE_BROADCAST_TIMEOUT_S")->capture_default_str()->check(CLI::Range(0.05, 3600.0));
  app.add_option("--sse-queue-mb", c.sse_queue_mb, "Bytes queued per viewer before it is dropped (MB)")
      ->envname("ECHELON_SSE_QUEUE_MB")->capture_default_str()->check(CLI::Range(1, 65536));

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
  }
  return result;
}

}  // namespace echelon
