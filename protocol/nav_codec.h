// The JSON of POST /nav/graph and POST /nav/path (PROTOCOL.md, "Nav"): request
// bodies into the v1 nav request messages, and the answers out, in exactly the
// shapes and key orders of PROTOCOL.md with floats in Python's repr (whole
// numbers stay floats: "0.0").
//
// The graph answer is big (about 1 MB for a 100x100x20 world) and is rendered
// once per cached graph, from a NavGraphView of the core's flat arrays (no
// copy into protobuf first). The path answer is small and is rendered from the
// v1::FindPathResponse the core fills for gRPC callers anyway.
//
//   ECHELON_ASSIGN_OR_RETURN(v1::FindPathRequest request, json::ParseNavPathRequest(body));
//   std::string graph_json = json::RenderNavGraphJson(graph.View());
//   std::string path_json = json::RenderNavPathJson(path_response);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "echelon/replay/v1/nav.pb.h"

namespace echelon::json {

// A position in metres (x east, y north, z up).
struct NavPoint {
  double x = 0;
  double y = 0;
  double z = 0;
};

// Where the nav answers put cell (z, y, x): ((x+0.5)*s, (y+0.5)*s, (z+1)*s),
// with the reference's operations so that the doubles match bit for bit.
inline NavPoint NavCellPosition(int z, int y, int x, double voxel_size) {
  return {(x + 0.5) * voxel_size, (y + 0.5) * voxel_size, (z + 1) * voxel_size};
}

// The reference's error text when the start or the goal has no nearby node.
inline constexpr std::string_view kNotOnGraphError = "Start or goal not on nav graph";

// The body of POST /nav/graph: {"world_hash": string}. InvalidArgument for
// invalid JSON, a body that is not an object, or a missing or non-string
// world_hash. Other keys are ignored.
[[nodiscard]] absl::StatusOr<replay::v1::GetGraphRequest> ParseNavGraphRequest(std::string_view body);

// The body of POST /nav/path: {"world_hash": string, "start_pos": [x,y,z],
// "goal_pos": [x,y,z]}, each position an array of exactly 3 finite numbers.
// InvalidArgument naming the first offending field, in that order.
[[nodiscard]] absl::StatusOr<replay::v1::FindPathRequest> ParseNavPathRequest(std::string_view body);

// A nav graph as the renderer reads it: per-node cells in node order and the
// edges in CSR form. The spans point into the core's graph, which must outlive
// the view; nothing is copied.
struct NavGraphView {
  double voxel_size = 0;
  int clearance_z = 0;
  int size_x = 0;  // cells per axis; positions are formatted once per cell row
  int size_y = 0;
  std::span<const int32_t> node_z, node_y, node_x;
  // Node n's neighbours are edge_targets[edge_offsets[n] .. edge_offsets[n + 1]).
  std::span<const uint32_t> edge_offsets;
  std::span<const uint32_t> edge_targets;
};

// {"voxel_size":f,"clearance_z":int,"nodes":[{"id":[z,y,x],"pos":[x,y,z],"edges":[[z,y,x],...]},...]}
std::string RenderNavGraphJson(const NavGraphView& graph);

// {"found":bool,"path":[[x,y,z],...],"node_ids":[[z,y,x],...],"stats":{"length":n,"cost":f,"visited":n}}
// or, when `path.error()` is set, {"found":false,"error":"..."}.
std::string RenderNavPathJson(const replay::v1::FindPathResponse& path);

}  // namespace echelon::json
