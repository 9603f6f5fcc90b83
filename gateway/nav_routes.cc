// /nav/graph and /nav/path: JSON requests (parsed by protocol/nav_codec.h)
// translated to NavService calls. The core renders the answers with the same
// codec (the graph once per cached world, gzipped once).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "gateway/request_body.h"
#include "protocol/nav_codec.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

// Reads and parses a nav request body with `parse` (a protocol nav codec).
template <typename Request>
absl::StatusOr<Request> ReadNavRequest(const httplib::Request& req, const httplib::ContentReader& reader,
                                       const BodyLimits& limits,
                                       absl::StatusOr<Request> (*parse)(std::string_view)) {
  absl::StatusOr<std::string> body = ReadBody(req, reader, limits);
  if (!body.ok()) return body.status();
  return parse(*body);
}

}  // namespace

void Gateway::RegisterNavRoutes() {
  http_.Post("/nav/graph", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
    if (!Authorized(req, res, TokenRole::kView)) return;
    absl::StatusOr<v1::GetGraphRequest> request =
        ReadNavRequest(req, reader, body_limits(), &json::ParseNavGraphRequest);
    if (!request.ok()) return SetError(res, request.status());
    const std::string& hash = request->world_hash();

    if (req.get_header_value("If-None-Match") == absl::StrCat("\"", hash, "\"")) {
      res.status = 304;
      return;
    }
    request->set_as_json(true);
    request->set_gzip(absl::StrContains(req.get_header_value("Accept-Encoding"), "gzip"));
    v1::GetGraphResponse response;
    auto context = CoreContext(req);
    grpc::Status status = nav_->GetGraph(context.get(), *request, &response);
    if (!status.ok()) return SetError(res, FromGrpcStatus(status));
    // The graph is a function of the world, and the world of its hash.
    res.set_header("ETag", absl::StrCat("\"", hash, "\""));
    res.set_header("Vary", "Accept-Encoding");
    if (response.gzipped()) res.set_header("Content-Encoding", "gzip");
    res.set_content(std::move(*response.mutable_graph_json()), kJsonContentType);
  });

  http_.Post("/nav/path", [this](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
    if (!Authorized(req, res, TokenRole::kView)) return;
    absl::StatusOr<v1::FindPathRequest> request =
        ReadNavRequest(req, reader, body_limits(), &json::ParseNavPathRequest);
    if (!request.ok()) return SetError(res, request.status());
    request->set_as_json(true);

    v1::FindPathResponse response;
    auto context = CoreContext(req);
    grpc::Status status = nav_->FindPath(context.get(), *request, &response);
    if (!status.ok()) return SetError(res, FromGrpcStatus(status));
    SetJson(res, std::move(*response.mutable_path_json()));
  });
}

}  // namespace echelon::gateway
