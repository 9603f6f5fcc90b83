// libFuzzer target for the uploaded-world parser (ParseWorld, what PUT
// /worlds/{hash} runs on every new body after hashing it): any byte string
// must come back as a WorldModel or as InvalidArgument, never as a crash, a
// hang or another code. Small limits let the fuzzer reach every limit check.
// For accepted worlds:
//  - the model respects the limits (sizes, cell count, wall count, voxel
//    types 0-255, a finite positive voxel size);
//  - when the body also has canonical text (the world hash accepts it), the
//    canonical text parses to the same model. Canonical text is what Python's
//    json.loads makes of the body, so this checks that the parser reads
//    duplicate keys, numbers and escapes as the reference does.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/canonical_json.h"
#include "protocol/world_model.h"

namespace {

using echelon::world::Wall;
using echelon::world::WorldLimits;
using echelon::world::WorldModel;

constexpr WorldLimits kLimits{.max_dimension = 64, .max_cells = 64 * 64 * 8, .max_walls = 4096};

bool WithinLimits(const WorldModel& world) {
  for (int dim : {world.size_x, world.size_y, world.size_z}) {
    if (dim <= 0 || dim > kLimits.max_dimension) return false;
  }
  const int64_t cells = int64_t{world.size_x} * world.size_y * world.size_z;
  if (cells > kLimits.max_cells) return false;
  if (static_cast<int64_t>(world.walls.size()) > kLimits.max_walls) return false;
  for (const Wall& wall : world.walls) {
    if (wall.type < 0 || wall.type > 255) return false;
  }
  return std::isfinite(world.voxel_size) && world.voxel_size > 0;
}

bool SameModel(const WorldModel& a, const WorldModel& b) {
  if (a.size_x != b.size_x || a.size_y != b.size_y || a.size_z != b.size_z) return false;
  if (a.voxel_size != b.voxel_size || a.clearance_z != b.clearance_z) return false;
  if (a.walls.size() != b.walls.size()) return false;
  for (size_t i = 0; i < a.walls.size(); ++i) {
    const Wall& p = a.walls[i];
    const Wall& q = b.walls[i];
    if (p.x != q.x || p.y != q.y || p.z != q.z || p.type != q.type) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<WorldModel> world = echelon::world::ParseWorld(body, kLimits);
  if (!world.ok()) {
    if (world.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (!WithinLimits(*world)) std::abort();

  const absl::StatusOr<std::string> canonical = echelon::json::CanonicalJson(body);
  if (!canonical.ok()) return 0;  // on demand skips unknown keys unchecked; the PUT path hashes first
  const absl::StatusOr<WorldModel> again = echelon::world::ParseWorld(*canonical, kLimits);
  if (!again.ok() || !SameModel(*world, *again)) std::abort();
  return 0;
}
