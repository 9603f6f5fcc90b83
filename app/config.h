// Config: every setting of echelon-server, from flags or ECHELON_* environment
// variables (the Python reference's names where it had them), with embedded
// defaults so that no config file is ever needed. `--help` lists them all.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace echelon {

struct Config {
  std::string host = "0.0.0.0";
  int port = 8090;
  int grpc_port = 50051;
  // host:port of a remote core; empty runs the core in this process.
  std::string core;

  int sse_max_clients = 16;
  int sse_keepalive_s = 15;
  double sse_broadcast_timeout_s = 1.0;
  int sse_queue_mb = 64;

  int world_cache_max = 32;
  int world_cache_mb = 512;
  int nav_cache_max = 8;
  int retention_mb = 64;
  int replay_idle_s = 300;
  int max_chunk_count = 100000;
  int max_frames_per_chunk = 10000;

  int max_connections = 10000;
  int max_connections_per_ip = 256;
  double header_timeout_s = 10.0;
  int body_min_rate_kb = 32;
  int http_workers = 32;
  double push_idle_timeout_s = 30.0;

  int max_body_mb = 64;
  int max_decompressed_mb = 256;

  std::string push_token;
  std::string view_token;
  // Security for a shared network (docs/security.md).
  std::string tokens_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;  // --core gateways: the CA that signed the core's certificate
  std::string allowed_hosts;
  bool trust_proxy = false;
  int session_hours = 12;

  // Cluster mode: NATS URLs (comma-separated); empty runs alone as before.
  std::string nats;
  std::string nats_stream = "ECHELON_REPLAYS";
  int nats_replicas = 1;
  double nats_max_gb = 10;
  double nats_max_age_h = 24;
  int nats_dedupe_window_s = 600;

  std::string viewer_dir;
  std::string log_level = "info";

  // The replay library (server/library/).
  std::string data_dir = "./echelon-data";
  bool no_library = false;
  std::string fsync = "interval";
  double library_max_gb = 10.0;
};

// Parses flags and environment. On --help or a usage error, the returned
// status carries the text to print and `exit_code` the code to exit with.
struct ConfigResult {
  Config config;
  bool exit_now = false;
  int exit_code = 0;
  std::string message;
};

ConfigResult ParseConfig(int argc, char** argv);

}  // namespace echelon
