#include "server/nav/nav_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>

#include "common/gzip.h"
#include "tests/unit/server/nav/nav_fixtures.h"

namespace echelon::nav {
namespace {

std::shared_ptr<const std::string> SmallWorld(int variant) {
  return std::make_shared<const std::string>(
      R"({"size":[8,8,3],"walls":[[)" + std::to_string(variant % 8) + R"(,3,0,1]]})");
}

// A world source that holds every build until Open(), so a test can line up
// concurrent requests deterministically. Counts its calls.
class GatedSource {
 public:
  explicit GatedSource(std::map<std::string, std::shared_ptr<const std::string>> worlds)
      : inner_(testing::MapSource(std::move(worlds))) {}

  absl::StatusOr<std::shared_ptr<const std::string>> operator()(const std::string& hash) {
    ++calls_;
    std::unique_lock lock(mu_);
    opened_.wait(lock, [this] { return open_; });
    return inner_(hash);
  }

  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    opened_.notify_all();
  }

  int calls() const { return calls_; }

 private:
  NavCache::WorldSource inner_;
  std::mutex mu_;
  std::condition_variable opened_;
  bool open_ = false;
  std::atomic<int> calls_ = 0;
};

NavCache::WorldSource Use(const std::shared_ptr<GatedSource>& source) {
  return [source](const std::string& hash) { return (*source)(hash); };
}

// Issues `n` GetAsync calls for `hash` from `n` threads at once, opens the
// gate once all are registered, and returns what each caller received.
std::vector<NavCache::EntryOr> ConcurrentFirstRequests(NavCache& cache, GatedSource& source,
                                                       const std::string& hash, int n) {
  std::vector<NavCache::EntryOr> results(n, absl::UnknownError("no answer"));
  std::latch answered(n);
  {
    std::latch start(n);
    std::vector<std::jthread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();  // maximise overlap
        cache.GetAsync(hash, [&, i](NavCache::EntryOr entry) {
          results[i] = std::move(entry);
          answered.count_down();
        });
      });
    }
  }  // joined: every request is registered, none answered (the gate is shut)
  EXPECT_EQ(cache.stats().misses, static_cast<uint64_t>(n));
  source.Open();
  answered.wait();
  return results;
}

TEST(NavCacheTest, ConcurrentFirstRequestsBuildOnce) {
  auto worlds = testing::FixtureWorldsByHash();
  const std::string hash = worlds.begin()->first;
  auto source = std::make_shared<GatedSource>(worlds);
  NavCache cache(Use(source));

  const auto results = ConcurrentFirstRequests(cache, *source, hash, 8);
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->get(), results[0]->get());  // the very same entry
  }
  EXPECT_EQ(source->calls(), 1);
  NavCacheStats stats = cache.stats();
  EXPECT_EQ(stats.builds, 1u);
  EXPECT_EQ(stats.misses, 8u);
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.size, 1u);

  ASSERT_TRUE(cache.Get(hash).ok());
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().builds, 1u);
}

TEST(NavCacheTest, FailedBuildReachesEveryWaiterAndIsNotCached) {
  auto source = std::make_shared<GatedSource>(
      std::map<std::string, std::shared_ptr<const std::string>>{{"bad", std::make_shared<const std::string>("{not json")}});
  NavCache cache(Use(source));

  const auto results = ConcurrentFirstRequests(cache, *source, "bad", 8);
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(result.status(), results[0].status());
  }
  EXPECT_EQ(cache.stats().size, 0u);
  EXPECT_EQ(cache.stats().builds, 1u);
  EXPECT_EQ(cache.stats().build_failures, 1u);

  // Not cached: the next request builds (and fails) again.
  EXPECT_EQ(cache.Get("bad").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.stats().builds, 2u);
  EXPECT_EQ(source->calls(), 2);
}

TEST(NavCacheTest, UnknownWorldIsNotFound) {
  NavCache cache(testing::MapSource({}));
  EXPECT_EQ(cache.Get("0123456789abcdef").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cache.stats().size, 0u);
}

