#include "server/nav/nav_graph.h"

#include <algorithm>
#include <array>

namespace echelon::nav {

// Builds a NavGraph in the steps of PROTOCOL.md. Grids are "layers" of
// sy*sx cells: layer 0 is bedrock (z = -1), layer k is z = k-1, so the layer
// number of a node is z+1 and layers ascend with z.
class NavGraphBuilder {
 public:
  explicit NavGraphBuilder(const world::WorldModel& world)
      : world_(world), sx_(world.size_x), sy_(world.size_y), sz_(world.size_z),
        cells_per_layer_(static_cast<size_t>(sx_) * sy_) {}

  NavGraph Build() {
    graph_.voxel_size_ = world_.voxel_size;
    graph_.clearance_z_ = world_.clearance_z;
    graph_.size_x_ = sx_;
    graph_.size_y_ = sy_;
    FillCollisions();
    FillWalkable();
    collides_ = {};  // not needed any more; frees sz*sy*sx bytes early
    for (int layer = 0; layer < sz_; ++layer) Erode(layer);
    NumberNodes();
    IndexColumns();
    AddEdges();
    return std::move(graph_);
  }

 private:
  // Step 1: collides[z][y][x]; a later wall at a cell overwrites an earlier
  // one, and walls outside the map are ignored.
  void FillCollisions() {
    collides_.assign(static_cast<size_t>(sz_) * cells_per_layer_, 0);
    for (const world::Wall& wall : world_.walls) {
      if (wall.x < 0 || wall.x >= sx_ || wall.y < 0 || wall.y >= sy_ || wall.z < 0 || wall.z >= sz_) continue;
      collides_[(wall.z * sy_ + wall.y) * sx_ + wall.x] = world::VoxelTypeCollides(wall.type) ? 1 : 0;
    }
  }

  // Step 2, per column with a prefix count of collisions, so that "no
  // collision in z range [lo, hi]" is O(1). Bounds are int64 because
  // clearance_z may be any int.
  void FillWalkable() {
    walkable_.assign(static_cast<size_t>(sz_) * cells_per_layer_, 0);
    std::vector<int> below(sz_ + 1);  // below[z] = collisions in 0..z-1
    const int64_t clearance = world_.clearance_z;
    for (size_t cell = 0; cell < cells_per_layer_; ++cell) {
      for (int z = 0; z < sz_; ++z) below[z + 1] = below[z] + collides_[z * cells_per_layer_ + cell];
      auto clear = [&](int64_t lo, int64_t hi) { return hi < lo || below[hi + 1] - below[lo] == 0; };
      walkable_[cell] = clear(0, std::min<int64_t>(clearance, sz_) - 1);  // bedrock
      for (int z = 0; z + 2 <= sz_; ++z) {
        const int64_t top = std::min<int64_t>(z + clearance, sz_ - 1);
        walkable_[(z + 1) * cells_per_layer_ + cell] = collides_[z * cells_per_layer_ + cell] && clear(z + 1, top);
      }
    }
  }

  // Step 3: a cell survives only if its whole 3x3 (y, x) neighbourhood is
  // walkable; out-of-map cells are not, so the map border never survives.
  // Done separably: a horizontal 3-wide AND, then a vertical one.
  void Erode(int layer) {
    uint8_t* cells = walkable_.data() + layer * cells_per_layer_;
    std::vector<uint8_t> row_and(cells_per_layer_, 0);
    for (int y = 0; y < sy_; ++y) {
      for (int x = 1; x + 1 < sx_; ++x) {
        const uint8_t* c = cells + y * sx_ + x;
        row_and[y * sx_ + x] = c[-1] & c[0] & c[1];
      }
    }
    std::fill(cells, cells + cells_per_layer_, 0);
    for (int y = 1; y + 1 < sy_; ++y) {
      for (int x = 1; x + 1 < sx_; ++x) {
        const size_t i = y * sx_ + x;
        cells[i] = row_and[i - sx_] & row_and[i] & row_and[i + sx_];
      }
    }
  }

  // Step 4: node numbers in (layer, y, x) order, i.e. bedrock first.
  void NumberNodes() {
    for (size_t i = 0; i < walkable_.size(); ++i) {
      if (!walkable_[i]) continue;
      const size_t cell = i % cells_per_layer_;
      graph_.z_.push_back(static_cast<int32_t>(i / cells_per_layer_) - 1);
      graph_.y_.push_back(static_cast<int32_t>(cell / sx_));
      graph_.x_.push_back(static_cast<int32_t>(cell % sx_));
    }
  }

