// Replay files: indexing, gzip, chunk slicing (no re-encoding), errors.
#include "clients/cpp/replay.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/gzip.h"
#include "tests/unit/clients/test_util.h"

namespace echelon::client {
namespace {

using testing::FixturePath;
using testing::ReadFileOrDie;
using testing::TempDir;

constexpr char kFixture[] = "replays/w100x100x20_s4_p2.replay.json";

nlohmann::json ConcatenatedChunks(const Replay& replay, int chunk_frames) {
  nlohmann::json frames = nlohmann::json::array();
  for (int i = 0; i < replay.ChunkCount(chunk_frames); ++i) {
    for (auto& frame : nlohmann::json::parse(replay.ChunkFramesJson(i, chunk_frames))) frames.push_back(frame);
  }
  return frames;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

TEST(ReplayTest, IndexesFixtureReplay) {
  const nlohmann::json expected = nlohmann::json::parse(ReadFileOrDie(FixturePath(kFixture)));
  auto replay = Replay::Load(FixturePath(kFixture));
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->frame_count(), expected["frames"].size());
  EXPECT_EQ(nlohmann::json::parse(replay->world_json()), expected["world"]);
  EXPECT_EQ(nlohmann::json::parse(replay->frame_json(17)), expected["frames"][17]);
  EXPECT_TRUE(replay->meta_json().empty());
  EXPECT_TRUE(replay->run_json().empty());
}

TEST(ReplayTest, ChunksConcatenateToTheOriginalFrames) {
  const nlohmann::json expected = nlohmann::json::parse(ReadFileOrDie(FixturePath(kFixture)))["frames"];
  auto replay = Replay::Load(FixturePath(kFixture));
  ASSERT_TRUE(replay.ok()) << replay.status();
  for (int chunk_frames : {1, 7, 100, 480, 1000}) {
    SCOPED_TRACE(chunk_frames);
    EXPECT_EQ(replay->ChunkCount(chunk_frames), (480 + chunk_frames - 1) / chunk_frames);
    EXPECT_EQ(ConcatenatedChunks(*replay, chunk_frames), expected);
  }
}

TEST(ReplayTest, ChunksAreMinifiedSlicesNotReencodings) {
  // Pretty-printed input with numbers in a form a re-encoder would change.
  auto replay = Replay::Parse(R"({
    "frames": [
      {"t": 0.25, "x": 1E2, "s": "a, b: c"},
      {"t": 0.50, "x": -0.0}
    ],
    "world": {"size": [4, 4, 4], "walls": []}
  })");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->ChunkFramesJson(0, 10), R"([{"t":0.25,"x":1E2,"s":"a, b: c"},{"t":0.50,"x":-0.0}])");
  EXPECT_EQ(replay->ChunkFramesJson(1, 1), R"([{"t":0.50,"x":-0.0}])");
}

TEST(ReplayTest, KeepsMetaAndRun) {
  auto replay = Replay::Parse(
      R"({"world":{"size":[4,4,4],"walls":[]},"meta":{"episode":42},"run":{"name":"ppo"},"frames":[{}]})");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->meta_json(), R"({"episode":42})");
  EXPECT_EQ(replay->run_json(), R"({"name":"ppo"})");
  EXPECT_EQ(replay->frame_count(), 1u);
}

TEST(ReplayTest, LoadsGzippedFiles) {
  TempDir dir;
  const std::string text = ReadFileOrDie(FixturePath(kFixture));
  WriteFile(dir.File("r.json.gz"), GzipCompress(text));
  // The gzip magic decides, not the name.
  WriteFile(dir.File("r.json"), GzipCompress(text));
  for (const char* name : {"r.json.gz", "r.json"}) {
    auto replay = Replay::Load(dir.File(name));
    ASSERT_TRUE(replay.ok()) << replay.status();
    EXPECT_EQ(replay->frame_count(), 480u);
  }
}

TEST(ReplayTest, ReportsInputErrors) {
  TempDir dir;
  EXPECT_EQ(Replay::Load(dir.File("missing.json")).status().code(), absl::StatusCode::kNotFound);
  WriteFile(dir.File("corrupt.json.gz"), GzipCompress("{\"world\":{}}").substr(0, 12));
  EXPECT_EQ(Replay::Load(dir.File("corrupt.json.gz")).status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* text : {
           "", "not json", "[1,2]", R"({"frames":[]})", R"({"world":{}})", R"({"world":[],"frames":[]})",
           R"({"world":{},"frames":{}})", R"({"world":{},"frames":[1]})", R"({"world":{},"frames":[{})"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Replay::Parse(text).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ReplayTest, EmptyFramesArrayIsAReplayWithoutChunks) {
  auto replay = Replay::Parse(R"({"world":{"size":[4,4,4],"walls":[]},"frames":[]})");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->frame_count(), 0u);
  EXPECT_EQ(replay->ChunkCount(100), 0);
}

}  // namespace
}  // namespace echelon::client
