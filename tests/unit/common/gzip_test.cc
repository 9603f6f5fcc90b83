#include "common/gzip.h"

#include <gtest/gtest.h>

namespace echelon {
namespace {

TEST(GzipTest, RoundTrips) {
  std::string data(100000, 'x');
  data += "tail";
  const std::string packed = GzipCompress(data);
  EXPECT_TRUE(LooksGzipped(packed));
  auto unpacked = GunzipBounded(packed, data.size());
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(*unpacked, data);
}

TEST(GzipTest, BombIsStoppedAtTheBound) {
  const std::string bomb = GzipCompress(std::string(50 << 20, '\0'), 9);
  EXPECT_LT(bomb.size(), 100u << 10);
  auto unpacked = GunzipBounded(bomb, 1 << 20);
  EXPECT_EQ(unpacked.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(GzipTest, CorruptDataIsInvalidArgument) {
  std::string packed = GzipCompress("hello world hello world");
  packed.resize(packed.size() - 6);
  EXPECT_EQ(GunzipBounded(packed, 1000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GunzipBounded("not gzip at all", 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace echelon
