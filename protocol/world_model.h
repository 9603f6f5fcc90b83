// The parsed form of a world (PROTOCOL.md, "World"): just what the server
// needs for validation and navigation. The world's JSON text stays the source
// of truth for storage, hashing and serving.
//
//   absl::StatusOr<WorldModel> world = ParseWorld(json_text, WorldLimits{});
//   if (!world.ok()) return world.status();  // InvalidArgument -> HTTP 422
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace echelon::world {

struct Wall {
  int64_t x = 0;
  int64_t y = 0;
  int64_t z = 0;
  // 0-255; a wall given with 3 numbers has type 1.
  int type = 1;
};

struct WorldModel {
  int size_x = 0;
  int size_y = 0;
  int size_z = 0;
  double voxel_size = 5.0;  // "voxel_size_m"
  int clearance_z = 4;      // "meta.validator.clearance_z"
  // In the order given; walls outside the map are kept (and ignored by nav).
  std::vector<Wall> walls;
};

// Bounds on what a world may ask of the server; checked by ParseWorld.
struct WorldLimits {
  int max_dimension = 1024;               // per axis
  int64_t max_cells = 64LL * 1024 * 1024; // sx * sy * sz
  int64_t max_walls = 4 * 1024 * 1024;
};

// Voxel types 1, 4, 5, 7, 8 collide; all others do not.
constexpr bool VoxelTypeCollides(int type) {
  return type == 1 || type == 4 || type == 5 || type == 7 || type == 8;
}

// Parses and validates world JSON. InvalidArgument names the offending field.
[[nodiscard]] absl::StatusOr<WorldModel> ParseWorld(std::string_view json,
                                                    const WorldLimits& limits = {});

}  // namespace echelon::world
