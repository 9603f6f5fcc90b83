#include "common/endpoint_list.h"

#include <netdb.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace echelon {

std::vector<std::string> SplitEndpoints(std::string_view list) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) parts.emplace_back(part);
  }
  return parts;
}

namespace {

// "host:port" -> ("1.2.3.4:port", AF_INET) or ("[::1]:port", AF_INET6).
absl::StatusOr<std::pair<std::string, int>> Resolve(const std::string& endpoint) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon + 1 == endpoint.size()) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint ", endpoint, " has no port"));
  }
  std::string host = endpoint.substr(0, colon);
  const std::string port = endpoint.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve ", host));
  }
  char text[INET6_ADDRSTRLEN] = {0};
  const int family = found->ai_family;
  if (family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr, text, sizeof(text));
  }
  freeaddrinfo(found);
  return std::make_pair(family == AF_INET ? absl::StrCat(text, ":", port) : absl::StrCat("[", text, "]:", port),
                        family);
}

}  // namespace

absl::StatusOr<std::string> GrpcTargetFor(std::string_view list) {
  const std::vector<std::string> endpoints = SplitEndpoints(list);
  if (endpoints.empty()) return absl::InvalidArgumentError("no endpoint given");
  if (endpoints.size() == 1) return endpoints.front();
  std::vector<std::string> addresses;
  int family = 0;
  for (const std::string& endpoint : endpoints) {
    absl::StatusOr<std::pair<std::string, int>> resolved = Resolve(endpoint);
    if (!resolved.ok()) return resolved.status();
    if (family != 0 && resolved->second != family) {
      return absl::InvalidArgumentError("endpoints of one target must all be IPv4 or all IPv6");
    }
    family = resolved->second;
    addresses.push_back(resolved->first);
  }
  return absl::StrCat(family == AF_INET ? "ipv4:" : "ipv6:", absl::StrJoin(addresses, ","));
}

}  // namespace echelon
