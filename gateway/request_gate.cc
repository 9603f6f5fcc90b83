#include "gateway/request_gate.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace echelon::gateway {
namespace {

// Debian's abseil has its own string_view type.
absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The first value of a list header ("a, b" -> "a"), as proxies append.
absl::string_view FirstListValue(absl::string_view value) {
  return absl::StripAsciiWhitespace(value.substr(0, value.find(',')));
}

struct HostPort {
  std::string host;  // lowercased; an IPv6 literal keeps its brackets
  std::string port;  // "" when absent
};

std::optional<HostPort> SplitHostPort(absl::string_view authority) {
  authority = absl::StripAsciiWhitespace(authority);
  if (authority.empty()) return std::nullopt;
  HostPort out;
  size_t host_end;
  if (authority.front() == '[') {
    host_end = authority.find(']');
    if (host_end == absl::string_view::npos) return std::nullopt;
    ++host_end;
  } else {
    host_end = authority.find(':');
    if (host_end == absl::string_view::npos) host_end = authority.size();
  }
  out.host = absl::AsciiStrToLower(authority.substr(0, host_end));
  absl::string_view rest = authority.substr(host_end);
  if (!rest.empty()) {
    if (rest.front() != ':') return std::nullopt;
    out.port = std::string(rest.substr(1));
    uint32_t port = 0;
    if (!absl::SimpleAtoi(out.port, &port) || port == 0 || port > 65535) return std::nullopt;
  }
  if (out.host.empty()) return std::nullopt;
  return out;
}

absl::string_view DefaultPort(absl::string_view scheme) { return scheme == "https" ? "443" : "80"; }

std::string Authority(const HostPort& hp, absl::string_view scheme) {
  if (hp.port.empty() || hp.port == DefaultPort(scheme)) return hp.host;
  return absl::StrCat(hp.host, ":", hp.port);
}

bool HostAllowed(const HostPort& hp, const std::vector<std::string>& allowed) {
  for (const std::string& entry : allowed) {
    if (entry == hp.host || (!hp.port.empty() && entry == absl::StrCat(hp.host, ":", hp.port))) return true;
  }
  return false;
}

bool ChangesState(absl::string_view method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

std::string Quoted(absl::string_view value) { return absl::StrCat("'", absl::CHexEscape(value.substr(0, 200)), "'"); }

}  // namespace

std::string_view ClientScheme(const GateRequest& request, const RequestGateOptions& options) {
  if (options.trust_proxy && !request.forwarded_proto.empty()) {
    return absl::AsciiStrToLower(FirstListValue(A(request.forwarded_proto))) == "https" ? "https" : "http";
  }
  return options.tls ? "https" : "http";
}

std::optional<std::string> NormalizeOrigin(std::string_view origin_in) {
  const absl::string_view origin = A(origin_in);
  absl::string_view scheme;
  if (absl::StartsWithIgnoreCase(origin, "http://")) {
    scheme = "http";
  } else if (absl::StartsWithIgnoreCase(origin, "https://")) {
    scheme = "https";
  } else {
    return std::nullopt;
  }
  std::optional<HostPort> hp = SplitHostPort(origin.substr(scheme.size() + 3));
  if (!hp) return std::nullopt;
  return absl::StrCat(scheme, "://", Authority(*hp, scheme));
}

std::optional<Refusal> CheckRequest(const GateRequest& request, const RequestGateOptions& options) {
  const absl::string_view host_header = options.trust_proxy && !request.forwarded_host.empty()
                                            ? FirstListValue(A(request.forwarded_host))
                                            : A(request.host);
  const std::optional<HostPort> host = SplitHostPort(host_header);
  if (!options.allowed_hosts.empty() && (!host || !HostAllowed(*host, options.allowed_hosts))) {
    return Refusal{421, absl::StrCat("this server does not answer for host ", Quoted(host_header),
                                     " (see --allowed-hosts)")};
  }
  if (request.origin.empty() || !ChangesState(A(request.method))) return std::nullopt;
  const absl::string_view scheme = A(ClientScheme(request, options));
  const std::optional<std::string> origin = NormalizeOrigin(request.origin);
  if (host && origin && *origin == absl::StrCat(scheme, "://", Authority(*host, scheme))) return std::nullopt;
  return Refusal{403, absl::StrCat("cross-origin ", A(request.method), " refused: Origin ", Quoted(A(request.origin)),
                                   " is not this server's origin")};
}

std::vector<std::string> ParseAllowedHosts(std::string_view list) {
  std::vector<std::string> hosts;
  for (absl::string_view entry : absl::StrSplit(A(list), absl::ByAnyChar(", "), absl::SkipEmpty())) {
    hosts.push_back(absl::AsciiStrToLower(entry));
  }
  return hosts;
}

}  // namespace echelon::gateway
