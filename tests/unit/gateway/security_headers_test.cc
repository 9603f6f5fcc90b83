#include "gateway/security_headers.h"

#include <gtest/gtest.h>

namespace echelon::gateway {
namespace {

TEST(SecurityHeadersTest, InlineScriptsAreAllowedByTheirHashOnly) {
  // sha256 of "alert(1)", base64: the value browsers compute for the element.
  const std::string policy = ViewerContentSecurityPolicy(
      "<html><head><script type=\"importmap\">alert(1)</script>"
      "<script type=\"module\" src=\"src/main.js\"></script></head></html>");
  EXPECT_NE(policy.find("script-src 'self' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            std::string::npos)
      << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos);
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(policy.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(policy.find("object-src 'none'"), std::string::npos);
}

TEST(SecurityHeadersTest, APageWithoutInlineScriptsAllowsSelfOnly) {
  const std::string policy = ViewerContentSecurityPolicy("<script src=\"a.js\"></script>");
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos) << policy;
}

}  // namespace
}  // namespace echelon::gateway
