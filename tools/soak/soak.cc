// soak: a long session against a real echelon-server (issue 7). Pushes
// generated replays back to back at a multiple of real rate (a chunk is due
// when its first frame's sim time `t`, divided by --rate, has passed) while 16
// readers follow /events: some read slowly (and are expected to be dropped and
// come back), some keep reconnecting with Last-Event-ID, the rest just read.
// Samples the server's RSS every second.
//
// Fails (exit 1) when the RSS grows more than --max-growth after warm-up
// (a later bucket's median against the first post-warm-up bucket's median),
// or when any healthy or reconnecting reader misses an event: its ids must be
// contiguous across reconnects, and it must have the start, every chunk and
// the end of every replay pushed. Slow readers are reported, not judged.
//
//   soak --duration 3600 --rate 4                  # the documented 60-minute run
//   soak --duration 20 --replay-mb 1 --rate 20 --retention-mb 4 --warmup 8 --bucket 3
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tools/load/chunk_sender.h"
#include "tools/load/event_fields.h"
#include "tools/load/replay_source.h"
#include "tools/load/rss_sampler.h"
#include "tools/testing/server_launcher.h"
#include "tools/testing/sse_reader.h"
#include "tools/load/tool_paths.h"

namespace echelon::tools {
namespace {

using testing::SseEvent;

struct SoakOptions {
  std::string server_bin;
  double duration_s = 60;
  double rate = 10;
  int readers = 16;
  int slow = 2;
  int reconnecting = 2;
  double replay_mb = 4;
  int pool = 4;
  uint64_t seed = 1;
  double slow_kbps = 256;
  double reconnect_every_s = 5;
  int retention_mb = 0;  // 0: the server's default
  double warmup_s = -1;  // <0: derived from the duration
  double bucket_s = -1;  // <0: derived from the duration
  double max_growth = 0.10;
  std::string transport = "http";
  std::string log_path = "/tmp/soak-server.log";
  std::string rss_csv;
};

enum class Role { kHealthy, kSlow, kReconnecting };

const char* RoleName(Role role) {
  switch (role) {
    case Role::kHealthy: return "healthy";
    case Role::kSlow: return "slow";
    case Role::kReconnecting: return "reconnecting";
  }
  return "";
}

// What one reader saw, checked against what was pushed at the end.
class ReaderLedger {
 public:
  struct ReplaySeen {
    bool started = false;
    bool ended = false;
    std::set<int64_t> chunks;
    int duplicate_chunks = 0;
  };

  void OnEvent(const SseEvent& event) {
    const load::EventFields fields = load::ReadEventFields(event.data);
    absl::MutexLock lock(&mu_);
    if (last_id_ != 0 && event.id != last_id_ + 1) {
      ++id_breaks_;
      if (first_break_.empty()) first_break_ = absl::StrCat(last_id_, " -> ", event.id);
    }
    last_id_ = event.id;
    ReplaySeen& seen = replays_[fields.replay_id];
    if (event.type == "replay_start") {
      seen.started = true;
    } else if (event.type == "replay_chunk") {
      if (!seen.chunks.insert(fields.chunk_index).second) ++seen.duplicate_chunks;
    } else if (event.type == "replay_end") {
      seen.ended = true;
      ++ends_;
    }
  }

  int ends() const {
    absl::MutexLock lock(&mu_);
    return ends_;
  }

  // Problems against the pushed replays (id -> chunk count); empty if none.
  std::vector<std::string> Check(const std::vector<std::pair<std::string, int>>& pushed) const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> problems;
    if (id_breaks_ > 0) {
      problems.push_back(absl::StrCat(id_breaks_, " breaks in the event ids (first ", first_break_, ")"));
    }
    int incomplete = 0;
    std::string first;
    for (const auto& [replay_id, chunk_count] : pushed) {
      auto it = replays_.find(replay_id);
      const bool complete = it != replays_.end() && it->second.started && it->second.ended &&
                            static_cast<int>(it->second.chunks.size()) == chunk_count &&
                            it->second.duplicate_chunks == 0;
      if (!complete && incomplete++ == 0) first = replay_id;
    }
    if (incomplete > 0) problems.push_back(absl::StrCat(incomplete, " replays incomplete (first ", first, ")"));
    return problems;
  }

  uint64_t id_breaks() const {
    absl::MutexLock lock(&mu_);
    return id_breaks_;
  }

