#include "server/world/world_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/gzip.h"
#include "common/status_util.h"
#include "protocol/json_text.h"
#include "protocol/world_hash.h"
#include "spdlog/spdlog.h"

namespace echelon::world {
const std::string& StoredWorld::gzipped() const {
  std::call_once(gzip_once_, [this] { gzipped_ = GzipCompress(json_); });
  return gzipped_;
}

WorldStore::WorldStore(WorldStoreOptions options) : options_(std::move(options)) {}

absl::StatusOr<WorldPutResult> WorldStore::Put(std::string_view json_text,
                                               std::string_view claimed_hash) {
  ECHELON_ASSIGN_OR_RETURN(std::string hash, ComputeWorldHash(json_text));
  if (!claimed_hash.empty() && claimed_hash != hash) {
    return absl::FailedPreconditionError(absl::StrCat(
        "world hash mismatch: the request names ", std::string(claimed_hash), " but the body hashes to ", hash));
  }
  if (HasLocal(hash)) return WorldPutResult{hash, false};

  ECHELON_RETURN_IF_ERROR(ParseWorld(json_text, options_.world_limits).status());
  // Worlds arrive pretty-printed from some producers; they are stored and
  // served compact. Minifying text (not re-encoding) keeps every number as written.
  auto world = std::make_shared<const StoredWorld>(hash, json::MinifyJson(json_text));
  // Shared first: a world this core keeps is always one every core can load.
  if (options_.shared) ECHELON_RETURN_IF_ERROR(options_.shared->save(hash, world->json()));
  {
    absl::MutexLock lock(&mu_);
    if (index_.contains(hash)) return WorldPutResult{hash, false};
    InsertLocked(world);
  }
  spdlog::info("world {} stored ({} bytes)", hash, world->json().size());
  return WorldPutResult{hash, true};
}

absl::StatusOr<std::shared_ptr<const StoredWorld>> WorldStore::Get(std::string_view hash) {
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(std::string(hash));
    if (it != index_.end()) {
      ++hits_;
      lru_.splice(lru_.begin(), lru_, it->second);
      return *it->second;
    }
    ++misses_;
  }
  if (options_.shared) return LoadShared(hash);
  return absl::NotFoundError(absl::StrCat("world ", std::string(hash), " is not stored"));
}

absl::StatusOr<std::shared_ptr<const StoredWorld>> WorldStore::LoadShared(std::string_view hash) {
  ECHELON_ASSIGN_OR_RETURN(std::string json, options_.shared->load(std::string(hash)));
  // Written by a core after validation; the hash check catches a damaged value.
  ECHELON_ASSIGN_OR_RETURN(std::string computed, ComputeWorldHash(json));
  if (computed != hash) {
    return absl::DataLossError(absl::StrCat("the shared store's world ", std::string(hash), " hashes to ", computed));
  }
  auto world = std::make_shared<const StoredWorld>(std::move(computed), std::move(json));
  absl::MutexLock lock(&mu_);
  auto it = index_.find(world->hash());
  if (it != index_.end()) return *it->second;
  InsertLocked(world);
  return world;
}

bool WorldStore::Has(std::string_view hash) { return HasLocal(hash) || (options_.shared && Get(hash).ok()); }

bool WorldStore::HasLocal(std::string_view hash) {
  absl::MutexLock lock(&mu_);
  return index_.contains(std::string(hash));
}

WorldStoreStats WorldStore::stats() const {
  absl::MutexLock lock(&mu_);
  return WorldStoreStats{lru_.size(), bytes_, hits_, misses_};
}

void WorldStore::InsertLocked(std::shared_ptr<const StoredWorld> world) {
  bytes_ += world->json().size();
  lru_.push_front(world);
  index_.emplace(world->hash(), lru_.begin());
  EvictLocked();
}

void WorldStore::EvictLocked() {
  // Never evict the world just inserted, even when it alone exceeds max_bytes.
  while (lru_.size() > 1 && (lru_.size() > options_.max_worlds || bytes_ > options_.max_bytes)) {
    const std::shared_ptr<const StoredWorld>& oldest = lru_.back();
    spdlog::info("world {} evicted from the store", oldest->hash());
    bytes_ -= oldest->json().size();
    index_.erase(oldest->hash());
    lru_.pop_back();
  }
}

}  // namespace echelon::world
