// The nav graph cache: an LRU of built graphs keyed by world hash (default 8
// entries), each holding the graph, its /nav/graph JSON rendered once, and
// that JSON gzipped once (lazily, on the first request that wants gzip).
//
// Misses are single-flight: concurrent requests for the same world share one
// build and all receive its result (or its error; failures are not cached).
// Builds run on the cache's own builder threads, never on the caller's thread
// and never under the cache lock; the world JSON comes from `WorldSource`.
//
//   auto cache = std::make_shared<NavCache>(
//       [&store](const std::string& hash) { return store.GetJson(hash); });
//   cache->GetAsync(hash, [](NavCache::EntryOr entry) {   // callback style
//     if (entry.ok()) Send(*(*entry)->graph_json());
//   });
//   NavCache::EntryOr entry = cache->Get(hash);             // blocking style
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "server/nav/nav_graph.h"
#include "protocol/world_model.h"

namespace echelon::nav {

// One cached world: immutable except for the gzip rendering made on demand.
class NavEntry {
 public:
  NavEntry(std::string world_hash, NavGraph graph, std::string graph_json);

  const std::string& world_hash() const { return world_hash_; }
  const NavGraph& graph() const { return graph_; }
  // The /nav/graph answer. Shared so a response can hold it without a copy.
  const std::shared_ptr<const std::string>& graph_json() const { return graph_json_; }
  // The same bytes gzipped: compressed on the first call (others wait for
  // it), then reused. Prefer NavCache::GetAsync(.., need_gzip) on request
  // threads, which compresses on a builder thread.
  std::shared_ptr<const std::string> graph_json_gzip() const;
  bool has_gzip() const;

 private:
  const std::string world_hash_;
  const NavGraph graph_;
  const std::shared_ptr<const std::string> graph_json_;
  mutable std::once_flag gzip_once_;
  mutable std::shared_ptr<const std::string> gzip_;  // set once, under gzip_once_
  mutable std::atomic<bool> gzip_ready_ = false;
};

struct NavCacheOptions {
  size_t capacity = 8;  // graphs kept; at least 1
  int builder_threads = 1;
  world::WorldLimits limits;
};

struct NavCacheStats {
  uint64_t hits = 0;            // answered from a cached entry
  uint64_t misses = 0;          // had to wait for a build (started or joined)
  uint64_t builds = 0;          // builds started
  uint64_t build_failures = 0;  // builds that ended in an error
  uint64_t evictions = 0;
  size_t size = 0;              // entries cached now
};

namespace internal {
class WorkQueue;
}

class NavCache {
 public:
  // Returns the stored world JSON for a hash, or NotFound. Called on a
  // builder thread.
  using WorldSource =
      std::function<absl::StatusOr<std::shared_ptr<const std::string>>(const std::string& world_hash)>;
  using EntryOr = absl::StatusOr<std::shared_ptr<const NavEntry>>;
  using Callback = std::function<void(EntryOr)>;

  explicit NavCache(WorldSource source, NavCacheOptions options = {});
  // Finishes queued builds (every waiter is answered), then stops the builders.
  ~NavCache();
  NavCache(const NavCache&) = delete;
  NavCache& operator=(const NavCache&) = delete;

  // Calls `done` exactly once with the entry or the build's error: right away
  // on this thread when cached, otherwise on a builder thread. With
  // `need_gzip`, the entry's gzip rendering is ready when `done` runs.
  // `done` must not block on this cache (e.g. call Get): it may run on a
  // builder thread.
  void GetAsync(const std::string& world_hash, Callback done, bool need_gzip = false);

  // Blocking form of GetAsync, for callers that may wait (tools, tests).
  [[nodiscard]] EntryOr Get(const std::string& world_hash, bool need_gzip = false);

  NavCacheStats stats() const;

 private:
  void StartBuild(const std::string& world_hash);
  [[nodiscard]] EntryOr BuildEntry(const std::string& world_hash) const;
  void FinishBuild(const std::string& world_hash, const EntryOr& result);
  void Insert(std::shared_ptr<const NavEntry> entry);  // requires mu_
  Callback WithGzip(Callback done);

  const WorldSource source_;
  const NavCacheOptions options_;

  mutable std::mutex mu_;
  // Most recently used first.
  std::list<std::shared_ptr<const NavEntry>> lru_;
  std::unordered_map<std::string, std::list<std::shared_ptr<const NavEntry>>::iterator> index_;
  // Waiters of each build in flight.
  std::unordered_map<std::string, std::vector<Callback>> in_flight_;
  NavCacheStats stats_;

  // Last member: destroyed first, so its threads finish while the rest lives.
  std::unique_ptr<internal::WorkQueue> builders_;
};

}  // namespace echelon::nav
