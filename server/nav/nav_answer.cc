#include "server/nav/nav_answer.h"

#include "protocol/nav_codec.h"

namespace echelon::nav {
namespace {

namespace v1 = echelon::replay::v1;

void SetId(const NodeId& id, v1::NodeId& out) {
  out.set_z(id.z);
  out.set_y(id.y);
  out.set_x(id.x);
}

void SetPos(const Vec3& pos, v1::Vec3& out) {
  out.set_x(pos.x);
  out.set_y(pos.y);
  out.set_z(pos.z);
}

}  // namespace

void FillGraph(const NavGraph& graph, v1::NavGraph& out) {
  out.set_voxel_size(graph.voxel_size());
  out.set_clearance_z(graph.clearance_z());
  out.mutable_nodes()->Reserve(static_cast<int>(graph.node_count()));
  for (uint32_t node = 0; node < graph.node_count(); ++node) {
    v1::NavNode& n = *out.add_nodes();
    SetId(graph.id(node), *n.mutable_id());
    SetPos(graph.pos(node), *n.mutable_pos());
    const auto targets = graph.edge_targets(node);
    n.mutable_edges()->Add(targets.begin(), targets.end());
  }
}

void FillPath(const NavGraph& graph, const PathResult& result, v1::FindPathResponse& out) {
  out.set_found(result.found);
  if (!result.on_graph) {
    out.set_error(std::string(json::kNotOnGraphError));
    return;
  }
  for (uint32_t node : result.nodes) {
    SetPos(graph.pos(node), *out.add_path());
    SetId(graph.id(node), *out.add_node_ids());
  }
  v1::PathStats& stats = *out.mutable_stats();
  stats.set_length(static_cast<int32_t>(result.nodes.size()));
  stats.set_cost(result.cost);
  stats.set_visited(result.visited);
}

std::string RenderGraphJson(const NavGraph& graph) { return json::RenderNavGraphJson(graph.View()); }

std::string RenderPathJson(const NavGraph& graph, const PathResult& result) {
  v1::FindPathResponse response;
  FillPath(graph, result, response);
  return json::RenderNavPathJson(response);
}

}  // namespace echelon::nav