 private:
  mutable absl::Mutex mu_;
  uint64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t id_breaks_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_break_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ReplaySeen> replays_ ABSL_GUARDED_BY(mu_);
  int ends_ ABSL_GUARDED_BY(mu_) = 0;
};

struct SoakReader {
  Role role;
  ReaderLedger ledger;
  std::unique_ptr<testing::SseReader> reader;
};

testing::SseReaderOptions ReaderOptions(const SoakOptions& o, Role role, int index, int port) {
  testing::SseReaderOptions r;
  r.port = port;
  r.store = false;
  if (role == Role::kSlow) {
    r.max_bytes_per_second = static_cast<size_t>(o.slow_kbps * 1024);
    r.reconnect_on_close = true;  // a dropped browser tab comes back
  }
  if (role == Role::kReconnecting) {
    // Staggered, so that reconnects do not line up with each other.
    r.reconnect_every = absl::Seconds(o.reconnect_every_s * (1.0 + 0.37 * index));
    r.reconnect_on_close = true;
  }
  return r;
}

std::vector<std::unique_ptr<SoakReader>> StartReaders(const SoakOptions& o, int port) {
  std::vector<std::unique_ptr<SoakReader>> readers;
  for (int i = 0; i < o.readers; ++i) {
    auto r = std::make_unique<SoakReader>();
    r->role = i < o.slow ? Role::kSlow : i < o.slow + o.reconnecting ? Role::kReconnecting : Role::kHealthy;
    SoakReader* self = r.get();
    r->reader = std::make_unique<testing::SseReader>(ReaderOptions(o, r->role, i, port),
                                                  [self](const SseEvent& e) { self->ledger.OnEvent(e); });
    r->reader->Start();
    readers.push_back(std::move(r));
  }
  return readers;
}

struct PoolEntry {
  load::PushableReplay replay;
  std::string world_hash;
};

absl::StatusOr<std::vector<PoolEntry>> MakePool(const SoakOptions& o, const std::string& core) {
  std::vector<PoolEntry> pool;
  for (int i = 0; i < o.pool; ++i) {
    absl::StatusOr<load::PushableReplay> replay =
        load::GenerateReplay({.seed = o.seed + i, .target_mb = o.replay_mb});
    if (!replay.ok()) return replay.status();
    absl::StatusOr<std::string> hash = load::StoreWorld(core, replay->world_json);
    if (!hash.ok()) return hash.status();
    pool.push_back({*std::move(replay), *hash});
  }
  return pool;
}

struct PushLog {
  std::vector<std::pair<std::string, int>> replays;  // id, chunk count
  std::vector<double> latencies_ms;
  size_t bytes = 0;
  std::string error;
};

// Pushes one replay at `rate` x real rate; returns when its last frame's sim
// time has passed, so that the next replay follows back to back.
bool PushPaced(const SoakOptions& o, load::Transport transport, const load::PushTarget& target,
               const PoolEntry& entry, const std::string& replay_id, PushLog& log) {
  const load::PushableReplay& replay = entry.replay;
  auto sender = load::NewChunkSender(transport, target, replay, replay_id, entry.world_hash);
  const absl::Time base = absl::Now();
  const double t0 = replay.chunks.front().t;
  for (size_t i = 0; i < replay.chunks.size(); ++i) {
    absl::SleepFor(base + absl::Seconds((replay.chunks[i].t - t0) / o.rate) - absl::Now());
    absl::StatusOr<absl::Duration> took = sender->Send(i);
    if (!took.ok()) {
      log.error = took.status().ToString();
      return false;
    }
    log.latencies_ms.push_back(absl::ToDoubleMilliseconds(*took));
    log.bytes += replay.chunks[i].frames_json.size();
  }
  if (absl::Status closed = sender->Close(); !closed.ok()) {
    log.error = closed.ToString();
    return false;
  }
  log.replays.emplace_back(replay_id, static_cast<int>(replay.chunks.size()));
  absl::SleepFor(base + absl::Seconds(std::max(replay.duration_s, 0.05) / o.rate) - absl::Now());
  return true;
}

void PushFor(const SoakOptions& o, load::Transport transport, const load::PushTarget& target,
             const std::vector<PoolEntry>& pool, PushLog& log) {
  const absl::Time end = absl::Now() + absl::Seconds(o.duration_s);
  // Bounded by the duration; a replay in flight is finished, not cut.
  for (int n = 0; absl::Now() < end; ++n) {
    const std::string replay_id = absl::StrFormat("soak-%06d", n);
    if (!PushPaced(o, transport, target, pool[n % pool.size()], replay_id, log)) return;
  }
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5))];
}

struct Bucket {
  double from = 0;
  int64_t min_kb = 0, median_kb = 0, max_kb = 0;
};

// Per-bucket min/median/max of the per-second RSS, from `start` on.
std::vector<Bucket> RssBuckets(const std::vector<int64_t>& per_second, size_t start, double bucket_s) {
  std::vector<Bucket> buckets;
  const size_t width = std::max<size_t>(1, static_cast<size_t>(bucket_s));
  for (size_t from = start; from + width <= per_second.size(); from += width) {
    std::vector<int64_t> v(per_second.begin() + from, per_second.begin() + from + width);
    std::sort(v.begin(), v.end());
    buckets.push_back({static_cast<double>(from - start), v.front(), v[v.size() / 2], v.back()});
  }
  return buckets;
}

