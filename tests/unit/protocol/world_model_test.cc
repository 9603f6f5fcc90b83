#include "protocol/world_model.h"

#include <gtest/gtest.h>

#include <string>

namespace echelon::world {
namespace {

WorldModel ParseOk(std::string_view json) {
  absl::StatusOr<WorldModel> world = ParseWorld(json);
  EXPECT_TRUE(world.ok()) << world.status();
  return world.ok() ? *world : WorldModel{};
}

std::string ErrorOf(std::string_view json, const WorldLimits& limits = {}) {
  absl::StatusOr<WorldModel> world = ParseWorld(json, limits);
  EXPECT_FALSE(world.ok()) << json;
  if (world.ok()) return "";
  EXPECT_EQ(world.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(world.status().message());
}

TEST(ParseWorldTest, OnlySizeAndWallsAreRequired) {
  const WorldModel world = ParseOk(R"({"size":[4,5,6],"walls":[]})");
  EXPECT_EQ(world.size_x, 4);
  EXPECT_EQ(world.size_y, 5);
  EXPECT_EQ(world.size_z, 6);
  EXPECT_EQ(world.voxel_size, 5.0);
  EXPECT_EQ(world.clearance_z, 4);
  EXPECT_TRUE(world.walls.empty());
}

TEST(ParseWorldTest, ReadsVoxelSizeAndClearance) {
  const WorldModel world = ParseOk(
      R"({"voxel_size_m":1.5,"meta":{"x":{"validator":{"clearance_z":9}},"validator":{"type":"v1","clearance_z":3}},)"
      R"("size":[1,1,1],"walls":[]})");
  EXPECT_EQ(world.voxel_size, 1.5);
  EXPECT_EQ(world.clearance_z, 3);
  EXPECT_EQ(ParseOk(R"({"voxel_size_m":2,"size":[1,1,1],"walls":[]})").voxel_size, 2.0);
}

TEST(ParseWorldTest, FreeFormMetaIsIgnored) {
  EXPECT_EQ(ParseOk(R"({"meta":5,"size":[1,1,1],"walls":[]})").clearance_z, 4);
  EXPECT_EQ(ParseOk(R"({"meta":{"validator":null},"size":[1,1,1],"walls":[]})").clearance_z, 4);
}

TEST(ParseWorldTest, ThreeNumberWallHasType1) {
  const WorldModel world = ParseOk(R"({"size":[4,4,4],"walls":[[1,2,3],[3,2,1,0],[0,0,0,255]]})");
  ASSERT_EQ(world.walls.size(), 3u);
  EXPECT_EQ(world.walls[0].x, 1);
  EXPECT_EQ(world.walls[0].y, 2);
  EXPECT_EQ(world.walls[0].z, 3);
  EXPECT_EQ(world.walls[0].type, 1);
  EXPECT_EQ(world.walls[1].type, 0);
  EXPECT_EQ(world.walls[2].type, 255);
}

TEST(ParseWorldTest, WallsOutsideTheMapAreKept) {
  const WorldModel world = ParseOk(R"({"size":[4,4,4],"walls":[[-1,4,2,1],[5,5,200,1],[99999999999,0,0]]})");
  ASSERT_EQ(world.walls.size(), 3u);
  EXPECT_EQ(world.walls[0].x, -1);
  EXPECT_EQ(world.walls[1].z, 200);
  EXPECT_EQ(world.walls[2].x, 99999999999);
}

TEST(ParseWorldTest, IntegralFloatsAreIntegers) {
  const WorldModel world = ParseOk(R"({"size":[4.0,4,4],"walls":[[1.0,2,3e0,4.0]]})");
  EXPECT_EQ(world.size_x, 4);
  EXPECT_EQ(world.walls[0].z, 3);
  EXPECT_EQ(world.walls[0].type, 4);
}

TEST(ParseWorldTest, RejectsVoxelTypeOutside0To255) {
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[0,0,0],[1,1,1,300]]})"), "walls[1]: voxel type 300 outside 0-255");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[1,1,1,-1]]})"), "walls[0]: voxel type -1 outside 0-255");
}

TEST(ParseWorldTest, RejectsMalformedWalls) {
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[1,1]]})"), "walls[0]: expected 3 or 4 integral numbers");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[1,1,1,1,1]]})"), "walls[0]: expected 3 or 4 integral numbers");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[7]})"), "walls[0]: expected 3 or 4 integral numbers");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[1,1.5,1]]})"), "walls[0]: expected an integer");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[1,"1",1]]})"), "walls[0]: expected an integer");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[1,1,123456789012345678901234567890]]})"),
            "walls[0]: integer out of range");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":{}})"), "walls: expected an array");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[199999999999999999999.0,2,1]]})"),
            "walls[0]: integer out of range");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4],"walls":[[1,1,1e400]]})"), "walls[0]: expected an integer");
}

