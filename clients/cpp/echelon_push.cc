// echelon-push: pushes a recorded replay ({"world","frames"}, gzipped or not)
// to an Echelon replay server over gRPC (default) or the HTTP JSON contract.
//
//   echelon-push run.replay.json.gz --server 127.0.0.1:50051
//   echelon-push run.replay.json --http http://127.0.0.1:8090 --chunk-frames 50
//   echelon-push run.replay.json --server replays.lan:50051 --tls-ca ca.pem
//
// Progress goes to stderr (a bar on a terminal, plain lines otherwise); the
// summary line goes to stdout. Exit codes are listed in kUsageFooter.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "clients/cpp/http_pusher.h"
#include "clients/cpp/replay.h"
#include "clients/cpp/replay_client.h"
#include "protocol/world_hash.h"

namespace echelon::client {
namespace {

enum ExitCode {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitInput = 3,
  kExitUnreachable = 4,
  kExitRejected = 5,
  kExitServerError = 6,
};

constexpr char kUsageFooter[] =
    "Exit codes:\n"
    "  0  pushed\n"
    "  1  unexpected client error\n"
    "  2  bad usage\n"
    "  3  the replay file is missing, unreadable or not a replay\n"
    "  4  server unreachable (still failing after the retries)\n"
    "  5  rejected by the server (invalid chunk or world, too large, ...)\n"
    "  6  server error (HTTP 5xx / gRPC INTERNAL)";

constexpr double kMiB = 1024.0 * 1024.0;

// A push that failed after its retries -> the exit code scripts rely on.
int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return kExitUnreachable;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return kExitServerError;
    default:
      return kExitRejected;
  }
}

// Progress on stderr: a redrawn bar on a terminal, one line per 10% otherwise
// (logs of scripts and CI stay short).
class ProgressView {
 public:
  explicit ProgressView(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1) {}

  void Update(const PushProgress& p) {
    if (quiet_) return;
    const double fraction = p.chunk_count ? static_cast<double>(p.chunks_done) / p.chunk_count : 1.0;
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    const double mb = p.bytes_done / kMiB;
    const std::string numbers = absl::StrFormat("%d/%d chunks  %.1f/%.1f MB  %.1f MB/s", p.chunks_done,
                                                p.chunk_count, mb, p.bytes_total / kMiB,
                                                seconds > 0 ? mb / seconds : 0.0);
    if (tty_) {
      const absl::Time now = absl::Now();
      if (p.chunks_done != p.chunk_count && now - last_draw_ < absl::Milliseconds(100)) return;
      last_draw_ = now;
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(fraction * kWidth);
      std::fprintf(stderr, "\r[%s%s] %s ", std::string(filled, '#').c_str(),
                   std::string(kWidth - filled, '.').c_str(), numbers.c_str());
      bar_open_ = true;
      return;
    }
    const int decile = static_cast<int>(fraction * 10);
    if (decile == last_decile_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "echelon-push: %3d%%  %s\n", decile * 10, numbers.c_str());
  }

  // Rates count from here, not from loading the file.
  void StartClock() { start_ = absl::Now(); }

  void Note(const std::string& line) {
    EndBar();
    std::fprintf(stderr, "echelon-push: %s\n", line.c_str());
  }

  void EndBar() {
    if (bar_open_) std::fputc('\n', stderr);
    bar_open_ = false;
  }

 private:
  bool quiet_;
  bool tty_;
  bool bar_open_ = false;
  int last_decile_ = -1;
  absl::Time start_ = absl::Now();
  absl::Time last_draw_ = absl::InfinitePast();
};

struct Args {
  std::string replay_path;
  std::string server = "127.0.0.1:50051";
  std::string http_url;
  int chunk_frames = 100;
  std::string replay_id;
  int retries = 5;
  double timeout_s = 30;
  bool ack_each_chunk = false;
  bool quiet = false;
  std::string token;
  bool tls = false;    // gRPC over TLS
  std::string tls_ca;  // PEM file of the CA that signed the server's certificate
};

absl::StatusOr<std::string> ReadCaFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read --tls-ca ", path));
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