// Prints the RSS table; false when a post-warm-up bucket grew too much.
bool ReportRss(const SoakOptions& o, const load::RssSampler& rss, double push_started) {
  const std::vector<int64_t> per_second = rss.PerSecondPeakKb();
  const size_t start = static_cast<size_t>(push_started);
  const std::vector<Bucket> buckets = RssBuckets(per_second, start, o.bucket_s);
  std::printf("\nRSS per %.0f s (server, MB; t from the first push; warm-up %.0f s)\n", o.bucket_s, o.warmup_s);
  std::printf("| t (s) | min | median | max | vs baseline |\n|---|---|---|---|---|\n");
  const Bucket* baseline = nullptr;
  bool ok = true;
  double worst = 0;
  for (const Bucket& b : buckets) {
    const bool after_warmup = b.from >= o.warmup_s;
    if (after_warmup && baseline == nullptr) baseline = &b;
    std::string versus = "warm-up";
    if (after_warmup) {
      const double growth = static_cast<double>(b.median_kb) / baseline->median_kb - 1.0;
      worst = std::max(worst, growth);
      ok &= growth <= o.max_growth;
      versus = absl::StrFormat("%+.1f%%", growth * 100);
    }
    std::printf("| %.0f | %.1f | %.1f | %.1f | %s |\n", b.from, b.min_kb / 1024.0, b.median_kb / 1024.0,
                b.max_kb / 1024.0, versus.c_str());
  }
  if (baseline == nullptr) {
    std::printf("RSS: no full bucket after warm-up; growth not judged\n");
    return false;
  }
  std::printf("RSS: baseline %.1f MB, largest bucket median growth %+.1f%% (limit %+.0f%%): %s\n",
              baseline->median_kb / 1024.0, worst * 100, o.max_growth * 100, ok ? "ok" : "FAIL");
  return ok;
}

void WriteRssCsv(const std::string& path, const load::RssSampler& rss) {
  if (path.empty()) return;
  FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) return;
  std::fprintf(out, "t_s,rss_kb\n");
  for (const load::RssSample& s : rss.samples()) std::fprintf(out, "%.1f,%lld\n", s.t, static_cast<long long>(s.rss_kb));
  std::fclose(out);
}

