// bench_fanout: the fan-out benchmark of issue 8. Starts echelon-server (and,
// with --gateways K, K gateway-only processes against that core), connects N
// real SSE readers over TCP, pushes one replay over HTTP JSON (POST /push per
// chunk) and/or over the gRPC PushChunks stream, and reports per pass:
//   - end to end: first push -> every reader has replay_end;
//   - push latency per chunk (p50, max);
//   - server RSS idle (readers connected, before the push) and peak;
//   - bytes delivered, and (--verify) that every reader got every chunk's
//     frames byte for byte as pushed (the push is compact JSON, the server
//     keeps it as is).
// With --stalled K, K more viewers connect and then stop reading for good:
// the N healthy readers' figures must not change (the server drops the
// stalled ones after its broadcast timeout and never waits for them).
// The floor is measured in the same run: the same number of readers fed the
// very bytes one reader got from the server, by a trivial in-process writer
// (floor_writer.h); each pass prints its time as a multiple of that floor.
//
//   bench_fanout --mb 50 --readers 16 --transport both --verify
//   bench_fanout --table --mb 50          # 1, 4, 16 (+4 stalled) readers; 64 over 4 gateways
//   bench_fanout --mb 50 --readers 16 --stalled 4
//   bench_fanout --mb 5 --readers 4 --verify   # the CI smoke (ctest bench_fanout_smoke)
//
// Exit: 0 done (and verified), 1 a reader's stream was wrong, 2 setup failed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nats/nats.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tools/bench_fanout/floor_writer.h"
#include "tools/bench_fanout/reader_set.h"
#include "tools/load/chunk_sender.h"
#include "tools/load/event_fields.h"
#include "tools/testing/net.h"
#include "tools/load/replay_source.h"
#include "tools/load/rss_sampler.h"
#include "tools/testing/server_launcher.h"
#include "tools/testing/sse_reader.h"
#include "tools/load/tool_paths.h"

namespace echelon::tools {
namespace {

// Past this many readers they share epoll threads by default (ReaderSet).
constexpr int kMaxThreadReaders = 16;

struct BenchOptions {
  std::string server_bin;
  std::string replay_path;
  double mb = 50;
  uint64_t seed = 1;
  int readers = 16;
  int gateways = 0;
  int stalled = 0;
  std::string transport = "both";
  bool verify = false;
  bool discard = false;
  int reader_nice = -1;  // -1: automatic (see Readers())
  int reader_threads = -1;  // -1: automatic (see Readers())
  bool table = false;
  int repeat = 1;
  std::string log_dir = "/tmp";
  // When set, `perf record --call-graph dwarf` follows the servers during each push pass and
  // writes <perf_out>.<transport>.
  std::string perf_out;
  std::vector<std::string> server_args;
  // Cluster mode: the core and the gateways run with --nats; the readers are
  // fed from the JetStream stream. Each pass starts with an empty stream.
  std::string nats;
};

struct Scenario {
  int readers = 16;
  int gateways = 0;  // 0: readers on the core's own gateway
  int stalled = 0;   // viewers that stop reading, on top of `readers`
};

struct PassResult {
  std::string what;  // "http", "grpc" or "floor"
  Scenario scenario;
  double e2e_s = 0;
  std::vector<double> push_ms;
  int64_t idle_kb = 0;
  int64_t peak_kb = 0;
  double cpu_s = 0;  // server CPU (all processes) from first push to last replay_end
  uint64_t delivered = 0;
  int stalled_dropped = 0;  // stalled viewers the server closed
  std::string verdict = "-";
  bool failed = false;
};

// A core (echelon-server) plus optional gateway-only processes.
struct Cluster {
  std::unique_ptr<testing::ServerProcess> core;
  std::vector<std::unique_ptr<testing::ServerProcess>> gateways;

