// Security headers of every HTTP answer. The viewer's page gets a
// Content-Security-Policy that lets it load scripts, styles, images and
// connections from its own origin only (plus the hashes of the inline scripts
// of its index.html, i.e. the import map, and data:/blob: images for the
// favicon and canvas snapshots), and may not be framed; everything else (JSON,
// SSE) gets the strictest policy, since no browser should ever render it.
// All answers carry `X-Content-Type-Options: nosniff`.
#pragma once

#include <string>
#include <string_view>

namespace echelon::gateway {

// The policy of an HTML page with this text: 'self' plus a 'sha256-...' source
// for each inline <script> (one without src=).
std::string ViewerContentSecurityPolicy(std::string_view html);

// default-src 'none'; frame-ancestors 'none'.
inline constexpr char kApiContentSecurityPolicy[] = "default-src 'none'; frame-ancestors 'none'";

}  // namespace echelon::gateway
