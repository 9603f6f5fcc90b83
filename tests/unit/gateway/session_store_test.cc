#include "gateway/session_store.h"

#include <gtest/gtest.h>

#include "absl/container/flat_hash_set.h"

namespace echelon::gateway {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(SessionStoreTest, ASessionIsFoundUntilItExpires) {
  SessionStore store({.ttl = absl::Hours(1)});
  const Session s = store.Create("alice", "Bearer t", kStart);
  EXPECT_EQ(s.id.size(), 64u);
  EXPECT_EQ(s.expires, kStart + absl::Hours(1));
  auto found = store.Find(s.id, kStart + absl::Minutes(59));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "alice");
  EXPECT_EQ(found->authorization, "Bearer t");
  EXPECT_FALSE(store.Find(s.id, kStart + absl::Hours(1)));
  EXPECT_FALSE(store.Find("not-a-session", kStart));
}

TEST(SessionStoreTest, RemoveLogsOut) {
  SessionStore store({});
  const Session s = store.Create("alice", "Bearer t", kStart);
  EXPECT_TRUE(store.Remove(s.id));
  EXPECT_FALSE(store.Remove(s.id));
  EXPECT_FALSE(store.Find(s.id, kStart));
}

TEST(SessionStoreTest, IdsAreRandomAndNotTheToken) {
  SessionStore store({});
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const Session s = store.Create("alice", "Bearer same", kStart);
    EXPECT_EQ(s.id.find("same"), std::string::npos);
    EXPECT_TRUE(ids.insert(s.id).second);
  }
}

TEST(SessionStoreTest, AFullStoreDropsExpiredSessionsThenTheOneExpiringFirst) {
  SessionStore store({.ttl = absl::Hours(1), .max_sessions = 3});
  const Session a = store.Create("a", "Bearer a", kStart);
  const Session b = store.Create("b", "Bearer b", kStart + absl::Minutes(1));
  const Session c = store.Create("c", "Bearer c", kStart + absl::Minutes(2));
  const Session d = store.Create("d", "Bearer d", kStart + absl::Minutes(3));  // evicts a
  EXPECT_EQ(store.size(), 3u);
  const absl::Time now = kStart + absl::Minutes(4);
  EXPECT_FALSE(store.Find(a.id, now));
  EXPECT_TRUE(store.Find(b.id, now));
  EXPECT_TRUE(store.Find(d.id, now));
  // Later, b and c have expired: both go, d stays.
  const absl::Time later = kStart + absl::Minutes(62) + absl::Seconds(30);
  const Session e = store.Create("e", "Bearer e", later);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_TRUE(store.Find(d.id, later));
  EXPECT_TRUE(store.Find(e.id, later));
  EXPECT_FALSE(store.Find(c.id, later));
}

}  // namespace
}  // namespace echelon::gateway
