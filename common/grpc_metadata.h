// gRPC metadata shared by the core, the gateway and the clients.
#pragma once

#include <grpcpp/client_context.h>

#include <string>
#include <string_view>

#include "common/bearer_token.h"

namespace echelon {

// Initial metadata the core sends as soon as it has accepted a Subscribe, so
// a subscriber knows its subscription is up before the first event.
inline constexpr char kSubscribedMetadataKey[] = "echelon-subscribed";

// Sends `authorization` ("Bearer <token>") with a call. gRPC aborts the
// process on a metadata value that is not printable ASCII, so such a value is
// left out: a core that wants a token then answers UNAUTHENTICATED, one that
// wants none does not care.
inline void AddAuthorizationMetadata(grpc::ClientContext& context, std::string_view authorization) {
  if (!authorization.empty() && IsValidMetadataValue(authorization)) {
    context.AddMetadata("authorization", std::string(authorization));
  }
}

}  // namespace echelon
