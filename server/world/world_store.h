// WorldStore: the worlds the server knows, keyed by content hash.
//
// A world is validated (canonical hash recomputed, ParseWorld limits) once on
// Put and then kept as compact JSON text, which is what every reader wants:
// GET /worlds/{hash}, replay_start events and the nav graph builder. Entries
// are immutable and handed out as shared_ptr, so an evicted world stays alive
// for whoever still holds it. Eviction is LRU by count and by total bytes.
//
// Thread-safe; every method may be called from any thread.
//
//   WorldStore store({.max_worlds = 32});
//   absl::StatusOr<WorldPutResult> put = store.Put(body, hash_from_url);
//   std::shared_ptr<const StoredWorld> w = store.Get(hash).value();
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "protocol/world_model.h"

namespace echelon::world {

// One stored world. Immutable but for the lazily built gzip copy.
class StoredWorld {
 public:
  StoredWorld(std::string hash, std::string json) : hash_(std::move(hash)), json_(std::move(json)) {}

  const std::string& hash() const { return hash_; }
  // Compact JSON text of the world.
  const std::string& json() const { return json_; }
  // json() gzipped, compressed on first use and then shared.
  const std::string& gzipped() const;

 private:
  std::string hash_;
  std::string json_;
  mutable std::once_flag gzip_once_;
  mutable std::string gzipped_;
};

// A store shared by several cores (cluster mode: the NATS KV bucket,
// cluster/world_bucket.h). Put() saves every new world there before keeping it,
// and Get() falls back to it, so a world put through one core is served by all.
struct SharedWorlds {
  std::function<absl::Status(const std::string& hash, const std::string& json)> save;
  // NotFound when no core stored it.
  std::function<absl::StatusOr<std::string>(const std::string& hash)> load;
};

struct WorldStoreOptions {
  size_t max_worlds = 32;
  size_t max_bytes = 512u << 20;
  WorldLimits world_limits;
  // Unset: this process's worlds only.
  std::optional<SharedWorlds> shared;
};

struct WorldPutResult {
  std::string hash;
  bool created = false;
};

struct WorldStoreStats {
  size_t worlds = 0;
  size_t bytes = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};

class WorldStore {
 public:
  explicit WorldStore(WorldStoreOptions options);

  // Validates and stores `json_text`. When `claimed_hash` is not empty it must
  // equal the recomputed hash (FailedPrecondition otherwise: HTTP 400).
  // InvalidArgument for JSON that is not a valid world.
  [[nodiscard]] absl::StatusOr<WorldPutResult> Put(std::string_view json_text,
                                                   std::string_view claimed_hash);

  // NotFound when the hash is not stored (here or in the shared store).
  // Counts as a use for LRU.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const StoredWorld>> Get(std::string_view hash);

  bool Has(std::string_view hash);
  WorldStoreStats stats() const;

 private:
  using LruList = std::list<std::shared_ptr<const StoredWorld>>;

  bool HasLocal(std::string_view hash);
  // A world another core stored, kept here from now on.
  absl::StatusOr<std::shared_ptr<const StoredWorld>> LoadShared(std::string_view hash);
  void InsertLocked(std::shared_ptr<const StoredWorld> world) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WorldStoreOptions options_;
  mutable absl::Mutex mu_;
  LruList lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  absl::flat_hash_map<std::string, LruList::iterator> index_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace echelon::world