  std::vector<pid_t> pids() const {
    std::vector<pid_t> all = {core->pid()};
    for (const auto& g : gateways) all.push_back(g->pid());
    return all;
  }
  // Where reader i connects: round robin over the gateways.
  int reader_port(int i) const {
    return gateways.empty() ? core->http_port() : gateways[i % gateways.size()]->http_port();
  }
  std::vector<int> http_ports() const {
    std::vector<int> ports = {core->http_port()};
    for (const auto& g : gateways) ports.push_back(g->http_port());
    return ports;
  }
  void Stop() {
    for (auto& g : gateways) g->Stop();
    core->Stop();
  }
};

// Viewers the gateways have dropped as slow, from their /metrics.
int SlowDrops(const Cluster& cluster) {
  int total = 0;
  for (int port : cluster.http_ports()) {
    absl::StatusOr<testing::HttpAnswer> answer = testing::HttpGet("127.0.0.1", port, "/metrics");
    if (!answer.ok()) continue;
    const std::string_view name = "\nechelon_sse_slow_drops_total ";
    const size_t at = answer->body.find(name);
    if (at != std::string::npos) total += std::atoi(answer->body.c_str() + at + name.size());
  }
  return total;
}

double ClusterCpuSeconds(const Cluster& cluster) {
  double total = 0;
  for (pid_t pid : cluster.pids()) total += load::ReadCpuSeconds(pid);
  return total;
}

// Deletes the replay log and the worlds bucket, so that a pass's readers see
// only its own replay (a late joiner would otherwise get the previous pass's).
absl::Status ResetReplayLog(const std::string& urls) {
  natsConnection* connection = nullptr;
  if (natsConnection_ConnectTo(&connection, urls.c_str()) != NATS_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to NATS at ", urls));
  }
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, connection, nullptr) == NATS_OK) {
    js_DeleteStream(js, "ECHELON_REPLAYS", nullptr, nullptr);  // absent on the first pass
    js_DeleteKeyValue(js, "echelon_worlds");
    jsCtx_Destroy(js);
  }
  natsConnection_Destroy(connection);
  return absl::OkStatus();
}

absl::StatusOr<Cluster> StartCluster(const BenchOptions& o, const Scenario& s) {
  const int viewers = s.readers + s.stalled;
  const int per_gateway = s.gateways > 0 ? (viewers + s.gateways - 1) / s.gateways : viewers;
  testing::ServerSpec spec;
  spec.binary = o.server_bin;
  spec.extra_args = {"--sse-max-clients", absl::StrCat(std::max(16, per_gateway))};
  spec.extra_args.insert(spec.extra_args.end(), o.server_args.begin(), o.server_args.end());
  if (!o.nats.empty()) {
    if (absl::Status reset = ResetReplayLog(o.nats); !reset.ok()) return reset;
    spec.extra_args.insert(spec.extra_args.end(), {"--nats", o.nats, "--nats-max-gb", "4"});
  }
  spec.log_path = absl::StrCat(o.log_dir, "/bench_fanout_core.log");
  Cluster cluster;
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> core = testing::ServerProcess::Start(spec);
  if (!core.ok()) return core.status();
  cluster.core = *std::move(core);
  spec.core = cluster.core->grpc_target();
  for (int i = 0; i < s.gateways; ++i) {
    spec.log_path = absl::StrCat(o.log_dir, "/bench_fanout_gateway", i, ".log");
    absl::StatusOr<std::unique_ptr<testing::ServerProcess>> gateway = testing::ServerProcess::Start(spec);
    if (!gateway.ok()) return gateway.status();
    cluster.gateways.push_back(*std::move(gateway));
  }
  return cluster;
}

