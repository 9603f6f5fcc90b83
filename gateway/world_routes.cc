// /worlds/{hash}: HEAD (is it stored?), GET (content-addressed, cacheable,
// gzip when accepted) and PUT (store; the core re-checks the hash).
#include "absl/strings/match.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/json_writer.h"
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "gateway/request_body.h"
#include "protocol/world_hash.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

constexpr char kWorldPath[] = R"(/worlds/([^/]+))";

bool AcceptsGzip(const httplib::Request& req) {
  return absl::StrContains(req.get_header_value("Accept-Encoding"), "gzip");
}

std::string ETagFor(const std::string& hash) { return absl::StrCat("\"", hash, "\""); }

// A world never changes under its hash, so caches may keep it for good.
void SetContentAddressedHeaders(httplib::Response& res, const std::string& hash) {
  res.set_header("ETag", ETagFor(hash));
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");
  res.set_header("Vary", "Accept-Encoding");
}

}  // namespace

void Gateway::RegisterWorldRoutes() {
  // HEAD is routed to this handler by cpp-httplib, which then drops the body.
  http_.Get(kWorldPath, [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res, TokenRole::kView)) return;
    const std::string hash = req.matches[1];
    if (!world::IsWellFormedWorldHash(hash)) {
      // Nothing is stored under it, and it may not even be text (the core's
      // protobuf strings must be UTF-8): answer without asking the core.
      return SetError(res, 404, absl::StrCat("world '", absl::CHexEscape(hash),
                                             "' is not stored (a world hash is 16 lowercase hex digits)"));
    }
    if (req.method == "HEAD") {
      v1::HasWorldRequest request;
      request.set_world_hash(hash);
      v1::HasWorldResponse response;
      auto context = CoreContext(req);
      grpc::Status status = worlds_->Has(context.get(), request, &response);
      if (!status.ok()) return SetError(res, FromGrpcStatus(status));
      res.status = response.present() ? 200 : 404;
      if (response.present()) SetContentAddressedHeaders(res, hash);
      return;
    }
    if (req.get_header_value("If-None-Match") == ETagFor(hash)) {
      // Only a stored world can have handed out this ETag; a stale one after
      // eviction would still be the same content, so 304 is always right.
      res.status = 304;
      SetContentAddressedHeaders(res, hash);
      return;
    }
    v1::GetWorldRequest request;
    request.set_world_hash(hash);
    request.set_gzip(AcceptsGzip(req));
    v1::GetWorldResponse response;
    auto context = CoreContext(req);
    grpc::Status status = worlds_->Get(context.get(), request, &response);
    if (!status.ok()) return SetError(res, FromGrpcStatus(status));
    SetContentAddressedHeaders(res, hash);
    if (response.gzipped()) res.set_header("Content-Encoding", "gzip");
    res.set_content(std::move(*response.mutable_world_json()), kJsonContentType);
  });

  http_.Put(kWorldPath, [this](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) {
    if (!Authorized(req, res, TokenRole::kPush)) return;
    const std::string hash = req.matches[1];
    if (!world::IsWellFormedWorldHash(hash)) {
      return SetError(res, 400,
                      absl::StrCat("'", absl::CHexEscape(hash), "' is not a world hash (16 lowercase hex digits)"));
    }
    absl::StatusOr<std::string> body = ReadBody(req, reader, body_limits());
    if (!body.ok()) return SetError(res, body.status());
    v1::PutWorldRequest request;
    request.set_world_json(*std::move(body));
    request.set_world_hash(hash);
    v1::PutWorldResponse response;
    auto context = CoreContext(req);
    grpc::Status status = worlds_->Put(context.get(), request, &response);
    if (!status.ok()) return SetError(res, FromGrpcStatus(status));
    std::string answer;
    JsonWriter w(answer);
    w.BeginObject();
    w.Key("status");
    w.String("ok");
    w.Key("world_hash");
    w.String(response.world_hash());
    w.EndObject();
    SetJson(res, std::move(answer));
  });
}

}  // namespace echelon::gateway
