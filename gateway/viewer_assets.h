// ViewerAssets: the browser viewer's files, served at `/`. By default they are
// embedded in the binary at build time (viewer/ plus three.js from npm), so
// the server works offline on a LAN with nothing beside it; --viewer-dir
// serves a folder instead, for viewer development.
//
// URL layout: /            -> index.html
//             /src/...      -> viewer/src/...
//             /vendor/three.module.js, /vendor/three.core.js -> three/build/
//             /vendor/addons/...  -> three/examples/jsm/...
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace echelon::gateway {

struct ViewerAsset {
  std::string_view content;
  std::string_view content_type;
  std::string etag;
  // Keeps `content` alive when it was read from disk for this request
  // (embedded assets live as long as the binary).
  std::shared_ptr<const std::string> owner;
};

class ViewerAssets {
 public:
  // The copy compiled into the binary.
  static std::unique_ptr<ViewerAssets> Embedded();
  // Files read from `viewer_dir` on each request (its node_modules/three
  // provides /vendor).
  static std::unique_ptr<ViewerAssets> FromDirectory(std::string viewer_dir);

  // nullopt when there is no such asset.
  std::optional<ViewerAsset> Find(std::string_view url_path) const;

 private:
  ViewerAssets() = default;
  std::optional<ViewerAsset> FindOnDisk(std::string_view url_path) const;

  absl::flat_hash_map<std::string, ViewerAsset> embedded_;
  std::string viewer_dir_;
};

std::string_view ContentTypeFor(std::string_view path);

}  // namespace echelon::gateway
