#include "gateway/viewer_assets.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "viewer/embedded_assets.h"

namespace echelon::gateway {
namespace {

// FNV-1a: a cheap content fingerprint for ETags, computed once at start-up.
std::string Fingerprint(std::string_view content) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : content) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrFormat("\"%016x\"", hash);
}

std::string NormalizedPath(std::string_view url_path) {
  if (url_path.empty() || url_path == "/") return "/index.html";
  return std::string(url_path);
}

// Where a URL path lives inside the viewer folder.
std::optional<std::string> DiskPathFor(std::string_view url_path) {
  if (url_path.find("..") != std::string_view::npos) return std::nullopt;
  if (url_path.starts_with("/vendor/addons/")) {
    return "node_modules/three/examples/jsm/" + std::string(url_path.substr(15));
  }
  if (url_path.starts_with("/vendor/")) {
    return "node_modules/three/build/" + std::string(url_path.substr(8));
  }
  return std::string(url_path.substr(1));
}

}  // namespace

std::string_view ContentTypeFor(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  // Not text/javascript: cpp-httplib would brotli-compress megabytes of
  // three.js on every page load.
  if (path.ends_with(".js") || path.ends_with(".mjs")) return "application/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".json")) return "application/json";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

std::unique_ptr<ViewerAssets> ViewerAssets::Embedded() {
  std::unique_ptr<ViewerAssets> assets(new ViewerAssets());
  for (size_t i = 0; i < viewer::kEmbeddedAssetCount; ++i) {
    const viewer::EmbeddedAsset& asset = viewer::kEmbeddedAssets[i];
    std::string_view content(asset.begin, static_cast<size_t>(asset.end - asset.begin));
    assets->embedded_[asset.url_path] =
        ViewerAsset{content, ContentTypeFor(asset.url_path), Fingerprint(content)};
  }
  return assets;
}

std::unique_ptr<ViewerAssets> ViewerAssets::FromDirectory(std::string viewer_dir) {
  std::unique_ptr<ViewerAssets> assets(new ViewerAssets());
  assets->viewer_dir_ = std::move(viewer_dir);
  return assets;
}

std::optional<ViewerAsset> ViewerAssets::Find(std::string_view url_path) const {
  const std::string path = NormalizedPath(url_path);
  if (!viewer_dir_.empty()) return FindOnDisk(path);
  auto it = embedded_.find(path);
  if (it == embedded_.end()) return std::nullopt;
  return it->second;
}

std::optional<ViewerAsset> ViewerAssets::FindOnDisk(std::string_view url_path) const {
  std::optional<std::string> relative = DiskPathFor(url_path);
  if (!relative) return std::nullopt;
  std::ifstream file(viewer_dir_ + "/" + *relative, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream content;
  content << file.rdbuf();
  // Each request owns what it read: HTTP workers serve files concurrently.
  auto bytes = std::make_shared<const std::string>(content.str());
  return ViewerAsset{*bytes, ContentTypeFor(url_path), Fingerprint(*bytes), bytes};
}

}  // namespace echelon::gateway