// Floats of 19 or more significant digits are read by value: simdjson 3.0's
// get_number() gives 0.0 for them, which once made such a wall a wall at 0.
TEST(ParseWorldTest, ReadsLongWholeFloatsByValue) {
  const WorldModel world = ParseOk(
      R"({"size":[4,4,4],"walls":[[1000000000000000000.0,2.0000000000000000000,3],[1,1,1,4.0000000000000000000]]})");
  ASSERT_EQ(world.walls.size(), 2u);
  EXPECT_EQ(world.walls[0].x, 1000000000000000000);
  EXPECT_EQ(world.walls[0].y, 2);
  EXPECT_EQ(world.walls[1].type, 4);
}

TEST(ParseWorldTest, RejectsMissingOrBadSize) {
  EXPECT_EQ(ErrorOf(R"({"walls":[]})"), "size: required");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4]})"), "walls: required");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4],"walls":[]})"), "size: expected an array of 3 positive integers");
  EXPECT_EQ(ErrorOf(R"({"size":[4,4,4,4],"walls":[]})"), "size: expected an array of 3 positive integers");
  EXPECT_EQ(ErrorOf(R"({"size":[4,0,4],"walls":[]})"), "size[1]: must be positive");
  EXPECT_EQ(ErrorOf(R"({"size":"big","walls":[]})"), "size: expected an array of 3 positive integers");
}

TEST(ParseWorldTest, EnforcesLimits) {
  WorldLimits limits;
  limits.max_dimension = 100;
  limits.max_cells = 1000;
  limits.max_walls = 2;
  EXPECT_EQ(ErrorOf(R"({"size":[101,1,1],"walls":[]})", limits), "size[0]: 101 exceeds the limit of 100");
  EXPECT_EQ(ErrorOf(R"({"size":[100,100,1],"walls":[]})", limits), "size: 10000 cells exceed the limit of 1000");
  EXPECT_EQ(ErrorOf(R"({"size":[10,10,10],"walls":[[1,1,1],[1,1,1],[1,1,1]]})", limits), "walls: more than 2 walls");
}

TEST(ParseWorldTest, RejectsBadOptionalFields) {
  EXPECT_EQ(ErrorOf(R"({"size":[1,1,1],"walls":[],"voxel_size_m":0})"), "voxel_size_m: expected a positive number");
  EXPECT_EQ(ErrorOf(R"({"size":[1,1,1],"walls":[],"voxel_size_m":"5"})"), "voxel_size_m: expected a positive number");
  EXPECT_EQ(ErrorOf(R"({"size":[1,1,1],"walls":[],"meta":{"validator":{"clearance_z":2.5}}})"),
            "meta.validator.clearance_z: expected an integer");
}

TEST(ParseWorldTest, HugeIntegersElsewhereAreAccepted) {
  const WorldModel world = ParseOk(
      R"({"seed":123456789012345678901234567890123456789,"size":[2,2,2],)"
      R"("meta":{"big":[-99999999999999999999999999],"validator":{"clearance_z":2}},"walls":[[1,1,1]],)"
      R"("spawn_clear":1e400})");
  EXPECT_EQ(world.clearance_z, 2);
  EXPECT_EQ(world.walls.size(), 1u);
}

TEST(ParseWorldTest, LaterDuplicateKeyWins) {
  const WorldModel world = ParseOk(R"({"size":[1,1,1],"walls":[[0,0,0]],"size":[3,3,3],"walls":[]})");
  EXPECT_EQ(world.size_x, 3);
  EXPECT_TRUE(world.walls.empty());
}

// As in Python's json.loads, a later "meta" or "validator" replaces the
// earlier one whole, so a clearance it does not repeat is back to the default.
// (Found while writing fuzz_world_model's invariant: the canonical text of such
// a world parsed to another clearance.)
TEST(ParseWorldTest, LaterMetaOrValidatorReplacesTheClearance) {
  EXPECT_EQ(ParseOk(R"({"meta":{"validator":{"clearance_z":2}},"meta":{},"size":[1,1,1],"walls":[]})").clearance_z,
            4);
  EXPECT_EQ(ParseOk(R"({"meta":{"validator":{"clearance_z":2}},"meta":7,"size":[1,1,1],"walls":[]})").clearance_z,
            4);
  EXPECT_EQ(ParseOk(R"({"meta":{"validator":{"clearance_z":2},"validator":{"type":"v1"}},"size":[1,1,1],)"
                    R"("walls":[]})")
                .clearance_z,
            4);
  EXPECT_EQ(ParseOk(R"({"meta":{"validator":{"clearance_z":2}},"meta":{"validator":{"clearance_z":6}},)"
                    R"("size":[1,1,1],"walls":[]})")
                .clearance_z,
            6);
}

TEST(ParseWorldTest, RejectsInvalidJson) {
  EXPECT_EQ(ErrorOf("[1,2]"), "world: expected a JSON object");
  EXPECT_NE(ErrorOf("{not json").find("world: invalid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"size":[1,1,1],"walls":[])").find("world: "), std::string::npos);
  EXPECT_NE(ErrorOf(""), "");
}

}  // namespace
}  // namespace echelon::world
