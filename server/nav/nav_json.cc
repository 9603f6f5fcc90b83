#include "server/nav/nav_json.h"

#include <cstdint>
#include <vector>

#include "common/json_writer.h"

namespace echelon::nav {
namespace {

void AppendId(std::string& out, const NodeId& id) {
  out.push_back('[');
  AppendJsonInt(out, id.z);
  out.push_back(',');
  AppendJsonInt(out, id.y);
  out.push_back(',');
  AppendJsonInt(out, id.x);
  out.push_back(']');
}

void AppendPos(std::string& out, const Vec3& pos) {
  out.push_back('[');
  AppendJsonDouble(out, pos.x);
  out.push_back(',');
  AppendJsonDouble(out, pos.y);
  out.push_back(',');
  AppendJsonDouble(out, pos.z);
  out.push_back(']');
}

// Pre-formatted pieces of the graph JSON. A node's id appears in up to ~40
// edge lists, and positions take only sx + sy + sz distinct values per axis,
// so formatting each once makes rendering little more than memcpy.
class GraphTexts {
 public:
  explicit GraphTexts(const NavGraph& graph) {
    const uint32_t n = graph.node_count();
    id_offsets_.reserve(n + 1);
    id_offsets_.push_back(0);
    int max_z = -1;
    for (uint32_t node = 0; node < n; ++node) {
      AppendId(ids_, graph.id(node));
      id_offsets_.push_back(static_cast<uint32_t>(ids_.size()));
      max_z = std::max(max_z, graph.id(node).z);
    }
    // CellPos gives exactly the reference's coordinates; take each axis from it.
    for (int x = 0; x < graph.size_x(); ++x) xs_.push_back(Format(graph.CellPos(0, 0, x).x));
    for (int y = 0; y < graph.size_y(); ++y) ys_.push_back(Format(graph.CellPos(0, y, 0).y));
    for (int z = -1; z <= max_z; ++z) zs_.push_back(Format(graph.CellPos(z, 0, 0).z));
  }

  std::string_view id(uint32_t node) const {
    return std::string_view(ids_).substr(id_offsets_[node], id_offsets_[node + 1] - id_offsets_[node]);
  }

  void AppendPos(std::string& out, const NodeId& id) const {
    out.push_back('[');
    out.append(xs_[id.x]);
    out.push_back(',');
    out.append(ys_[id.y]);
    out.push_back(',');
    out.append(zs_[id.z + 1]);
    out.push_back(']');
  }

 private:
  static std::string Format(double v) {
    std::string text;
    AppendJsonDouble(text, v);
    return text;
  }

  std::string ids_;
  std::vector<uint32_t> id_offsets_;
  std::vector<std::string> xs_, ys_, zs_;
};

}  // namespace

std::string RenderGraphJson(const NavGraph& graph) {
  const GraphTexts texts(graph);
  std::string out;
  // Roughly: per node ~50 bytes + ~12 per edge; one allocation in practice.
  out.reserve(64 + graph.node_count() * 56 + graph.edge_count() * 13);
  out.append("{\"voxel_size\":");
  AppendJsonDouble(out, graph.voxel_size());
  out.append(",\"clearance_z\":");
  AppendJsonInt(out, graph.clearance_z());
  out.append(",\"nodes\":[");
  for (uint32_t node = 0; node < graph.node_count(); ++node) {
    if (node > 0) out.push_back(',');
    out.append("{\"id\":");
    out.append(texts.id(node));
    out.append(",\"pos\":");
    texts.AppendPos(out, graph.id(node));
    out.append(",\"edges\":[");
    bool first = true;
    for (uint32_t target : graph.edge_targets(node)) {
      if (!first) out.push_back(',');
      first = false;
      out.append(texts.id(target));
    }
    out.append("]}");
  }
  out.append("]}");
  return out;
}

std::string RenderPathJson(const NavGraph& graph, const PathResult& result) {
  std::string out;
  if (!result.on_graph) {
    out.append("{\"found\":false,\"error\":");
    AppendJsonString(out, kNotOnGraphError);
    out.push_back('}');
    return out;
  }
  out.append(result.found ? "{\"found\":true,\"path\":[" : "{\"found\":false,\"path\":[");
  for (size_t i = 0; i < result.nodes.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendPos(out, graph.pos(result.nodes[i]));
  }
  out.append("],\"node_ids\":[");
  for (size_t i = 0; i < result.nodes.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendId(out, graph.id(result.nodes[i]));
  }
  out.append("],\"stats\":{\"length\":");
  AppendJsonInt(out, static_cast<int64_t>(result.nodes.size()));
  out.append(",\"cost\":");
  AppendJsonDouble(out, result.cost);
  out.append(",\"visited\":");
  AppendJsonInt(out, result.visited);
  out.append("}}");
  return out;
}

}  // namespace echelon::nav
