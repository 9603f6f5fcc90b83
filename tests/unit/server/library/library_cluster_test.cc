// The cluster-mode pieces of the library that need no NATS server: the
// library change messages and the copy's position file. (The feeder and the
// store over the log are tested end to end: tests/e2e/cluster.)
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "server/library/library_ops.h"
#include "server/library/stream_position.h"

namespace echelon::library {
namespace {

namespace fs = std::filesystem;

TEST(LibraryOps, RoundTripKeepsTheReplayIdByteForByte) {
  for (LibraryOpKind kind : {LibraryOpKind::kPin, LibraryOpKind::kUnpin, LibraryOpKind::kDelete}) {
    const std::string id = "run 7/ep.12\n~x";
    absl::StatusOr<LibraryOp> decoded = DecodeLibraryOp(EncodeLibraryOp({kind, id}));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->kind, kind);
    EXPECT_EQ(decoded->replay_id, id);
  }
  EXPECT_EQ(EncodeLibraryOp({LibraryOpKind::kPin, "r1"}), "pin\nr1");
}

TEST(LibraryOps, RefusesWhatItDoesNotKnow) {
  EXPECT_EQ(DecodeLibraryOp("pin").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeLibraryOp("pin\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeLibraryOp("purge\nr1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeLibraryOp("").status().code(), absl::StatusCode::kInvalidArgument);
}

class StreamPositionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/echelon-position-test-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(StreamPositionTest, StartsAtZeroAndKeepsWhatWasSaved) {
  StreamPosition position(dir_, "ECHELON_REPLAYS 1764500000123000");
  EXPECT_EQ(position.Load(), 0u);
  ASSERT_TRUE(position.Save(41).ok());
  ASSERT_TRUE(position.Save(42).ok());
  EXPECT_EQ(StreamPosition(dir_, "ECHELON_REPLAYS 1764500000123000").Load(), 42u);
  EXPECT_FALSE(fs::exists(dir_ + "/stream-position.tmp"));
}

TEST_F(StreamPositionTest, APositionOfAnotherOrRecreatedStreamIsIgnored) {
  ASSERT_TRUE(StreamPosition(dir_, "ECHELON_REPLAYS 1000").Save(42).ok());
  EXPECT_EQ(StreamPosition(dir_, "ECHELON_REPLAYS 2000").Load(), 0u);
  EXPECT_EQ(StreamPosition(dir_, "OTHER 1000").Load(), 0u);
}

TEST_F(StreamPositionTest, AnUnreadableFileStartsAtZero) {
  std::ofstream(dir_ + "/stream-position") << "ECHELON_REPLAYS 1000\nnot a number\n";
  EXPECT_EQ(StreamPosition(dir_, "ECHELON_REPLAYS 1000").Load(), 0u);
}

TEST_F(StreamPositionTest, SavingIntoAMissingDirectoryIsAnError) {
  EXPECT_FALSE(StreamPosition(dir_ + "/missing", "S 1").Save(1).ok());
}

}  // namespace
}  // namespace echelon::library
