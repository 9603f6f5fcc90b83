// The walkable-voxel navigation graph of a world, built exactly as the
// reference does (PROTOCOL.md, "Nav graph"): same nodes, same node order, same
// edges in the same order, same costs. Node and edge order are part of the
// contract because A* tie-breaking and the /nav/graph JSON depend on them.
//
// Storage is flat: per-node arrays indexed by node number, edges in CSR form
// (offsets + targets + costs), and a column index (y, x) -> nodes in
// ascending z for nearest-node lookups.
//
//   NavGraph graph = NavGraph::Build(world_model);
//   for (uint32_t n = 0; n < graph.node_count(); ++n)
//     for (uint32_t e : graph.edge_targets(n)) ...
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/nav_codec.h"
#include "protocol/world_model.h"

namespace echelon::nav {

// A voxel cell; z == -1 is the bedrock layer.
struct NodeId {
  int z = 0;
  int y = 0;
  int x = 0;
  friend bool operator==(const NodeId&, const NodeId&) = default;
};

// A position in metres; the protocol's type, since the answers carry it.
using Vec3 = json::NavPoint;

class NavGraph {
 public:
  // The world must have passed ParseWorld (positive, bounded size).
  static NavGraph Build(const world::WorldModel& world);

  double voxel_size() const { return voxel_size_; }
  int clearance_z() const { return clearance_z_; }
  int size_x() const { return size_x_; }
  int size_y() const { return size_y_; }

  uint32_t node_count() const { return static_cast<uint32_t>(z_.size()); }
  size_t edge_count() const { return edge_targets_.size(); }

  NodeId id(uint32_t node) const { return {z_[node], y_[node], x_[node]}; }
  // ((x+0.5)*s, (y+0.5)*s, (z+1)*s), computed with the reference's operations.
  Vec3 pos(uint32_t node) const { return CellPos(z_[node], y_[node], x_[node]); }
  Vec3 CellPos(int z, int y, int x) const { return json::NavCellPosition(z, y, x, voxel_size_); }

  // Neighbours of `node` in the reference's order, and the matching costs.
  std::span<const uint32_t> edge_targets(uint32_t node) const {
    return {edge_targets_.data() + edge_offsets_[node], edge_targets_.data() + edge_offsets_[node + 1]};
  }
  std::span<const double> edge_costs(uint32_t node) const {
    return {edge_costs_.data() + edge_offsets_[node], edge_costs_.data() + edge_offsets_[node + 1]};
  }

  // Nodes of column (y, x) in ascending z (bedrock first); empty outside the map.
  std::span<const uint32_t> column(int64_t y, int64_t x) const;

  // The graph as protocol/nav_codec.h renders it; points into this graph.
  json::NavGraphView View() const;

  // Approximate heap footprint, for logs.
  size_t MemoryBytes() const;

 private:
  double voxel_size_ = 5.0;
  int clearance_z_ = 4;
  int size_x_ = 0;
  int size_y_ = 0;

  // Per node. Node numbers ascend in (z, y, x) order with bedrock (z = -1)
  // first, so comparing node numbers compares ids; A* relies on that.
  std::vector<int32_t> z_, y_, x_;
  // CSR edges: node n's edges are [edge_offsets_[n], edge_offsets_[n+1]).
  std::vector<uint32_t> edge_offsets_;
  std::vector<uint32_t> edge_targets_;
  std::vector<double> edge_costs_;
  // Column (y, x) holds column_nodes_[column_offsets_[y*sx+x] .. column_offsets_[y*sx+x+1]).
  std::vector<uint32_t> column_offsets_;
  std::vector<uint32_t> column_nodes_;

  friend class NavGraphBuilder;
};

}  // namespace echelon::nav
