// GET / and the viewer's files (embedded in the binary, see viewer_assets.h).
#include "gateway/gateway.h"
#include "gateway/http_errors.h"

namespace echelon::gateway {

void Gateway::RegisterViewerRoutes() {
  auto serve = [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<ViewerAsset> asset = assets_->Find(req.path);
    if (!asset) return SetError(res, 404, "no such file: " + req.path);
    res.set_header("ETag", asset->etag);
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
