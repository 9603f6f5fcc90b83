// Several endpoints of one service as one gRPC target: "a:50051,b:50051" ->
// "ipv4:10.0.0.1:50051,10.0.0.2:50051". gRPC's default pick_first policy then
// uses the first address that answers and moves to the next when it fails,
// which is the failover a client of a cluster's cores wants (the cores share
// one replay log, docs/deployment.md). Names are resolved once, here.
//
//   absl::StatusOr<std::string> target = GrpcTargetFor("a:50051,b:50051");
//   std::vector<std::string> parts = SplitEndpoints("http://a:8090,http://b:8090");
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace echelon {

// The comma-separated parts of `list`, trimmed, empty ones dropped.
std::vector<std::string> SplitEndpoints(std::string_view list);

// `list` unchanged when it names one endpoint; otherwise the ipv4:/ipv6:
// target of every endpoint's first address. InvalidArgument for an endpoint
// without a port, one that does not resolve, or a mix of IPv4 and IPv6.
[[nodiscard]] absl::StatusOr<std::string> GrpcTargetFor(std::string_view list);

}  // namespace echelon
