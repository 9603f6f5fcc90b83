#include "server/nav/astar.h"

#include <gtest/gtest.h>

#include <limits>

#include "server/nav/nav_answer.h"
#include "tests/unit/server/nav/nav_fixtures.h"

namespace echelon::nav {
namespace {

NavGraph BuildFixture(const std::string& name) {
  absl::StatusOr<world::WorldModel> world = world::ParseWorld(testing::FixtureWorldJson(name));
  EXPECT_TRUE(world.ok()) << world.status();
  return NavGraph::Build(*world);
}

class AStarGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AStarGoldenTest, EveryRequestGivesTheReferenceAnswer) {
  const NavGraph graph = BuildFixture(GetParam());
  const std::vector<testing::PathCase> cases = testing::GoldenPaths(GetParam());
  ASSERT_FALSE(cases.empty());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    const PathResult result = FindPath(graph, cases[i].start, cases[i].goal);
    testing::ExpectPathJsonMatches(nlohmann::json::parse(RenderPathJson(graph, result)), cases[i].response);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AStarGoldenTest, ::testing::ValuesIn(testing::FixtureWorldNames()),
                         [](const auto& info) { return info.param; });

class AStarTest : public ::testing::Test {
 protected:
  const NavGraph graph_ = BuildFixture("w40x40x20_s3");
};

TEST_F(AStarTest, NonFinitePointsHaveNoNearestNode) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(NearestNode(graph_, {kNaN, 10, 1}));
  EXPECT_FALSE(NearestNode(graph_, {10, kInf, 1}));
  EXPECT_FALSE(NearestNode(graph_, {10, 10, -kInf}));
  EXPECT_FALSE(NearestNode(graph_, {1e300, 10, 1}));
  EXPECT_FALSE(NearestNode(graph_, {10, -1e300, 1}));
}

TEST_F(AStarTest, FarPointsAreNotOnTheGraph) {
  const PathResult result = FindPath(graph_, {-50, -50, 0}, {10.5, 10.5, 0});
  EXPECT_FALSE(result.on_graph);
  EXPECT_EQ(RenderPathJson(graph_, result), R"({"found":false,"error":"Start or goal not on nav graph"})");
}

TEST_F(AStarTest, StartEqualsGoalIsAOneNodePath) {
  const std::optional<uint32_t> node = NearestNode(graph_, {17.5, 18.5, 0.0});
  ASSERT_TRUE(node);
  const PathResult result = FindPathBetween(graph_, *node, *node);
  EXPECT_TRUE(result.found);
  EXPECT_EQ(result.nodes, std::vector<uint32_t>{*node});
  EXPECT_EQ(result.visited, 1);
  EXPECT_EQ(result.cost, 0.0);
}

TEST_F(AStarTest, PathsFollowEdgesAndCostTheirSum) {
  const PathResult result = FindPath(graph_, {17.0, 18.1, 1.4}, {27.8, 37.9, 2.7});
  ASSERT_TRUE(result.found);
  double cost = 0;
  for (size_t i = 1; i < result.nodes.size(); ++i) {
    const auto targets = graph_.edge_targets(result.nodes[i - 1]);
    const auto it = std::find(targets.begin(), targets.end(), result.nodes[i]);
    ASSERT_NE(it, targets.end());
    cost += graph_.edge_costs(result.nodes[i - 1])[it - targets.begin()];
  }
  EXPECT_EQ(result.cost, cost);
}

}  // namespace
}  // namespace echelon::nav
