#include "server/world/world_store.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/gzip.h"
#include "protocol/world_hash.h"

namespace echelon::world {
namespace {

std::string World(int seed, int walls = 1) {
  std::string json = absl::StrCat(R"({"size":[4,4,4],"seed":)", seed, R"(,"walls":[)");
  for (int i = 0; i < walls; ++i) absl::StrAppend(&json, i ? "," : "", "[0,0,0,1]");
  return json + "]}";
}

TEST(WorldStoreTest, PutRecomputesTheHashAndStoresCompactJson) {
  WorldStore store({});
  const std::string pretty = "{\n  \"size\": [4, 4, 4],\n  \"walls\": [[1, 2, 3]]\n}";
  auto put = store.Put(pretty, "");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_TRUE(put->created);
  auto world = store.Get(put->hash);
  ASSERT_TRUE(world.ok());
  EXPECT_EQ((*world)->json(), R"({"size":[4,4,4],"walls":[[1,2,3]]})");
  EXPECT_EQ(*GunzipBounded((*world)->gzipped(), 1 << 20), (*world)->json());
  EXPECT_FALSE(store.Put(pretty, put->hash)->created);
}

TEST(WorldStoreTest, WrongHashIsFailedPreconditionAndInvalidWorldIsInvalidArgument) {
  WorldStore store({});
  EXPECT_EQ(store.Put(World(1), "0123456789abcdef").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.Put(R"({"walls":[]})", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Put("not json", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Get("0123456789abcdef").status().code(), absl::StatusCode::kNotFound);
}

TEST(WorldStoreTest, EvictsTheLeastRecentlyUsedByCount) {
  WorldStore store({.max_worlds = 3});
  std::vector<std::string> hashes;
  for (int i = 0; i < 3; ++i) hashes.push_back(store.Put(World(i), "")->hash);
  ASSERT_TRUE(store.Get(hashes[0]).ok());  // 1 is now the least recently used
  const std::string fourth = store.Put(World(3), "")->hash;
  EXPECT_TRUE(store.Has(hashes[0]));
  EXPECT_FALSE(store.Has(hashes[1]));
  EXPECT_TRUE(store.Has(hashes[2]));
  EXPECT_TRUE(store.Has(fourth));
  EXPECT_EQ(store.stats().worlds, 3u);
}

TEST(WorldStoreTest, EvictsByTotalBytesButKeepsTheNewest) {
  const size_t one = World(0, 100).size();
  WorldStore store({.max_worlds = 100, .max_bytes = one * 2 + one / 2});
  const std::string a = store.Put(World(0, 100), "")->hash;
  const std::string b = store.Put(World(1, 100), "")->hash;
  const std::string c = store.Put(World(2, 100), "")->hash;
  EXPECT_FALSE(store.Has(a));
  EXPECT_TRUE(store.Has(b));
  EXPECT_TRUE(store.Has(c));
  WorldStore tiny({.max_worlds = 100, .max_bytes = 10});
  const std::string big = tiny.Put(World(5, 100), "")->hash;
  EXPECT_TRUE(tiny.Has(big));
}

TEST(WorldStoreTest, AnEvictedWorldStaysAliveForItsHolders) {
  WorldStore store({.max_worlds = 1});
  const std::string a = store.Put(World(0), "")->hash;
  auto held = *store.Get(a);
  store.Put(World(1), "");
  EXPECT_FALSE(store.Has(a));
  EXPECT_EQ(held->hash(), a);
  EXPECT_FALSE(held->json().empty());
}

}  // namespace
}  // namespace echelon::world

namespace echelon::world {
namespace {

// Two cores' stores over one shared map, as the NATS bucket makes them.
TEST(WorldStoreTest, SharedWorldsReachEveryStore) {
  auto shared_map = std::make_shared<std::map<std::string, std::string>>();
  SharedWorlds shared{
      .save = [shared_map](const std::string& hash, const std::string& json) {
        (*shared_map)[hash] = json;
        return absl::OkStatus();
      },
      .load = [shared_map](const std::string& hash) -> absl::StatusOr<std::string> {
        auto it = shared_map->find(hash);
        if (it == shared_map->end()) return absl::NotFoundError("no such world");
        return it->second;
      }};
  WorldStore a({.shared = shared});
  WorldStore b({.shared = shared});
  auto put = a.Put(World(7), "");
  ASSERT_TRUE(put.ok());
  EXPECT_TRUE(b.Has(put->hash));
  auto got = b.Get(put->hash);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->json(), (*a.Get(put->hash))->json());
  EXPECT_EQ(b.Get("0123456789abcdef").status().code(), absl::StatusCode::kNotFound);
  // A damaged shared value is refused, not served.
  (*shared_map)[put->hash] = World(8);
  WorldStore c({.shared = shared});
  EXPECT_EQ(c.Get(put->hash).status().code(), absl::StatusCode::kDataLoss);
}

TEST(WorldStoreTest, AWorldTheSharedStoreRefusedIsNotKept) {
  SharedWorlds shared{.save = [](const std::string&, const std::string&) { return absl::UnavailableError("down"); },
                      .load = [](const std::string&) -> absl::StatusOr<std::string> {
                        return absl::NotFoundError("none");
                      }};
  WorldStore store({.shared = shared});
  auto put = store.Put(World(3), "");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store.Has(*ComputeWorldHash(World(3))));
}

}  // namespace
}  // namespace echelon::world