// `perf record -g` attached to the servers for its lifetime (SIGINT ends it,
// and perf then writes its file).
class Profiler {
 public:
  Profiler(const std::vector<pid_t>& pids, const std::string& out) {
    std::vector<std::string> pid_list;
    for (pid_t pid : pids) pid_list.push_back(absl::StrCat(pid));
    const std::vector<std::string> args = {"perf", "record", "-q", "-F", "999", "--call-graph", "dwarf,16384", "-o", out,
                                           "-p", absl::StrJoin(pid_list, ",")};
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execvp("perf", argv.data());
      _exit(127);
    }
    absl::SleepFor(absl::Milliseconds(300));  // perf attaches before the push
  }
  ~Profiler() {
    if (pid_ <= 0) return;
    kill(pid_, SIGINT);
    waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

// What the readers of both the server pass and the floor share.
ReaderSpec Readers(const BenchOptions& o, int count, bool keep_first_wire) {
  ReaderSpec spec;
  spec.count = count;
  spec.digest = o.discard;
  spec.shared_threads = o.reader_threads >= 0 ? o.reader_threads : (count > kMaxThreadReaders ? 2 : 0);
  // Two shared threads must keep up with hundreds of sockets: lowered, they
  // would starve while the server writes, and it drops a viewer that takes no
  // bytes for its broadcast timeout.
  spec.thread_nice = o.reader_nice >= 0 ? o.reader_nice : (spec.shared_threads > 0 ? 0 : 10);
  spec.keep_first_wire = keep_first_wire;
  return spec;
}

// Viewers that take the greeting, then nothing: their socket buffers fill and
// the server must drop them without slowing anyone else down.
std::vector<std::unique_ptr<testing::SseReader>> StartStalledViewers(const Scenario& s, const Cluster& cluster) {
  std::vector<std::unique_ptr<testing::SseReader>> stalled;
  for (int i = 0; i < s.stalled; ++i) {
    testing::SseReaderOptions options;
    options.port = cluster.reader_port(s.readers + i);
    options.stall_after_bytes = 1;
    options.stall_for = absl::Hours(1);
    stalled.push_back(std::make_unique<testing::SseReader>(options));
    stalled.back()->Start();
  }
  for (auto& viewer : stalled) viewer->WaitConnected(absl::Seconds(10));
  return stalled;
}

// One pass against the server; `wire` receives reader 0's raw stream.
absl::StatusOr<PassResult> RunServerPass(const BenchOptions& o, const load::PushableReplay& replay,
                                         load::Transport transport, const Scenario& s, std::string* wire) {
  absl::StatusOr<Cluster> cluster = StartCluster(o, s);
  if (!cluster.ok()) return cluster.status();
  absl::StatusOr<std::string> world_hash = load::StoreWorld(cluster->core->grpc_target(), replay.world_json);
  if (!world_hash.ok()) return world_hash.status();
  const std::string replay_id = absl::StrCat("bench-", load::TransportName(transport));
  load::PushTarget target;
  target.http_port = cluster->core->http_port();
  target.grpc_target = cluster->core->grpc_target();
  auto sender = load::NewChunkSender(transport, target, replay, replay_id, *world_hash);

  ReaderSet readers(Readers(o, s.readers, wire != nullptr), [&](int i) { return cluster->reader_port(i); });
  readers.Start();
  if (absl::Status connected = readers.WaitConnected(absl::Seconds(30)); !connected.ok()) return connected;
  std::vector<std::unique_ptr<testing::SseReader>> stalled = StartStalledViewers(s, *cluster);
  load::RssSampler rss(cluster->pids(), absl::Milliseconds(5));
  absl::SleepFor(absl::Milliseconds(200));  // let the joins settle before "idle"
  PassResult result;
  result.what = absl::StrCat(load::TransportName(transport), o.nats.empty() ? "" : " via NATS");
  result.scenario = s;
  result.idle_kb = rss.SampleNow();
  rss.Start();
  std::unique_ptr<Profiler> profiler;
  if (!o.perf_out.empty()) {
    profiler = std::make_unique<Profiler>(cluster->pids(), absl::StrCat(o.perf_out, ".", result.what));
  }

  const double cpu_before = ClusterCpuSeconds(*cluster);
  const double t0_rel = rss.Now();
  const absl::Time t0 = absl::Now();
  for (size_t i = 0; i < replay.chunks.size(); ++i) {
    absl::StatusOr<absl::Duration> took = sender->Send(i);
    if (!took.ok()) return took.status();
    result.push_ms.push_back(absl::ToDoubleMilliseconds(*took));
  }
  if (absl::Status closed = sender->Close(); !closed.ok()) return closed;
  std::optional<absl::Time> last_end = readers.WaitAllEnded(absl::Seconds(120));
  if (!last_end) return absl::DeadlineExceededError("not every reader got replay_end within 120 s");
  result.e2e_s = absl::ToDoubleSeconds(*last_end - t0);
  result.cpu_s = ClusterCpuSeconds(*cluster) - cpu_before;
  absl::SleepFor(absl::Milliseconds(100));  // the tail of the peak
  result.peak_kb = rss.PeakKb(t0_rel, rss.Now());
  rss.Stop();
  profiler.reset();

  if (!stalled.empty()) {
    // A stalled viewer is dropped when a write to it has waited for the
    // broadcast timeout (1 s by default); give that a few seconds.
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while ((result.stalled_dropped = SlowDrops(*cluster)) < s.stalled && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  readers.Stop();
  for (auto& viewer : stalled) viewer->Stop();
  cluster->Stop();
  result.delivered = readers.wire_bytes();
  result.verdict = readers.Verify(replay, replay_id, result.failed);
  if (wire != nullptr) *wire = readers.first_wire();
  return result;
}

absl::StatusOr<PassResult> RunFloorPass(const BenchOptions& o, const std::string& wire, const Scenario& s) {
  FloorWriter floor(wire);
  if (absl::Status listening = floor.Listen(); !listening.ok()) return listening;
  ReaderSet readers(Readers(o, s.readers, false), [&](int) { return floor.port(); });
  readers.Start();
  if (absl::Status accepted = floor.Accept(s.readers, absl::Seconds(10)); !accepted.ok()) return accepted;
  const absl::Time t0 = absl::Now();
  floor.Go();
  std::optional<absl::Time> last_end = readers.WaitAllEnded(absl::Seconds(120));
  if (!last_end) return absl::DeadlineExceededError("floor: not every reader got replay_end");
  PassResult result;
  result.what = "floor";
  result.scenario = s;
  result.e2e_s = absl::ToDoubleSeconds(*last_end - t0);
  readers.Stop();
  result.delivered = readers.wire_bytes();
  return result;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5))];
}

