#include "server/auth_policy.h"

#include "common/bearer_token.h"

namespace echelon {
namespace {

std::string_view Authorization(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

absl::Status AuthPolicy::CheckPush(const grpc::CallbackServerContext& context) const {
  return CheckPush(Authorization(context));
}

absl::Status AuthPolicy::CheckView(const grpc::CallbackServerContext& context) const {
  return CheckView(Authorization(context));
}

absl::Status AuthPolicy::CheckPush(std::string_view authorization) const {
  if (push_token_.empty() || BearerMatches(authorization, push_token_)) return absl::OkStatus();
  return absl::UnauthenticatedError("pushing needs 'authorization: Bearer <push token>'");
}

absl::Status AuthPolicy::CheckView(std::string_view authorization) const {
  if (view_token_.empty()) return absl::OkStatus();
  if (BearerMatches(authorization, view_token_) ||
      (!push_token_.empty() && BearerMatches(authorization, push_token_))) {
    return absl::OkStatus();
  }
  return absl::UnauthenticatedError("viewing needs 'authorization: Bearer <view token>'");
}

}  // namespace echelon
