// AuthPolicy: who may do what in the core. Without tokens everything is open.
// With ECHELON_PUSH_TOKEN, pushing chunks and putting worlds need it; with
// ECHELON_VIEW_TOKEN, viewing (Subscribe, world and nav reads) needs the view
// token or the push token. Services call these first thing in each RPC.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace echelon {

class AuthPolicy {
 public:
  AuthPolicy(std::string push_token, std::string view_token)
      : push_token_(std::move(push_token)), view_token_(std::move(view_token)) {}

  // Unauthenticated when the call lacks the needed bearer token.
  [[nodiscard]] absl::Status CheckPush(const grpc::CallbackServerContext& context) const;
  [[nodiscard]] absl::Status CheckView(const grpc::CallbackServerContext& context) const;

  // The same, for the value of an `authorization` header or metadata entry
  // (the in-process gateway, which reaches the hub without gRPC).
  [[nodiscard]] absl::Status CheckPush(std::string_view authorization) const;
  [[nodiscard]] absl::Status CheckView(std::string_view authorization) const;

 private:
  const std::string push_token_;
  const std::string view_token_;
};

}  // namespace echelon