std::string Row(const PassResult& r, double floor_s) {
  std::string readers = r.scenario.gateways > 0
                            ? absl::StrCat(r.scenario.readers, " over ", r.scenario.gateways, " gw")
                            : absl::StrCat(r.scenario.readers);
  if (r.scenario.stalled > 0) {
    absl::StrAppend(&readers, " + ", r.scenario.stalled, " stalled");
    if (r.what != "floor") absl::StrAppend(&readers, " (", r.stalled_dropped, " dropped)");
  }
  if (r.what == "floor") {
    return absl::StrFormat("| %s | floor | %.3f | 1.00 | - | - | - | - | - | %.0f | - |", readers, r.e2e_s,
                           r.delivered / 1e6);
  }
  return absl::StrFormat("| %s | %s | %.3f | %.2f | %.2f | %.1f | %.1f | %.1f | %.1f (+%.1f) | %.0f | %s |", readers,
                         r.what, r.e2e_s, r.e2e_s / floor_s, r.cpu_s, Percentile(r.push_ms, 0.5),
                         Percentile(r.push_ms, 1.0),
                         r.idle_kb / 1024.0, r.peak_kb / 1024.0, (r.peak_kb - r.idle_kb) / 1024.0, r.delivered / 1e6,
                         r.verdict);
}

absl::StatusOr<load::PushableReplay> PrepareReplay(const BenchOptions& o) {
  if (!o.replay_path.empty()) return load::LoadReplay(o.replay_path);
  return load::GenerateReplay({.seed = o.seed, .target_mb = o.mb});
}

// Runs every pass of one scenario; appends the rows. False when a stream was wrong.
absl::StatusOr<bool> RunScenario(const BenchOptions& o, const load::PushableReplay& replay, const Scenario& s,
                                 std::vector<std::string>& rows) {
  std::vector<load::Transport> transports;
  if (o.transport != "grpc") transports.push_back(load::Transport::kHttp);
  if (o.transport != "http") transports.push_back(load::Transport::kGrpc);
  bool ok = true;
  for (int run = 0; run < o.repeat; ++run) {
    std::string wire;
    std::vector<PassResult> passes;
    for (load::Transport t : transports) {
      absl::StatusOr<PassResult> pass = RunServerPass(o, replay, t, s, wire.empty() ? &wire : nullptr);
      if (!pass.ok()) return pass.status();
      ok &= !pass->failed;
      passes.push_back(*std::move(pass));
    }
    absl::StatusOr<PassResult> floor = RunFloorPass(o, wire, s);
    if (!floor.ok()) return floor.status();
    for (const PassResult& p : passes) rows.push_back(Row(p, floor->e2e_s));
    rows.push_back(Row(*floor, floor->e2e_s));
    std::printf("%s\n", absl::StrJoin(std::vector<std::string>(rows.end() - passes.size() - 1, rows.end()), "\n").c_str());
    std::fflush(stdout);
  }
  return ok;
}

// The servers append to their logs; each run starts them afresh.
void RemoveOldLogs(const BenchOptions& o) {
  std::error_code ignored;
  std::filesystem::remove(absl::StrCat(o.log_dir, "/bench_fanout_core.log"), ignored);
  for (int i = 0; i < 64; ++i) std::filesystem::remove(absl::StrCat(o.log_dir, "/bench_fanout_gateway", i, ".log"), ignored);
}

