// replay-gen: determinism, the fixture frame schema, size targets, gzip output.
#include "tools/replay_gen/replay_gen.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "clients/cpp/replay.h"
#include "protocol/world_hash.h"
#include "tests/unit/clients/test_util.h"

namespace echelon::replay_gen {
namespace {

using client::testing::FixturePath;
using client::testing::ReadFileOrDie;
using client::testing::TempDir;

std::set<std::string> Keys(const nlohmann::json& object) {
  std::set<std::string> keys;
  for (auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

GenOptions Small(uint64_t seed) {
  GenOptions options;
  options.seed = seed;
  options.frames = 300;
  return options;
}

TEST(ReplayGenTest, SameSeedSameBytesOtherSeedOtherBytes) {
  auto a = GenerateReplay(Small(7));
  auto b = GenerateReplay(Small(7));
  auto c = GenerateReplay(Small(8));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(ReplayGenTest, FramesHaveTheFixtureSchema) {
  const nlohmann::json fixture =
      nlohmann::json::parse(ReadFileOrDie(FixturePath("replays/w100x100x20_s4_p2.replay.json")));
  const nlohmann::json& model = fixture["frames"][0];
  std::map<std::string, std::set<std::string>> fixture_event_keys;
  for (const auto& frame : fixture["frames"]) {
    for (const auto& event : frame["events"]) fixture_event_keys[event["type"]] = Keys(event);
  }

  GenOptions options = Small(3);
  options.frames = 2000;
  const nlohmann::json replay = nlohmann::json::parse(*GenerateReplay(options));
  ASSERT_EQ(replay["frames"].size(), 2000u);
  std::set<std::string> event_types, smoke_keys;
  for (const auto& frame : replay["frames"]) {
    ASSERT_EQ(Keys(frame), Keys(model));
    ASSERT_EQ(Keys(frame["objective"]), Keys(model["objective"]));
    ASSERT_EQ(Keys(frame["objective"]["zone_score"]), Keys(model["objective"]["zone_score"]));
    ASSERT_EQ(frame["mechs"].size(), 10u);
    for (const auto& [id, mech] : frame["mechs"].items()) {
      ASSERT_EQ(Keys(mech), Keys(model["mechs"]["blue_0"])) << id;
      ASSERT_EQ(mech["pos"].size(), 3u);
      ASSERT_TRUE(mech["hp"].is_number_float());
    }
    for (const auto& cloud : frame["smoke_clouds"]) smoke_keys = Keys(cloud);
    for (const auto& event : frame["events"]) {
      const std::string type = event["type"];
      event_types.insert(type);
      if (fixture_event_keys.count(type)) {
        // projectile_hit has "stability" for kinetic weapons only in both.
        std::set<std::string> keys = Keys(event), want = fixture_event_keys[type];
        keys.erase("stability");
        want.erase("stability");
        ASSERT_EQ(keys, want) << event.dump();
      }
    }
  }
  for (const char* type : {"laser_hit", "kinetic_fire", "missile_launch", "explosion", "projectile_hit",
                           "ams_intercept", "paint", "kill", "assist", "smoke"}) {
    EXPECT_TRUE(event_types.count(type)) << type;
  }
  EXPECT_EQ(smoke_keys, (std::set<std::string>{"pos", "radius"}));
}

TEST(ReplayGenTest, WorldIsAValidWorldOfTheRequestedSize) {
  GenOptions options = Small(5);
  options.size = {40, 30, 12};
  options.frames = 1;
  const std::string text = *GenerateReplay(options);
  const nlohmann::json world = nlohmann::json::parse(text)["world"];
  EXPECT_EQ(world["size"], nlohmann::json({40, 30, 12}));
  EXPECT_EQ(world["voxel_size_m"], 1.0);
  EXPECT_EQ(world["meta"]["validator"]["clearance_z"], 4);
  ASSERT_GT(world["walls"].size(), 100u);
  std::set<int> types;
  for (const auto& wall : world["walls"]) {
    ASSERT_EQ(wall.size(), 4u);
    ASSERT_TRUE(wall[0] >= 0 && wall[0] < 40 && wall[1] >= 0 && wall[1] < 30 && wall[2] >= 0 && wall[2] < 12);
    types.insert(wall[3].get<int>());
  }
  EXPECT_TRUE(types.count(1) && types.count(7) && types.count(2));
  EXPECT_TRUE(world::ComputeWorldHash(world.dump()).ok());
}

TEST(ReplayGenTest, TargetSizeIsReachedWithinOneFrame) {
  GenOptions options;
  options.seed = 9;
  options.target_bytes = 2 << 20;
  const std::string text = *GenerateReplay(options);
  EXPECT_GE(text.size(), size_t{2} << 20);
  EXPECT_LT(text.size(), (size_t{2} << 20) + 20000);
}

TEST(ReplayGenTest, GzipFilesAreDeterministicAndLoadable) {
  TempDir dir;
  GenOptions options = Small(11);
  auto first = WriteReplayFile(options, dir.File("a.json.gz"));
  auto second = WriteReplayFile(options, dir.File("b.json.gz"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(ReadFileOrDie(dir.File("a.json.gz")), ReadFileOrDie(dir.File("b.json.gz")));
  auto replay = client::Replay::Load(dir.File("a.json.gz"));
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->frame_count(), static_cast<size_t>(first->frames));
}

TEST(ReplayGenTest, RejectsImpossibleOptions) {
  GenOptions options;  // neither frames nor a target
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options.frames = 1;
  options.size = {2, 100, 20};
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options.size = {10, 10, 10};
  options.mechs_per_team = 0;
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace echelon::replay_gen
