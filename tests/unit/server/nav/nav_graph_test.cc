#include "server/nav/nav_graph.h"

#include <gtest/gtest.h>

#include <tuple>

#include "server/nav/nav_answer.h"
#include "tests/unit/server/nav/nav_fixtures.h"

namespace echelon::nav {
namespace {

using testing::FixtureWorldJson;
using testing::FixtureWorldNames;

NavGraph BuildFixture(const std::string& name) {
  absl::StatusOr<world::WorldModel> world = world::ParseWorld(FixtureWorldJson(name));
  EXPECT_TRUE(world.ok()) << world.status();
  return NavGraph::Build(*world);
}

class NavGraphGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NavGraphGoldenTest, JsonEqualsGolden) {
  const NavGraph graph = BuildFixture(GetParam());
  testing::ExpectGraphJsonMatches(nlohmann::json::parse(RenderGraphJson(graph)), testing::GoldenGraph(GetParam()));
}

// A* breaks priority ties by node number, standing in for the reference's
// (z, y, x) tuples; that only works if node numbers ascend in (z, y, x).
TEST_P(NavGraphGoldenTest, NodeNumbersAscendInZYXOrder) {
  const NavGraph graph = BuildFixture(GetParam());
  ASSERT_GT(graph.node_count(), 0u);
  for (uint32_t n = 1; n < graph.node_count(); ++n) {
    const NodeId a = graph.id(n - 1), b = graph.id(n);
    EXPECT_LT(std::tie(a.z, a.y, a.x), std::tie(b.z, b.y, b.x)) << n;
  }
}

TEST_P(NavGraphGoldenTest, ColumnsHoldEveryNodeInAscendingZ) {
  const NavGraph graph = BuildFixture(GetParam());
  size_t total = 0;
  for (int y = 0; y < graph.size_y(); ++y) {
    for (int x = 0; x < graph.size_x(); ++x) {
      int last_z = -2;
      for (uint32_t node : graph.column(y, x)) {
        const NodeId id = graph.id(node);
        EXPECT_EQ(id.y, y);
        EXPECT_EQ(id.x, x);
        EXPECT_GT(id.z, last_z);
        last_z = id.z;
        ++total;
      }
    }
  }
  EXPECT_EQ(total, graph.node_count());
  EXPECT_TRUE(graph.column(-1, 0).empty());
  EXPECT_TRUE(graph.column(0, graph.size_x()).empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, NavGraphGoldenTest, ::testing::ValuesIn(FixtureWorldNames()),
                         [](const auto& info) { return info.param; });

world::WorldModel FlatWorld(int sx, int sy, int sz) {
  world::WorldModel world;
  world.size_x = sx;
  world.size_y = sy;
  world.size_z = sz;
  return world;
}

TEST(NavGraphTest, EmptyWorldIsAllBedrockMinusTheErodedBorder) {
  const NavGraph graph = NavGraph::Build(FlatWorld(5, 4, 3));
  EXPECT_EQ(graph.node_count(), 3u * 2u);  // x 1..3, y 1..2
  EXPECT_EQ(graph.id(0), (NodeId{-1, 1, 1}));
  EXPECT_DOUBLE_EQ(graph.pos(0).z, 0.0);
}

TEST(NavGraphTest, WallsOutsideTheMapAreIgnored) {
  world::WorldModel world = FlatWorld(5, 5, 3);
  world.walls = {{-1, 2, 0, 1}, {2, 2, 7, 1}, {9, 9, 0, 1}};
  EXPECT_EQ(NavGraph::Build(world).node_count(), 9u);
}

TEST(NavGraphTest, LaterWallWinsAndNonCollidingTypesAreOpen) {
  world::WorldModel world = FlatWorld(5, 5, 3);
  // Cell (2,2,0) becomes open again; bedrock stays walkable everywhere inside.
  world.walls = {{2, 2, 0, 1}, {2, 2, 0, 0}};
  EXPECT_EQ(NavGraph::Build(world).node_count(), 9u);
  // A collision at z = 0 removes the bedrock under it and its 3x3 neighbours.
  world.walls = {{2, 2, 0, 5}};
  EXPECT_EQ(NavGraph::Build(world).node_count(), 0u);
}

TEST(NavGraphTest, UphillEdgesCostMore) {
  // Clearance 1: a floor at z = 0 everywhere and a second floor at z = 2 on
  // the right half, so nodes two levels apart are neighbours.
  world::WorldModel world = FlatWorld(9, 9, 4);
  world.clearance_z = 1;
  world.voxel_size = 2.5;
  for (int y = 0; y < 9; ++y) {
    for (int x = 0; x < 9; ++x) {
      world.walls.push_back({x, y, 0, 1});
      if (x >= 4) world.walls.push_back({x, y, 2, 1});
    }
  }
  const NavGraph graph = NavGraph::Build(world);
  int uphill = 0, downhill = 0;
  for (uint32_t n = 0; n < graph.node_count(); ++n) {
    const auto targets = graph.edge_targets(n);
    const auto costs = graph.edge_costs(n);
    for (size_t i = 0; i < targets.size(); ++i) {
      const NodeId from = graph.id(n), to = graph.id(targets[i]);
      const int dz = to.z - from.z;
      EXPECT_LE(std::abs(dz), 2);
      uphill += dz > 0;
      downhill += dz < 0;
      double expected = world.voxel_size * (to.x != from.x && to.y != from.y ? 1.414 : 1.0);
      if (dz > 0) expected *= 1.2;
      EXPECT_EQ(costs[i], expected);
    }
  }
  EXPECT_GT(uphill, 0);
  EXPECT_GT(downhill, 0);
}

}  // namespace
}  // namespace echelon::nav
