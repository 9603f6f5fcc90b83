#include "gateway/security_headers.h"

#include <openssl/sha.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace echelon::gateway {
namespace {

// Debian's abseil has its own string_view type.
absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Sha256Source(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::StrCat("'sha256-",
                      absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest))),
                      "'");
}

// The bodies of the inline <script> elements of `html`, in order. A simple
// scan is enough: the page is our own file, not untrusted input.
std::vector<std::string_view> InlineScripts(std::string_view html) {
  std::vector<std::string_view> scripts;
  const std::string lower = absl::AsciiStrToLower(A(html));
  size_t at = 0;
  while ((at = lower.find("<script", at)) != std::string::npos) {
    const size_t tag_end = lower.find('>', at);
    if (tag_end == std::string::npos) break;
    const absl::string_view tag(lower.data() + at, tag_end - at);
    const size_t close = lower.find("</script", tag_end);
    if (close == std::string::npos) break;
    if (!absl::StrContains(tag, " src=") && !absl::StrContains(tag, "\tsrc=") &&
        !absl::StrContains(tag, "\nsrc=")) {
      scripts.push_back(html.substr(tag_end + 1, close - tag_end - 1));
    }
    at = close;
  }
  return scripts;
}

}  // namespace

std::string ViewerContentSecurityPolicy(std::string_view html) {
  std::vector<std::string> script_sources = {"'self'"};
  for (std::string_view script : InlineScripts(html)) script_sources.push_back(Sha256Source(script));
  return absl::StrCat("default-src 'self'; script-src ", absl::StrJoin(script_sources, " "),
                      "; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
                      "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                      "frame-ancestors 'none'");
}

}  // namespace echelon::gateway