// Waits (bounded) until every healthy reader has the last replay's end.
void WaitForHealthyReaders(const std::vector<std::unique_ptr<SoakReader>>& readers, size_t replays) {
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  for (const auto& r : readers) {
    if (r->role != Role::kHealthy) continue;
    while (r->ledger.ends() < static_cast<int>(replays) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  absl::SleepFor(absl::Milliseconds(500));  // reconnecting readers may be mid-resume
}

// Prints each reader's line; false when a healthy or reconnecting one missed something.
bool ReportReaders(const std::vector<std::unique_ptr<SoakReader>>& readers, const PushLog& log) {
  bool ok = true;
  std::printf("\n| reader | role | connects | closed by server | 503/refused | events | MB | result |\n"
              "|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < readers.size(); ++i) {
    const SoakReader& r = *readers[i];
    const testing::SseReaderStats s = r.reader->stats();
    const std::vector<std::string> problems = r.ledger.Check(log.replays);
    const bool judged = r.role != Role::kSlow;
    std::string result = problems.empty() ? "complete" : absl::StrJoin(problems, "; ");
    if (judged && !problems.empty()) {
      ok = false;
      result = "FAIL: " + result;
    }
    std::printf("| %zu | %s | %llu | %llu | %llu | %llu | %.1f | %s |\n", i, RoleName(r.role),
                static_cast<unsigned long long>(s.connections), static_cast<unsigned long long>(s.closed_by_server),
                static_cast<unsigned long long>(s.refused), static_cast<unsigned long long>(s.events),
                s.wire_bytes / 1e6, result.c_str());
  }
  return ok;
}

void DeriveDefaults(SoakOptions& o) {
  if (o.warmup_s < 0) o.warmup_s = o.duration_s >= 600 ? 300 : o.duration_s / 3;
  if (o.bucket_s < 0) o.bucket_s = o.duration_s >= 600 ? 60 : std::max(1.0, o.duration_s / 10);
}

int Run(SoakOptions o) {
  DeriveDefaults(o);
  const load::Transport transport = o.transport == "grpc" ? load::Transport::kGrpc : load::Transport::kHttp;
  testing::ServerSpec spec;
  spec.binary = o.server_bin;
  spec.log_path = o.log_path;
  if (o.retention_mb > 0) spec.extra_args = {"--retention-mb", absl::StrCat(o.retention_mb)};
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server = testing::ServerProcess::Start(spec);
  if (!server.ok()) {
    std::fprintf(stderr, "soak: %s\n", server.status().ToString().c_str());
    return 2;
  }
  load::PushTarget target;
  target.http_port = (*server)->http_port();
  target.grpc_target = (*server)->grpc_target();
  absl::StatusOr<std::vector<PoolEntry>> pool = MakePool(o, target.grpc_target);
  if (!pool.ok()) {
    std::fprintf(stderr, "soak: %s\n", pool.status().ToString().c_str());
    return 2;
  }
  std::printf("soak: server pid %d on :%d, %d readers (%d slow, %d reconnecting), %d replays of %.1f MB "
              "(%zu chunks, %.0f s sim each), %s push at %.1fx real rate for %.0f s\n",
              (*server)->pid(), target.http_port, o.readers, o.slow, o.reconnecting, o.pool, o.replay_mb,
              (*pool)[0].replay.chunks.size(), (*pool)[0].replay.duration_s, o.transport.c_str(), o.rate,
              o.duration_s);
  std::fflush(stdout);

  load::RssSampler rss({(*server)->pid()}, absl::Seconds(1));
  rss.Start();
  std::vector<std::unique_ptr<SoakReader>> readers = StartReaders(o, target.http_port);
  for (const auto& r : readers) r->reader->WaitConnected(absl::Seconds(10));
  const double push_started = rss.Now();
  PushLog log;
  PushFor(o, transport, target, *pool, log);
  WaitForHealthyReaders(readers, log.replays.size());
  for (const auto& r : readers) r->reader->Stop();
  const absl::Duration stop_took = (*server)->Stop();
  rss.Stop();

  std::printf("\npushed %zu replays, %.1f MB; push latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
              "server exited %.2f s after SIGTERM\n",
              log.replays.size(), log.bytes / 1e6, Percentile(log.latencies_ms, 0.5),
              Percentile(log.latencies_ms, 0.99), Percentile(log.latencies_ms, 1.0),
              absl::ToDoubleSeconds(stop_took));
  if (!log.error.empty()) std::printf("push failed: %s\n", log.error.c_str());
  const bool readers_ok = ReportReaders(readers, log);
  const bool rss_ok = ReportRss(o, rss, push_started);
  WriteRssCsv(o.rss_csv, rss);
  const bool ok = readers_ok && rss_ok && log.error.empty() && !log.replays.empty();
  std::printf("\nsoak: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace echelon::tools

int main(int argc, char** argv) {
  echelon::tools::SoakOptions o;
  o.server_bin = echelon::load::DefaultServerBinary(argv[0]);
  CLI::App app{"soak: replays back to back against echelon-server; checks readers and RSS"};
  app.add_option("--server-bin", o.server_bin, "echelon-server binary")->capture_default_str();
  app.add_option("--duration", o.duration_s, "Seconds of pushing")->capture_default_str();
  app.add_option("--rate", o.rate, "Multiple of real rate (sim time t of the frames)")->capture_default_str();
  app.add_option("--readers", o.readers, "SSE readers")->capture_default_str();
  app.add_option("--slow", o.slow, "Of which slow readers")->capture_default_str();
  app.add_option("--reconnecting", o.reconnecting, "Of which readers that keep reconnecting")->capture_default_str();
  app.add_option("--replay-mb", o.replay_mb, "Size of each generated replay (MB)")->capture_default_str();
  app.add_option("--pool", o.pool, "Distinct generated replays (pushed in turn, fresh ids)")->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of the first generated replay")->capture_default_str();
  app.add_option("--slow-kbps", o.slow_kbps, "Read rate of a slow reader (KiB/s)")->capture_default_str();
  app.add_option("--reconnect-every", o.reconnect_every_s, "Seconds between reconnects (staggered)")
      ->capture_default_str();
  app.add_option("--retention-mb", o.retention_mb, "Server --retention-mb (0: its default)")->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "Seconds after the first push before RSS is judged");
  app.add_option("--bucket", o.bucket_s, "Seconds per RSS table row");
  app.add_option("--max-growth", o.max_growth, "Allowed RSS growth after warm-up (0.10 = 10%)")->capture_default_str();
  app.add_option("--transport", o.transport, "Push over http or grpc")
      ->check(CLI::IsMember({"http", "grpc"}))->capture_default_str();
  app.add_option("--server-log", o.log_path, "Server log file")->capture_default_str();
  app.add_option("--rss-csv", o.rss_csv, "Write every RSS sample here");
  CLI11_PARSE(app, argc, argv);
  if (o.readers < 1 || o.slow + o.reconnecting > o.readers || o.rate <= 0 || o.pool < 1) {
    std::fprintf(stderr, "soak: need readers >= 1, slow + reconnecting <= readers, rate > 0, pool >= 1\n");
    return 2;
  }
  return echelon::tools::Run(o);
}