class NavCacheLruTest : public ::testing::Test {
 protected:
  NavCacheLruTest() {
    std::map<std::string, std::shared_ptr<const std::string>> worlds;
    for (int i = 0; i < 9; ++i) worlds["w" + std::to_string(i)] = SmallWorld(i);
    cache_ = std::make_unique<NavCache>(testing::MapSource(worlds));  // default capacity 8
  }

  void Load(const std::string& hash) { ASSERT_TRUE(cache_->Get(hash).ok()) << hash; }

  std::unique_ptr<NavCache> cache_;
};

TEST_F(NavCacheLruTest, NinthWorldEvictsTheFirst) {
  for (int i = 0; i < 9; ++i) Load("w" + std::to_string(i));
  NavCacheStats stats = cache_->stats();
  EXPECT_EQ(stats.size, 8u);
  EXPECT_EQ(stats.builds, 9u);
  EXPECT_EQ(stats.evictions, 1u);

  for (int i = 1; i < 9; ++i) Load("w" + std::to_string(i));  // all still cached
  EXPECT_EQ(cache_->stats().builds, 9u);
  EXPECT_EQ(cache_->stats().hits, 8u);

  Load("w0");  // evicted: built again
  EXPECT_EQ(cache_->stats().builds, 10u);
}

TEST_F(NavCacheLruTest, UseRefreshesRecency) {
  for (int i = 0; i < 8; ++i) Load("w" + std::to_string(i));
  Load("w0");  // hit: w1 is now the least recently used
  Load("w8");
  const uint64_t builds = cache_->stats().builds;
  Load("w0");
  EXPECT_EQ(cache_->stats().builds, builds);
  Load("w1");
  EXPECT_EQ(cache_->stats().builds, builds + 1);
}

TEST(NavCacheTest, CapacityIsConfigurable) {
  std::map<std::string, std::shared_ptr<const std::string>> worlds;
  for (int i = 0; i < 3; ++i) worlds["w" + std::to_string(i)] = SmallWorld(i);
  NavCache cache(testing::MapSource(worlds), NavCacheOptions{.capacity = 2});
  for (const auto& [hash, json] : worlds) ASSERT_TRUE(cache.Get(hash).ok());
  EXPECT_EQ(cache.stats().size, 2u);
}

TEST(NavCacheTest, GzipIsMadeOnceAndInflatesToTheJson) {
  auto worlds = testing::FixtureWorldsByHash();
  const std::string hash = worlds.begin()->first;
  NavCache cache(testing::MapSource(worlds));

  NavCache::EntryOr plain = cache.Get(hash);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->has_gzip());  // lazily, on the first gzip request

  NavCache::EntryOr zipped = cache.Get(hash, /*need_gzip=*/true);
  ASSERT_TRUE(zipped.ok());
  ASSERT_TRUE((*zipped)->has_gzip());
  const auto gzip = (*zipped)->graph_json_gzip();
  EXPECT_EQ(gzip.get(), (*zipped)->graph_json_gzip().get());
  absl::StatusOr<std::string> inflated = GunzipBounded(*gzip, 64 << 20);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, *(*zipped)->graph_json());
  EXPECT_LT(gzip->size(), (*zipped)->graph_json()->size());
}

TEST(NavCacheTest, DestructionAnswersQueuedBuilds) {
  auto worlds = testing::FixtureWorldsByHash();
  std::atomic<int> answered = 0;
  {
    NavCache cache(testing::MapSource(worlds));
    for (const auto& [hash, json] : worlds) {
      cache.GetAsync(hash, [&answered](NavCache::EntryOr entry) {
        EXPECT_TRUE(entry.ok());
        ++answered;
      });
    }
  }
  EXPECT_EQ(answered, static_cast<int>(worlds.size()));
}

}  // namespace
}  // namespace echelon::nav
