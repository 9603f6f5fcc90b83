#include "server/nav/nav_cache.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <thread>
#include <utility>

#include "common/gzip.h"
#include "server/nav/nav_answer.h"
#include "spdlog/spdlog.h"

namespace echelon::nav {

namespace internal {

// A few threads running posted jobs in order. The destructor runs what is
// still queued, then joins: every posted job runs exactly once.
class WorkQueue {
 public:
  explicit WorkQueue(int threads) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
  }

  ~WorkQueue() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  void Post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, and nothing left to do
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace internal

NavEntry::NavEntry(std::string world_hash, NavGraph graph, std::string graph_json)
    : world_hash_(std::move(world_hash)),
      graph_(std::move(graph)),
      graph_json_(std::make_shared<const std::string>(std::move(graph_json))) {}

std::shared_ptr<const std::string> NavEntry::graph_json_gzip() const {
  std::call_once(gzip_once_, [this] {
    gzip_ = std::make_shared<const std::string>(GzipCompress(*graph_json_));
    gzip_ready_.store(true, std::memory_order_release);
  });
  return gzip_;  // call_once orders the write before this read
}

bool NavEntry::has_gzip() const { return gzip_ready_.load(std::memory_order_acquire); }

NavCache::NavCache(WorldSource source, NavCacheOptions options)
    : source_(std::move(source)),
      options_(std::move(options)),
      builders_(std::make_unique<internal::WorkQueue>(options_.builder_threads)) {}

NavCache::~NavCache() { builders_.reset(); }

void NavCache::GetAsync(const std::string& world_hash, Callback done, bool need_gzip) {
  if (need_gzip) done = WithGzip(std::move(done));
  std::shared_ptr<const NavEntry> hit;
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(world_hash); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);  // now most recently used
      ++stats_.hits;
      hit = *it->second;
    } else {
      ++stats_.misses;
      auto [waiters, first] = in_flight_.try_emplace(world_hash);
      waiters->second.push_back(std::move(done));
      if (!first) return;  // joins the build already in flight
      ++stats_.builds;
    }
  }
  if (hit) {
    done(std::move(hit));
    return;
  }
  StartBuild(world_hash);
}

NavCache::EntryOr NavCache::Get(const std::string& world_hash, bool need_gzip) {
  std::promise<EntryOr> promise;
  std::future<EntryOr> future = promise.get_future();
  GetAsync(world_hash, [&promise](EntryOr entry) { promise.set_value(std::move(entry)); }, need_gzip);
  return future.get();
}

NavCacheStats NavCache::stats() const {
  std::lock_guard lock(mu_);
  NavCacheStats stats = stats_;
  stats.size = lru_.size();
  return stats;
}

// Compressing 1 MB takes milliseconds, so a first gzip request moves to a
// builder thread instead of holding up the caller's (request) thread.
NavCache::Callback NavCache::WithGzip(Callback done) {
  return [this, done = std::move(done)](EntryOr entry) {
    if (!entry.ok() || (*entry)->has_gzip()) {
      done(std::move(entry));
      return;
    }
    builders_->Post([done, entry = std::move(entry)]() mutable {
      (*entry)->graph_json_gzip();
      done(std::move(entry));
    });
  };
}

void NavCache::StartBuild(const std::string& world_hash) {
  builders_->Post([this, world_hash] { FinishBuild(world_hash, BuildEntry(world_hash)); });
}

NavCache::EntryOr NavCache::BuildEntry(const std::string& world_hash) const {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::shared_ptr<const std::string>> world_json = source_(world_hash);
  if (!world_json.ok()) return world_json.status();
  if (*world_json == nullptr) return absl::NotFoundError("world " + world_hash + " not found");
  absl::StatusOr<world::WorldModel> world = world::ParseWorld(**world_json, options_.limits);
  if (!world.ok()) return world.status();
  NavGraph graph = NavGraph::Build(*world);
  std::string json = RenderGraphJson(graph);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("nav: built graph of world {}: {} nodes, {} edges, {} KB JSON in {:.1f} ms", world_hash,
               graph.node_count(), graph.edge_count(), json.size() / 1024, ms);
  return std::make_shared<const NavEntry>(world_hash, std::move(graph), std::move(json));
}

void NavCache::FinishBuild(const std::string& world_hash, const EntryOr& result) {
  std::vector<Callback> waiters;
  {
    std::lock_guard lock(mu_);
    if (result.ok()) {
      Insert(*result);
    } else {
      ++stats_.build_failures;  // not cached: the next request tries again
    }
    auto it = in_flight_.find(world_hash);
    waiters = std::move(it->second);
    in_flight_.erase(it);
  }
  if (!result.ok()) {
    spdlog::warn("nav: graph of world {} not built: {}", world_hash, result.status().ToString());
  }
  for (Callback& done : waiters) done(result);
}

void NavCache::Insert(std::shared_ptr<const NavEntry> entry) {
  const std::string& hash = entry->world_hash();
  lru_.push_front(std::move(entry));
  index_[hash] = lru_.begin();
  const size_t capacity = std::max<size_t>(1, options_.capacity);
  while (lru_.size() > capacity) {
    index_.erase(lru_.back()->world_hash());
    lru_.pop_back();
    ++stats_.evictions;
  }
}

}  // namespace echelon::nav
