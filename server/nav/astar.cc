#include "server/nav/astar.h"

#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <utility>

namespace echelon::nav {
namespace {

// The reference's squared distance, in its order of operations.
double SquaredDistance(const Vec3& a, const Vec3& b) {
  const double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}

// floor(v / s) as a column coordinate, or nullopt when it is not finite or so
// far outside [0, size) that no column within +-1 of it exists.
std::optional<int64_t> ColumnCoordinate(double v, double s, int size) {
  const double q = std::floor(v / s);
  if (!(q >= -2.0 && q <= size + 1.0)) return std::nullopt;  // also rejects NaN
  return static_cast<int64_t>(q);
}

// Per-thread search buffers, reused between queries on the same thread.
struct Scratch {
  std::vector<double> best;
  std::vector<uint32_t> parent;

  void Reset(uint32_t nodes) {
    best.assign(nodes, std::numeric_limits<double>::infinity());  // +inf: "no cost yet"
    parent.resize(nodes);
  }
};

std::vector<uint32_t> WalkBack(const std::vector<uint32_t>& parent, uint32_t start, uint32_t goal) {
  std::vector<uint32_t> nodes{goal};
  for (uint32_t node = goal; node != start;) {
    node = parent[node];
    nodes.push_back(node);
  }
  return {nodes.rbegin(), nodes.rend()};
}

}  // namespace

std::optional<uint32_t> NearestNode(const NavGraph& graph, const Vec3& p) {
  const double s = graph.voxel_size();
  const std::optional<int64_t> ix = ColumnCoordinate(p.x, s, graph.size_x());
  const std::optional<int64_t> iy = ColumnCoordinate(p.y, s, graph.size_y());
  if (!ix || !iy || !std::isfinite(p.z)) return std::nullopt;

  std::optional<uint32_t> nearest;
  double nearest_d = 0;
  for (int64_t dy = -1; dy <= 1; ++dy) {
    for (int64_t dx = -1; dx <= 1; ++dx) {
      for (uint32_t node : graph.column(*iy + dy, *ix + dx)) {
        const Vec3 pos = graph.pos(node);
        double d = SquaredDistance(pos, p);
        // Prefer nodes on roughly the same level as the point.
        if (std::abs(pos.z - p.z) > 1.5 * s) d += 1000;
        if (!nearest || d < nearest_d) {
          nearest = node;
          nearest_d = d;
        }
      }
    }
  }
  return nearest;
}

PathResult FindPath(const NavGraph& graph, const Vec3& start, const Vec3& goal) {
  const std::optional<uint32_t> from = NearestNode(graph, start);
  const std::optional<uint32_t> to = NearestNode(graph, goal);
  if (!from || !to) return PathResult{};
  return FindPathBetween(graph, *from, *to);
}

PathResult FindPathBetween(const NavGraph& graph, uint32_t start, uint32_t goal) {
  thread_local Scratch scratch;
  scratch.Reset(graph.node_count());
  std::vector<double>& best = scratch.best;
  std::vector<uint32_t>& parent = scratch.parent;

  const Vec3 goal_pos = graph.pos(goal);
  auto heuristic = [&](uint32_t node) { return std::pow(SquaredDistance(graph.pos(node), goal_pos), 0.5); };

  // (priority, node): node numbers ascend in (z, y, x) order, so this orders
  // exactly like the reference's (priority, z, y, x) tuples.
  using Entry = std::pair<double, uint32_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
  best[start] = 0.0;
  open.push({0.0, start});

  PathResult result;
  result.on_graph = true;
  while (!open.empty() && result.visited < kMaxVisits) {
    const uint32_t node = open.top().second;
    open.pop();
    ++result.visited;
    if (node == goal) {
      result.found = true;
      result.cost = best[goal];
      result.nodes = WalkBack(parent, start, goal);
      break;
    }
    // No closed set: a stale entry is expanded again with the node's current
    // best cost, as the reference does.
    const double cost = best[node];
    const auto targets = graph.edge_targets(node);
    const auto costs = graph.edge_costs(node);
    for (size_t i = 0; i < targets.size(); ++i) {
      const uint32_t next = targets[i];
      const double next_cost = cost + costs[i];
      if (next_cost < best[next]) {
        best[next] = next_cost;
        parent[next] = node;
        open.push({next_cost + heuristic(next), next});
      }
    }
  }
  return result;
}

}  // namespace echelon::nav