  // Counting sort of the nodes by column; node order already ascends in z.
  void IndexColumns() {
    std::vector<uint32_t>& offsets = graph_.column_offsets_;
    offsets.assign(cells_per_layer_ + 1, 0);
    const uint32_t n = graph_.node_count();
    for (uint32_t node = 0; node < n; ++node) ++offsets[ColumnOf(node) + 1];
    for (size_t c = 0; c < cells_per_layer_; ++c) offsets[c + 1] += offsets[c];
    graph_.column_nodes_.resize(n);
    std::vector<uint32_t> next(offsets.begin(), offsets.end() - 1);
    for (uint32_t node = 0; node < n; ++node) graph_.column_nodes_[next[ColumnOf(node)]++] = node;
  }

  size_t ColumnOf(uint32_t node) const {
    return static_cast<size_t>(graph_.y_[node]) * sx_ + graph_.x_[node];
  }

  // After erosion, the walkable cells are exactly the nodes.
  bool IsNode(int z, int y, int x) const {
    return walkable_[(z + 1) * cells_per_layer_ + static_cast<size_t>(y) * sx_ + x] != 0;
  }

  // Step 5: neighbours per direction in the reference's order, each column
  // in ascending z with |dz| <= 2; a diagonal needs both orthogonal cells at
  // the node's own z to be nodes. Uphill edges cost 1.2 times as much.
  void AddEdges() {
    struct Direction {
      int dy, dx;
      double mult;
    };
    static constexpr std::array<Direction, 8> kDirections = {{
        {0, 1, 1.0}, {0, -1, 1.0}, {1, 0, 1.0}, {-1, 0, 1.0},
        {1, 1, 1.414}, {1, -1, 1.414}, {-1, 1, 1.414}, {-1, -1, 1.414},
    }};
    const double s = world_.voxel_size;
    const uint32_t n = graph_.node_count();
    graph_.edge_offsets_.assign(n + 1, 0);
    graph_.edge_targets_.reserve(size_t{n} * 8);  // typical worlds average about 7 edges per node
    graph_.edge_costs_.reserve(size_t{n} * 8);
    for (uint32_t node = 0; node < n; ++node) {
      const int z = graph_.z_[node], y = graph_.y_[node], x = graph_.x_[node];
      for (const Direction& d : kDirections) {
        const int ny = y + d.dy, nx = x + d.dx;
        if (ny < 0 || ny >= sy_ || nx < 0 || nx >= sx_) continue;
        if (d.dy != 0 && d.dx != 0 && !(IsNode(z, ny, x) && IsNode(z, y, nx))) continue;
        for (uint32_t other : graph_.column(ny, nx)) {
          const int dz = graph_.z_[other] - z;
          if (dz < -2) continue;
          if (dz > 2) break;  // ascending z: nothing closer follows
          double cost = s * d.mult;
          if (dz > 0) cost *= 1.2;
          graph_.edge_targets_.push_back(other);
          graph_.edge_costs_.push_back(cost);
        }
      }
      graph_.edge_offsets_[node + 1] = static_cast<uint32_t>(graph_.edge_targets_.size());
    }
  }

  const world::WorldModel& world_;
  const int sx_, sy_, sz_;
  const size_t cells_per_layer_;
  NavGraph graph_;
  std::vector<uint8_t> collides_;  // [z][y][x]
  std::vector<uint8_t> walkable_;  // [layer][y][x], eroded in place
};

NavGraph NavGraph::Build(const world::WorldModel& world) { return NavGraphBuilder(world).Build(); }

std::span<const uint32_t> NavGraph::column(int64_t y, int64_t x) const {
  if (y < 0 || y >= size_y_ || x < 0 || x >= size_x_) return {};
  const size_t c = static_cast<size_t>(y) * size_x_ + x;
  return {column_nodes_.data() + column_offsets_[c], column_nodes_.data() + column_offsets_[c + 1]};
}

size_t NavGraph::MemoryBytes() const {
  return (z_.capacity() + y_.capacity() + x_.capacity()) * sizeof(int32_t) +
         (edge_offsets_.capacity() + edge_targets_.capacity() + column_offsets_.capacity() +
          column_nodes_.capacity()) * sizeof(uint32_t) +
         edge_costs_.capacity() * sizeof(double);
}

json::NavGraphView NavGraph::View() const {
  return {.voxel_size = voxel_size_,
          .clearance_z = clearance_z_,
          .size_x = size_x_,
          .size_y = size_y_,
          .node_z = z_,
          .node_y = y_,
          .node_x = x_,
          .edge_offsets = edge_offsets_,
          .edge_targets = edge_targets_};
}

}  // namespace echelon::nav
