#include "protocol/nav_codec.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json_writer.h"
#include "protocol/internal/json_reader.h"

namespace echelon::json {
namespace {

namespace v1 = echelon::replay::v1;

// --- requests ---

// The request body as a JSON object, with its "world_hash" (which every nav
// request has) read into `world_hash`.
absl::StatusOr<simdjson::dom::object> ParseRequestObject(internal::ParserLease& parser, std::string_view body,
                                                         std::string& world_hash) {
  absl::StatusOr<simdjson::dom::element> root = parser.ParseDom(body);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body is not valid JSON: ", absl::StripPrefix(root.status().message(), "invalid JSON: ")));
  }
  simdjson::dom::object object;
  if (root->get_object().get(object)) return absl::InvalidArgumentError("body must be a JSON object");
  std::string_view hash;
  if (object["world_hash"].get_string().get(hash)) {
    return absl::InvalidArgumentError("field 'world_hash' is required and must be a string");
  }
  world_hash.assign(hash);
  return object;
}

absl::Status ReadPosition(simdjson::dom::object object, const char* field, v1::Vec3& out) {
  simdjson::dom::array array;
  const auto invalid =
      absl::InvalidArgumentError(absl::StrCat("field '", field, "' must be an array of 3 finite numbers"));
  if (object[field].get_array().get(array) || array.size() != 3) return invalid;
  double xyz[3];
  size_t i = 0;
  for (simdjson::dom::element value : array) {
    double number;
    if (value.get_double().get(number) || !std::isfinite(number)) return invalid;
    xyz[i++] = number;
  }
  out.set_x(xyz[0]);
  out.set_y(xyz[1]);
  out.set_z(xyz[2]);
  return absl::OkStatus();
}

// --- answers ---

void AppendId(std::string& out, int z, int y, int x) {
  out.push_back('[');
  AppendJsonInt(out, z);
  out.push_back(',');
  AppendJsonInt(out, y);
  out.push_back(',');
  AppendJsonInt(out, x);
  out.push_back(']');
}

void AppendPos(std::string& out, double x, double y, double z) {
  out.push_back('[');
  AppendJsonDouble(out, x);
  out.push_back(',');
  AppendJsonDouble(out, y);
  out.push_back(',');
  AppendJsonDouble(out, z);
  out.push_back(']');
}

// Pre-formatted pieces of the graph JSON. A node's id appears in up to ~40
// edge lists, and positions take only sx + sy + sz distinct values per axis,
// so formatting each once makes rendering little more than memcpy.
class GraphTexts {
 public:
  explicit GraphTexts(const NavGraphView& graph) {
    const size_t n = graph.node_z.size();
    id_offsets_.reserve(n + 1);
    id_offsets_.push_back(0);
    int max_z = -1;
    for (size_t node = 0; node < n; ++node) {
      AppendId(ids_, graph.node_z[node], graph.node_y[node], graph.node_x[node]);
      id_offsets_.push_back(static_cast<uint32_t>(ids_.size()));
      max_z = std::max(max_z, static_cast<int>(graph.node_z[node]));
    }
    // NavCellPosition gives exactly the reference's coordinates; take each axis from it.
    const double s = graph.voxel_size;
    for (int x = 0; x < graph.size_x; ++x) xs_.push_back(Format(NavCellPosition(0, 0, x, s).x));
    for (int y = 0; y < graph.size_y; ++y) ys_.push_back(Format(NavCellPosition(0, y, 0, s).y));
    for (int z = -1; z <= max_z; ++z) zs_.push_back(Format(NavCellPosition(z, 0, 0, s).z));
  }

  std::string_view id(uint32_t node) const {
    return std::string_view(ids_).substr(id_offsets_[node], id_offsets_[node + 1] - id_offsets_[node]);
  }

