#include "server/auth_policy.h"

#include <algorithm>

namespace echelon {
namespace {

std::string_view Authorization(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

std::shared_ptr<const TokenRegistry> LegacyTokens(std::string push_token, std::string view_token) {
  // Without a file there is nothing that can fail.
  return *TokenRegistry::Create(
      {.push_token = std::move(push_token), .view_token = std::move(view_token), .tokens_file = {}});
}

}  // namespace

AuthPolicy::AuthPolicy(std::string push_token, std::string view_token)
    : tokens_(LegacyTokens(std::move(push_token), std::move(view_token))) {}

absl::Status AuthPolicy::CheckPush(const grpc::CallbackServerContext& context) const {
  return CheckPush(Authorization(context));
}

absl::Status AuthPolicy::CheckView(const grpc::CallbackServerContext& context) const {
  return CheckView(Authorization(context));
}

absl::StatusOr<std::string> AuthPolicy::PushCaller(const grpc::CallbackServerContext& context) const {
  return AuthorizePush(Authorization(context));
}

absl::Status AuthPolicy::CheckPush(std::string_view authorization) const {
  return AuthorizePush(authorization).status();
}

absl::Status AuthPolicy::CheckView(std::string_view authorization) const {
  return tokens_->Authenticate(authorization, TokenRole::kView).status();
}

absl::StatusOr<std::string> AuthPolicy::AuthorizePush(std::string_view authorization) const {
  absl::StatusOr<std::string> name = tokens_->Authenticate(authorization, TokenRole::kPush);
  if (name.ok()) {
    absl::MutexLock lock(&mu_);
    ++push_calls_[*name];
  }
  return name;
}

std::vector<std::pair<std::string, double>> AuthPolicy::PushCallsByName() const {
  std::vector<std::pair<std::string, double>> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, count] : push_calls_) out.emplace_back(name, static_cast<double>(count));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace echelon