absl::StatusOr<PushResult> Push(const Args& args, const Replay& replay, const PushOptions& options) {
  if (!args.http_url.empty()) {
    auto pusher = HttpPusher::Create(args.http_url, args.token, args.tls_ca);
    if (!pusher.ok()) return pusher.status();
    return pusher->PushReplay(replay, options);
  }
  ClientTls tls{.enabled = args.tls || !args.tls_ca.empty(), .ca_pem = {}};
  if (!args.tls_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadCaFile(args.tls_ca);
    if (!ca.ok()) return ca.status();
    tls.ca_pem = *std::move(ca);
  }
  ReplayClient client(args.server, args.token, tls);
  absl::StatusOr<PushResult> result = client.PushReplay(replay, options);
  if (!result.ok() && result.status().code() == absl::StatusCode::kUnavailable) {
    // gRPC reports a failed TLS handshake as an unreachable server; say what
    // to check.
    return absl::UnavailableError(absl::StrCat(
        result.status().message(),
        tls.enabled ? " (TLS: is the server's certificate signed by the --tls-ca given, and valid for this host?)"
                    : " (if the server uses TLS, pass --tls-ca with its CA, or --tls)"));
  }
  return result;
}

int Run(const Args& args) {
  ProgressView view(args.quiet);
  auto replay = Replay::Load(args.replay_path);
  if (!replay.ok()) {
    view.Note(std::string(replay.status().message()));
    return kExitInput;
  }
  if (replay->frame_count() == 0) {
    view.Note(absl::StrCat(args.replay_path, ": the replay has no frames"));
    return kExitInput;
  }
  if (auto hash = world::ComputeWorldHash(replay->world_json()); !hash.ok()) {
    view.Note(absl::StrCat(args.replay_path, ": the world is not valid: ", hash.status().message()));
    return kExitInput;
  }

  PushOptions options;
  options.chunk_frames = args.chunk_frames;
  options.replay_id = args.replay_id;
  options.retry.retries = args.retries;
  options.timeout = absl::Seconds(args.timeout_s);
  options.ack_each_chunk = args.ack_each_chunk;
  options.on_progress = [&view](const PushProgress& p) { view.Update(p); };
  options.on_retry = [&view](int attempt, const absl::Status& why, absl::Duration wait) {
    view.Note(absl::StrFormat("retry %d in %.1f s: %s", attempt, absl::ToDoubleSeconds(wait), why.ToString()));
  };

  view.StartClock();
  absl::StatusOr<PushResult> result = Push(args, *replay, options);
  view.EndBar();
  if (!result.ok()) {
    view.Note(absl::StrCat("push failed: ", result.status().ToString()));
    return ExitCodeFor(result.status());
  }
  const double seconds = absl::ToDoubleSeconds(result->elapsed);
  const double mb = result->frame_bytes / kMiB;
  std::printf("pushed replay %s (world %s): %d chunks (%d duplicate), %.1f MB in %.2f s, %.1f MB/s, %d retries\n",
              result->replay_id.c_str(), result->world_hash.c_str(), result->chunk_count,
              result->chunks_duplicate, mb, seconds, seconds > 0 ? mb / seconds : 0.0, result->retries);
  return kExitOk;
}

}  // namespace
}  // namespace echelon::client

int main(int argc, char** argv) {
  using namespace echelon::client;
  Args args;
  CLI::App app{"Pushes a replay {\"world\",\"frames\"} (.json or .json.gz) to an Echelon replay server."};
  app.footer(kUsageFooter);
  app.add_option("replay", args.replay_path, "replay file")->required();
  auto* server = app.add_option("--server", args.server, "gRPC server host:port, or several (a:50051,b:50051) to fail over")->capture_default_str();
  app.add_option("--http", args.http_url, "push over HTTP instead, e.g. http://127.0.0.1:8090 (or several, comma-separated, to fail over)")
      ->excludes(server);
  app.add_option("--chunk-frames", args.chunk_frames, "frames per chunk")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--replay-id", args.replay_id, "replay id (default: random 12 hex digits)");
  app.add_option("--retries", args.retries, "retries of a failed chunk or stream")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--timeout", args.timeout_s, "seconds per request")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_flag("--ack-each-chunk", args.ack_each_chunk,
               "gRPC: one acknowledged Push per chunk instead of the stream (exact resume after a server restart)");
  app.add_option("--token", args.token, "the server's push token (sent as a Bearer token)")->envname("ECHELON_PUSH_TOKEN");
  app.add_flag("--tls", args.tls, "gRPC over TLS, verified against the system's trusted CAs");
  app.add_option("--tls-ca", args.tls_ca,
                 "PEM CA certificate that signed the server's certificate (gRPC: implies --tls; --http needs https://)")
      ->envname("ECHELON_TLS_CA");
  app.add_flag("-q,--quiet", args.quiet, "no progress output");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  try {
    return Run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echelon-push: unexpected error: %s\n", e.what());
    return kExitInternal;
  }
}
