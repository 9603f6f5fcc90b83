// GET / and the viewer's files (embedded in the binary, see viewer_assets.h).
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "gateway/security_headers.h"

namespace echelon::gateway {

void Gateway::RegisterViewerRoutes() {
  auto serve = [this](const httplib::Request& req, httplib::Response& res) {
    // The page's policy first (its inline import map's hash).
    std::string policy;
    if (std::optional<ViewerAsset> page = assets_->Find("/index.html")) {
      policy = ViewerContentSecurityPolicy(page->content);
    }
    std::optional<ViewerAsset> asset = assets_->Find(req.path);
    if (!asset) return SetError(res, 404, "no such file: " + req.path);
    res.set_header("ETag", asset->etag);
    // The page's policy, on every viewer file (a script may start a worker,
    // which follows its own response's policy) and on a 304 too (a
    // revalidated page takes the headers of the 304).
    if (!policy.empty()) res.set_header("Content-Security-Policy", policy);
    // Revalidate every load: a rebuilt server may ship a new viewer.
    res.set_header("Cache-Control", "no-cache");
    if (req.get_header_value("If-None-Match") == asset->etag) {
      res.status = 304;
      return;
    }
    res.set_content(asset->content.data(), asset->content.size(), std::string(asset->content_type));
  };
  http_.Get("/", serve);
  http_.Get(R"(/(index\.html|style\.css))", serve);
  http_.Get(R"(/src/[A-Za-z0-9_./-]+\.js)", serve);
  http_.Get(R"(/vendor/[A-Za-z0-9_./-]+\.js)", serve);
}

}  // namespace echelon::gateway