  void AppendPos(std::string& out, int z, int y, int x) const {
    out.push_back('[');
    out.append(xs_[x]);
    out.push_back(',');
    out.append(ys_[y]);
    out.push_back(',');
    out.append(zs_[z + 1]);
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

absl::StatusOr<v1::GetGraphRequest> ParseNavGraphRequest(std::string_view body) {
  internal::ParserLease parser;
  v1::GetGraphRequest request;
  absl::StatusOr<simdjson::dom::object> object = ParseRequestObject(parser, body, *request.mutable_world_hash());
  if (!object.ok()) return object.status();
  return request;
}

absl::StatusOr<v1::FindPathRequest> ParseNavPathRequest(std::string_view body) {
  internal::ParserLease parser;
  v1::FindPathRequest request;
  absl::StatusOr<simdjson::dom::object> object = ParseRequestObject(parser, body, *request.mutable_world_hash());
  if (!object.ok()) return object.status();
  if (absl::Status status = ReadPosition(*object, "start_pos", *request.mutable_start_pos()); !status.ok()) {
    return status;
  }
  if (absl::Status status = ReadPosition(*object, "goal_pos", *request.mutable_goal_pos()); !status.ok()) {
    return status;
  }
  return request;
}

std::string RenderNavGraphJson(const NavGraphView& graph) {
  const GraphTexts texts(graph);
  // Local copies: every append writes chars, which may alias anything, so
  // fields read through `graph` would be reloaded on each iteration.
  const std::span<const int32_t> node_z = graph.node_z, node_y = graph.node_y, node_x = graph.node_x;
  const std::span<const uint32_t> edge_offsets = graph.edge_offsets, edge_targets = graph.edge_targets;
  const size_t node_count = node_z.size();
  std::string out;
  // Roughly: per node ~50 bytes + ~12 per edge; one allocation in practice.
  out.reserve(64 + node_count * 56 + edge_targets.size() * 13);
  out.append("{\"voxel_size\":");
  AppendJsonDouble(out, graph.voxel_size);
  out.append(",\"clearance_z\":");
  AppendJsonInt(out, graph.clearance_z);
  out.append(",\"nodes\":[");
  for (uint32_t node = 0; node < node_count; ++node) {
    if (node > 0) out.push_back(',');
    out.append("{\"id\":");
    out.append(texts.id(node));
    out.append(",\"pos\":");
    texts.AppendPos(out, node_z[node], node_y[node], node_x[node]);
    out.append(",\"edges\":[");
    bool first = true;
    for (uint32_t target : edge_targets.subspan(edge_offsets[node], edge_offsets[node + 1] - edge_offsets[node])) {
      if (!first) out.push_back(',');
      first = false;
      out.append(texts.id(target));
    }
    out.append("]}");
  }
  out.append("]}");
  return out;
}

std::string RenderNavPathJson(const v1::FindPathResponse& path) {
  std::string out;
  if (!path.error().empty()) {
    out.append("{\"found\":false,\"error\":");
    AppendJsonString(out, path.error());
    out.push_back('}');
    return out;
  }
  out.append(path.found() ? "{\"found\":true,\"path\":[" : "{\"found\":false,\"path\":[");
  for (int i = 0; i < path.path_size(); ++i) {
    if (i > 0) out.push_back(',');
    const v1::Vec3& pos = path.path(i);
    AppendPos(out, pos.x(), pos.y(), pos.z());
  }
  out.append("],\"node_ids\":[");
  for (int i = 0; i < path.node_ids_size(); ++i) {
    if (i > 0) out.push_back(',');
    const v1::NodeId& id = path.node_ids(i);
    AppendId(out, id.z(), id.y(), id.x());
  }
  out.append("],\"stats\":{\"length\":");
  AppendJsonInt(out, path.stats().length());
  out.append(",\"cost\":");
  AppendJsonDouble(out, path.stats().cost());
  out.append(",\"visited\":");
  AppendJsonInt(out, path.stats().visited());
  out.append("}}");
  return out;
}

}  // namespace echelon::json
