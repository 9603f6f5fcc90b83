// Nearest-node lookup and A* over a NavGraph, exactly as the reference
// (PROTOCOL.md, "Path"): same tie-breaking, same `pow(.., 0.5)` heuristic,
// no closed set (stale queue entries are popped, counted and expanded again)
// and a cap of 5000 visits. `visited` is part of the answer, so all of that
// is observable and must not be "improved".
//
//   PathResult r = FindPath(graph, {x0, y0, z0}, {x1, y1, z1});
//   if (!r.on_graph) ...   // "Start or goal not on nav graph"
//   else if (r.found) for (uint32_t node : r.nodes) graph.pos(node) ...
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "server/nav/nav_graph.h"

namespace echelon::nav {

inline constexpr int kMaxVisits = 5000;

struct PathResult {
  // False when no node is near the start or the goal; nothing else is set then.
  bool on_graph = false;
  bool found = false;
  // Node numbers from start to goal (empty when not found).
  std::vector<uint32_t> nodes;
  double cost = 0.0;
  int visited = 0;
};

// The node nearest to `p` among the 3x3 columns around it (see PROTOCOL.md);
// nullopt when those columns have no nodes or `p` is not finite.
std::optional<uint32_t> NearestNode(const NavGraph& graph, const Vec3& p);

// A* from the nodes nearest to `start` and `goal`.
PathResult FindPath(const NavGraph& graph, const Vec3& start, const Vec3& goal);

// A* between two nodes (on_graph is true).
PathResult FindPathBetween(const NavGraph& graph, uint32_t start, uint32_t goal);

}  // namespace echelon::nav
