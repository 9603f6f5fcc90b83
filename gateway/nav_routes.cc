// /nav/graph and /nav/path: JSON requests translated to NavService calls. The
// core renders the answers (the graph once per cached world, gzipped once).
#include <simdjson.h>

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "gateway/request_body.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

absl::StatusOr<simdjson::dom::object> ParseObject(simdjson::dom::parser& parser,
                                                  const std::string& body) {
  simdjson::dom::element root;
  if (auto error = parser.parse(body).get(root); error) {
    return absl::InvalidArgumentError(absl::StrCat("body is not valid JSON: ", simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) return absl::InvalidArgumentError("body must be a JSON object");
  return object;
}

absl::StatusOr<std::string> WorldHashField(simdjson::dom::object& object) {
  std::string_view hash;
  if (object["world_hash"].get_string().get(hash)) {
    return absl::InvalidArgumentError("field 'world_hash' is required and must be a string");
  }
  return std::string(hash);
}

absl::Status ReadPosition(simdjson::dom::object& object, const char* field, v1::Vec3& out) {
  simdjson::dom::array array;
  const auto invalid = absl::InvalidArgumentError(
      absl::StrCat("field '", field, "' must be an array of 3 finite numbers"));
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

// A nav request's body: the parsed JSON object (which points into `parser`)
// and its world hash.
struct NavRequest {
  std::string body;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::string world_hash;
};

absl::Status ReadNavRequest(const httplib::Request& req, const httplib::ContentReader& reader,
                            const BodyLimits& limits, NavRequest& out) {
  absl::StatusOr<std::string> body = ReadBody(req, reader, limits);
  if (!body.ok()) return body.status();
  out.body = *std::move(body);
  absl::StatusOr<simdjson::dom::object> object = ParseObject(out.parser, out.body);
  if (!object.ok()) return object.status();
  out.object = *object;
  absl::StatusOr<std::string> hash = WorldHashField(out.object);
  if (!hash.ok()) return hash.status();
  out.world_hash = *std::move(hash);
  return absl::OkStatus();
}

}  // namespace

void Gateway::RegisterNavRoutes() {
  // Checks the caller and reads the body; false once an error is answered.
  auto accept = [this](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader, NavRequest& nav) {
    if (!Authorized(req, res, TokenRole::kView)) return false;
    absl::Status read = ReadNavRequest(req, reader, body_limits(), nav);
    if (!read.ok()) SetError(res, read);
    return read.ok();
  };

  http_.Post("/nav/graph", [this, accept](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
    NavRequest nav;
    if (!accept(req, res, reader, nav)) return;
    const std::string& hash = nav.world_hash;

    if (req.get_header_value("If-None-Match") == absl::StrCat("\"", hash, "\"")) {
      res.status = 304;
      return;
    }
    v1::GetGraphRequest request;
    request.set_world_hash(hash);
    request.set_as_json(true);
    request.set_gzip(absl::StrContains(req.get_header_value("Accept-Encoding"), "gzip"));
    v1::GetGraphResponse response;
    auto context = CoreContext(req);
    grpc::Status status = nav_->GetGraph(context.get(), request, &response);
    if (!status.ok()) return SetError(res, FromGrpcStatus(status));
    // The graph is a function of the world, and the world of its hash.
    res.set_header("ETag", absl::StrCat("\"", hash, "\""));
    res.set_header("Vary", "Accept-Encoding");
    if (response.gzipped()) res.set_header("Content-Encoding", "gzip");
    res.set_content(std::move(*response.mutable_graph_json()), kJsonContentType);
  });

  http_.Post("/nav/path", [this, accept](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
    NavRequest nav;
    if (!accept(req, res, reader, nav)) return;
    const std::string& hash = nav.world_hash;

    v1::FindPathRequest request;
    request.set_world_hash(hash);
    request.set_as_json(true);
    absl::Status positions = ReadPosition(nav.object, "start_pos", *request.mutable_start_pos());
    if (positions.ok()) positions = ReadPosition(nav.object, "goal_pos", *request.mutable_goal_pos());
    if (!positions.ok()) return SetError(res, positions);

    v1::FindPathResponse response;
    auto context = CoreContext(req);
    grpc::Status status = nav_->FindPath(context.get(), request, &response);
    if (!status.ok()) return SetError(res, FromGrpcStatus(status));
    SetJson(res, std::move(*response.mutable_path_json()));
  });
}

}  // namespace echelon::gateway
