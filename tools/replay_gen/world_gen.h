// Synthetic voxel worlds for replay-gen: buildings, trees, low cover and
// ground decoration with the wall types real worlds use (1, 2, 3, 6, 7, 8, 9),
// clear spawn corners and a clear capture zone, plus the layout the battle
// simulation needs (zone, spawns).
//
//   GeneratedWorld world = GenerateWorld({.seed = 7, .size = {100, 100, 20}});
//   out.append(world.json);  // {"size":[100,100,20],"voxel_size_m":1.0,...}
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace echelon::replay_gen {

struct WorldOptions {
  uint64_t seed = 1;
  std::array<int, 3> size = {100, 100, 20};
  double voxel_size_m = 1.0;
  int clearance_z = 4;
};

// What the battle simulation needs to know about the map, in metres.
struct WorldLayout {
  std::array<int, 3> size;
  double voxel_size_m;
  std::array<double, 2> zone_center;
  double zone_radius;
  // Index 0: blue (bottom-left corner), 1: red (top-right corner).
  std::array<std::array<double, 2>, 2> spawn;
};

struct GeneratedWorld {
  WorldLayout layout;
  std::string json;  // compact world JSON
  int wall_count = 0;
};

GeneratedWorld GenerateWorld(const WorldOptions& options);

}  // namespace echelon::replay_gen
