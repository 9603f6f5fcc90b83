#include "tools/replay_gen/world_gen.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/json_writer.h"
#include "tools/replay_gen/rng.h"

namespace echelon::replay_gen {
namespace {

// Voxel types as real worlds use them: 1 solid, 8 reinforced, 7 low cover,
// 6 trunk (collides), 9 foliage, 2/3 ground decoration (do not collide).
constexpr int kSolid = 1, kDecal = 2, kRubble = 3, kTrunk = 6, kCover = 7, kReinforced = 8,
              kFoliage = 9;

struct Cell {
  int x, y, z, type;
};

class WallBuilder {
 public:
  WallBuilder(const WorldLayout& layout, int spawn_clear)
      : layout_(layout), spawn_clear_(spawn_clear) {}

  // Cells on reserved ground (spawns, capture zone) or outside the map are
  // skipped, so every structure can be drawn without bounds checks.
  void Add(int x, int y, int z, int type) {
    if (x < 0 || y < 0 || z < 0 || x >= layout_.size[0] || y >= layout_.size[1] ||
        z >= layout_.size[2] || Reserved(x, y)) {
      return;
    }
    cells_.push_back({x, y, z, type});
  }

  const std::vector<Cell>& cells() const { return cells_; }

 private:
  bool Reserved(int x, int y) const {
    const double s = layout_.voxel_size_m;
    const double cx = (x + 0.5) * s, cy = (y + 0.5) * s;
    for (const auto& spawn : layout_.spawn) {
      if (std::abs(cx - spawn[0]) < spawn_clear_ * s * 0.5 &&
          std::abs(cy - spawn[1]) < spawn_clear_ * s * 0.5) {
        return true;
      }
    }
    return std::hypot(cx - layout_.zone_center[0], cy - layout_.zone_center[1]) <
           layout_.zone_radius;
  }

  const WorldLayout& layout_;
  int spawn_clear_;
  std::vector<Cell> cells_;
};

WorldLayout PlanLayout(const WorldOptions& options, Rng& rng) {
  WorldLayout layout;
  layout.size = options.size;
  layout.voxel_size_m = options.voxel_size_m;
  const double w = options.size[0] * options.voxel_size_m;
  const double h = options.size[1] * options.voxel_size_m;
  const double margin = 0.12;
  layout.spawn = {{{w * margin, h * margin}, {w * (1 - margin), h * (1 - margin)}}};
  layout.zone_center = {w * rng.Range(0.35, 0.65), h * rng.Range(0.35, 0.65)};
  layout.zone_radius = std::min(w, h) * rng.Range(0.08, 0.12);
  return layout;
}

void AddBuildings(WallBuilder& walls, const WorldOptions& o, Rng& rng) {
  const int count = std::max(1, o.size[0] * o.size[1] / 250);
  for (int i = 0; i < count; ++i) {
    const int x0 = rng.Below(o.size[0]), y0 = rng.Below(o.size[1]);
    const int wx = 3 + rng.Below(6), wy = 3 + rng.Below(6);
    const int height = std::min(o.size[2], 3 + rng.Below(8));
    const int type = rng.Chance(0.3) ? kReinforced : kSolid;
    for (int z = 0; z < height; ++z)
      for (int y = y0; y < y0 + wy; ++y)
        for (int x = x0; x < x0 + wx; ++x) walls.Add(x, y, z, type);
  }
}

void AddTrees(WallBuilder& walls, const WorldOptions& o, Rng& rng) {
  const int count = o.size[0] * o.size[1] / 100;
  for (int i = 0; i < count; ++i) {
    const int x = rng.Below(o.size[0]), y = rng.Below(o.size[1]);
    const int trunk = std::min(o.size[2] - 1, 3 + rng.Below(3));
    for (int z = 0; z < trunk; ++z) walls.Add(x, y, z, kTrunk);
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) walls.Add(x + dx, y + dy, trunk, kFoliage);
  }
}

void AddCoverAndGround(WallBuilder& walls, const WorldOptions& o, Rng& rng) {
  const int segments = o.size[0] * o.size[1] / 160;
  for (int i = 0; i < segments; ++i) {
    const int x = rng.Below(o.size[0]), y = rng.Below(o.size[1]);
    const bool along_x = rng.Chance(0.5);
    const int length = 3 + rng.Below(4);
    for (int k = 0; k < length; ++k) walls.Add(along_x ? x + k : x, along_x ? y : y + k, 0, kCover);
  }
  const int decals = o.size[0] * o.size[1] / 50;
  for (int i = 0; i < decals; ++i) {
    walls.Add(rng.Below(o.size[0]), rng.Below(o.size[1]), 0, rng.Chance(0.7) ? kDecal : kRubble);
  }
}

void WriteWorldJson(const WorldOptions& o, const WorldLayout& layout, int spawn_clear,
                    const std::vector<Cell>& cells, std::string& out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("size");
  w.BeginArray();
  for (int n : o.size) w.Int(n);
  w.EndArray();
  w.Key("voxel_size_m"); w.Double(o.voxel_size_m);
  w.Key("seed"); w.Int(static_cast<int64_t>(o.seed));
  w.Key("spawn_clear"); w.Int(spawn_clear);
  w.Key("meta");
  w.BeginObject();
  w.Key("generator"); w.String("replay_gen");
  w.Key("spawn_corners");
  w.BeginObject(); w.Key("blue"); w.String("BL"); w.Key("red"); w.String("TR"); w.EndObject();
  w.Key("capture_zone");
  w.BeginObject();
  w.Key("center");
  w.BeginArray(); w.Double(layout.zone_center[0]); w.Double(layout.zone_center[1]); w.EndArray();
  w.Key("radius"); w.Double(layout.zone_radius);
  w.EndObject();
  w.Key("validator");
  w.BeginObject();
  w.Key("type"); w.String("connectivity_nav_graph_v1");
  w.Key("clearance_z"); w.Int(o.clearance_z);
  w.EndObject();
  w.EndObject();
  w.Key("walls");
  w.BeginArray();
  for (const Cell& c : cells) {
    w.BeginArray(); w.Int(c.x); w.Int(c.y); w.Int(c.z); w.Int(c.type); w.EndArray();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

GeneratedWorld GenerateWorld(const WorldOptions& options) {
  // The world has its own stream so that changing frame generation never
  // changes the map of a given seed.
  Rng rng(options.seed ^ 0x776f726c64ULL);
  GeneratedWorld world;
  world.layout = PlanLayout(options, rng);
  const int spawn_clear = std::max(4, std::min(options.size[0], options.size[1]) / 4);
  WallBuilder walls(world.layout, spawn_clear);
  AddBuildings(walls, options, rng);
  AddTrees(walls, options, rng);
  AddCoverAndGround(walls, options, rng);
  WriteWorldJson(options, world.layout, spawn_clear, walls.cells(), world.json);
  world.wall_count = static_cast<int>(walls.cells().size());
  return world;
}

}  // namespace echelon::replay_gen
