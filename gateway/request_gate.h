// RequestGate: the checks every HTTP request passes before any route sees it
// (the gateway installs CheckRequest as cpp-httplib's pre-routing handler).
//
// - Host: with --allowed-hosts, a request whose Host header names another
//   host is refused with 421. This defeats DNS rebinding: a page on
//   evil.example whose name an attacker re-points at this server still sends
//   `Host: evil.example`.
// - Origin: a state-changing request (any method but GET, HEAD, OPTIONS) that
//   carries an Origin header naming another origin than the server's own is
//   refused with 403. Browsers always send Origin on cross-origin POST/PUT/
//   DELETE, so another site's page cannot push, store worlds, pin, delete or
//   log in here, even with a text/plain body that needs no CORS preflight.
//   Requests without Origin (trainers, scripts, curl) pass.
//
// The server's own origin is its scheme (https under TLS) and the Host
// header; behind a trusted reverse proxy (--trust-proxy) X-Forwarded-Proto and
// X-Forwarded-Host take their place, since the proxy talks to us with its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echelon::gateway {

struct RequestGateOptions {
  // Host names (any port) or host:port pairs; empty: any Host is accepted.
  std::vector<std::string> allowed_hosts;
  bool tls = false;
  bool trust_proxy = false;
};

// The parts of a request the gate looks at (header values, "" when absent).
struct GateRequest {
  std::string_view method;
  std::string_view host;
  std::string_view origin;
  std::string_view forwarded_proto;
  std::string_view forwarded_host;
};

struct Refusal {
  int status;
  std::string detail;
};

// nullopt when the request may proceed.
std::optional<Refusal> CheckRequest(const GateRequest& request, const RequestGateOptions& options);

// "http" or "https": how the client reached us (a trusted proxy's
// X-Forwarded-Proto when trust_proxy).
std::string_view ClientScheme(const GateRequest& request, const RequestGateOptions& options);

// "scheme://host[:port]" lowercased, without the scheme's default port;
// nullopt when `origin` is not such an origin (e.g. "null").
std::optional<std::string> NormalizeOrigin(std::string_view origin);

// Parses --allowed-hosts ("a.example, 10.0.0.5:8090"); entries are lowercased.
std::vector<std::string> ParseAllowedHosts(std::string_view list);

}  // namespace echelon::gateway
