#include "gateway/request_gate.h"

#include <gtest/gtest.h>

namespace echelon::gateway {
namespace {

GateRequest Post(std::string_view host, std::string_view origin) {
  return GateRequest{.method = "POST", .host = host, .origin = origin};
}

TEST(RequestGateTest, RequestsWithoutOriginPass) {
  EXPECT_FALSE(CheckRequest(Post("127.0.0.1:8090", ""), {}));
  EXPECT_FALSE(CheckRequest(GateRequest{.method = "PUT", .host = "replays.lan:8090"}, {}));
}

TEST(RequestGateTest, SameOriginStateChangesPass) {
  EXPECT_FALSE(CheckRequest(Post("127.0.0.1:8090", "http://127.0.0.1:8090"), {}));
  EXPECT_FALSE(CheckRequest(Post("Replays.LAN:8090", "http://replays.lan:8090"), {}));
  // Default ports are the same origin with or without the number.
  EXPECT_FALSE(CheckRequest(Post("replays.lan", "http://replays.lan:80"), {}));
  EXPECT_FALSE(CheckRequest(Post("replays.lan:443", "https://replays.lan"), {.tls = true}));
  EXPECT_FALSE(CheckRequest(Post("[::1]:8090", "http://[::1]:8090"), {}));
}

TEST(RequestGateTest, CrossOriginStateChangesAre403WithADetail) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    auto refusal = CheckRequest({.method = method, .host = "127.0.0.1:8090", .origin = "http://evil.example"}, {});
    ASSERT_TRUE(refusal) << method;
    EXPECT_EQ(refusal->status, 403);
    EXPECT_NE(refusal->detail.find("evil.example"), std::string::npos);
  }
  EXPECT_TRUE(CheckRequest(Post("127.0.0.1:8090", "http://127.0.0.1:8091"), {}));  // another port
  EXPECT_TRUE(CheckRequest(Post("127.0.0.1:8090", "https://127.0.0.1:8090"), {}));  // another scheme
  EXPECT_TRUE(CheckRequest(Post("127.0.0.1:8090", "http://127.0.0.1:8090"), {.tls = true}));
  EXPECT_TRUE(CheckRequest(Post("127.0.0.1:8090", "null"), {}));  // sandboxed frames, file://
  EXPECT_TRUE(CheckRequest(Post("", "http://127.0.0.1:8090"), {}));  // no Host to compare with
}

TEST(RequestGateTest, CrossOriginReadsPass) {
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    EXPECT_FALSE(CheckRequest({.method = method, .host = "127.0.0.1:8090", .origin = "http://evil.example"}, {}));
  }
}

TEST(RequestGateTest, AllowedHostsRefuseOtherHostsWith421) {
  const RequestGateOptions options{.allowed_hosts = ParseAllowedHosts("replays.lan, 10.0.0.5:8090")};
  EXPECT_FALSE(CheckRequest({.method = "GET", .host = "replays.lan:8090"}, options));
  EXPECT_FALSE(CheckRequest({.method = "GET", .host = "REPLAYS.lan"}, options));
  EXPECT_FALSE(CheckRequest({.method = "GET", .host = "10.0.0.5:8090"}, options));
  for (const char* host : {"10.0.0.5:9999", "10.0.0.5", "evil.example:8090", "", "replays.lan.evil.example"}) {
    auto refusal = CheckRequest({.method = "GET", .host = host}, options);
    ASSERT_TRUE(refusal) << host;
    EXPECT_EQ(refusal->status, 421);
    EXPECT_NE(refusal->detail.find("--allowed-hosts"), std::string::npos);
  }
}

TEST(RequestGateTest, ForwardedHeadersCountOnlyBehindATrustedProxy) {
  const GateRequest proxied{.method = "POST",
                            .host = "127.0.0.1:8090",
                            .origin = "https://replays.example",
                            .forwarded_proto = "https",
                            .forwarded_host = "replays.example"};
  EXPECT_TRUE(CheckRequest(proxied, {}));
  EXPECT_FALSE(CheckRequest(proxied, {.trust_proxy = true}));
  EXPECT_EQ(ClientScheme(proxied, {.trust_proxy = true}), "https");
  EXPECT_EQ(ClientScheme(proxied, {}), "http");
  const RequestGateOptions hosts{.allowed_hosts = {"replays.example"}, .trust_proxy = true};
  EXPECT_FALSE(CheckRequest(proxied, hosts));
}

TEST(RequestGateTest, NormalizeOrigin) {
  EXPECT_EQ(*NormalizeOrigin("HTTP://Example.com:80"), "http://example.com");
  EXPECT_EQ(*NormalizeOrigin("https://example.com:8443"), "https://example.com:8443");
  EXPECT_FALSE(NormalizeOrigin("null"));
  EXPECT_FALSE(NormalizeOrigin("http://example.com:99999"));
  EXPECT_FALSE(NormalizeOrigin("ftp://example.com"));
}

}  // namespace
}  // namespace echelon::gateway