int Run(const BenchOptions& o) {
  RemoveOldLogs(o);
  absl::StatusOr<load::PushableReplay> replay = PrepareReplay(o);
  if (!replay.ok()) {
    std::fprintf(stderr, "bench_fanout: %s\n", replay.status().ToString().c_str());
    return 2;
  }
  std::printf("replay: %zu frames, %zu chunks, %.1f MB of frames JSON (%.2f MB per chunk); readers %s\n",
              replay->frame_count, replay->chunks.size(), replay->frame_bytes / 1e6,
              replay->frame_bytes / 1e6 / replay->chunks.size(), o.discard ? "discard" : "store");
  const char* kHeader =
      "| readers | path | end to end (s) | x floor | server CPU (s) | push p50 (ms) | push max (ms) | idle RSS (MB) | "
      "peak RSS (MB) | delivered (MB) | verified |\n|---|---|---|---|---|---|---|---|---|---|---|";
  std::printf("%s\n", kHeader);
  std::vector<Scenario> scenarios = {{o.readers, o.gateways, o.stalled}};
  if (o.table) scenarios = {{1, 0}, {4, 0}, {16, 0}, {16, 0, 4}, {64, 4}};
  std::vector<std::string> rows;
  bool ok = true;
  for (const Scenario& s : scenarios) {
    absl::StatusOr<bool> scenario_ok = RunScenario(o, *replay, s, rows);
    if (!scenario_ok.ok()) {
      std::fprintf(stderr, "bench_fanout: %s\n", scenario_ok.status().ToString().c_str());
      return 2;
    }
    ok &= *scenario_ok;
  }
  std::printf("\n%s\n%s\n", kHeader, absl::StrJoin(rows, "\n").c_str());
  if (o.verify && !ok) {
    std::printf("bench_fanout: VERIFY FAILED\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace echelon::tools

int main(int argc, char** argv) {
  // A server that refuses or drops a reader closes its socket: the writes
  // that follow must fail with EPIPE and be reported, not kill the bench.
  signal(SIGPIPE, SIG_IGN);
  echelon::tools::BenchOptions o;
  o.server_bin = echelon::load::DefaultServerBinary(argv[0]);
  CLI::App app{"bench_fanout: push a replay to N SSE readers through echelon-server; compare with the floor"};
  app.add_option("--server-bin", o.server_bin, "echelon-server binary")->capture_default_str();
  auto* replay = app.add_option("--replay", o.replay_path, "Replay file to push ({\"world\",\"frames\"})");
  app.add_option("--mb", o.mb, "Else generate a replay of this many MB (replay-gen, 10 mechs per team)")
      ->capture_default_str()->excludes(replay);
  app.add_option("--seed", o.seed, "Seed of the generated replay")->capture_default_str();
  app.add_option("--readers", o.readers, "SSE readers")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--gateways", o.gateways, "Gateway-only processes (--core) the readers spread over; 0: none")
      ->capture_default_str()->check(CLI::Range(0, 64));
  app.add_option("--transport", o.transport, "Push over http, grpc or both")
      ->check(CLI::IsMember({"http", "grpc", "both"}))->capture_default_str();
  app.add_option("--stalled", o.stalled, "Extra viewers that connect and then stop reading")
      ->capture_default_str()->check(CLI::Range(0, 1024));
  app.add_flag("--verify", o.verify, "Exit 1 unless every reader got exactly what was pushed");
  app.add_option("--reader-nice", o.reader_nice,
                 "Added to the reader threads' nice value: readers stand for viewers on other machines, so they "
                 "yield the CPU to the server they measure (the floor's readers too); 0 to compete equally; "
                 "default: 10 with a thread per reader, 0 with shared threads")
      ->check(CLI::Range(0, 19));
  app.add_flag("--discard", o.discard,
               "Readers after the first keep a digest of each event instead of its data, and are compared with "
               "the first (which is checked against the push): still byte-exact, without 50 MB per reader");
  app.add_option("--reader-threads", o.reader_threads,
                 "Readers after the first share this many epoll threads; 0: a thread per reader; default: a thread "
                 "per reader up to 16 readers, else 2")
      ->check(CLI::Range(0, 64));
  app.add_flag("--table", o.table, "Scaling table: 1, 4, 16 (+4 stalled) readers; 64 readers over 4 gateways");
  app.add_option("--repeat", o.repeat, "Runs per scenario")->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--perf-out", o.perf_out, "Record each push pass with perf record -g into FILE.<transport>");
  app.add_option("--log-dir", o.log_dir, "Where the servers' logs go")->capture_default_str();
  app.add_option("--server-arg", o.server_args, "Extra flag for every server process (repeatable)");
  app.add_option("--nats", o.nats,
                 "Cluster mode: run the core and gateways with --nats URL (a running nats-server with JetStream and "
                 "max_payload above the chunk size); the stream is emptied before each pass");
  CLI11_PARSE(app, argc, argv);
  return echelon::tools::Run(o);
}
