// AuthPolicy: who may do what in the core, decided by the TokenRegistry
// (common/token_registry.h): named tokens from --tokens-file and the legacy
// --push-token / --view-token. Without tokens everything is open. Pushing
// chunks and putting worlds need a push token; viewing (Subscribe, world and
// nav reads) a view or push token, when tokens of that role exist. Services
// call these first thing in each RPC. Authorised push calls are counted per
// token name for /metrics; the token itself is never logged.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/token_registry.h"

namespace echelon {

class AuthPolicy {
 public:
  explicit AuthPolicy(std::shared_ptr<const TokenRegistry> tokens) : tokens_(std::move(tokens)) {}
  // The legacy pair of tokens (tests, tools).
  AuthPolicy(std::string push_token, std::string view_token);

  // Unauthenticated when the call lacks the needed bearer token.
  [[nodiscard]] absl::Status CheckPush(const grpc::CallbackServerContext& context) const;
  [[nodiscard]] absl::Status CheckView(const grpc::CallbackServerContext& context) const;

  // The same, for the value of an `authorization` header or metadata entry
  // (the in-process gateway, which reaches the hub without gRPC).
  [[nodiscard]] absl::Status CheckPush(std::string_view authorization) const;
  [[nodiscard]] absl::Status CheckView(std::string_view authorization) const;

  // The name of the token that may push (kAnonymous on an open server), for
  // logs; Unauthenticated like CheckPush. Counts like CheckPush.
  [[nodiscard]] absl::StatusOr<std::string> PushCaller(const grpc::CallbackServerContext& context) const;

  // Authorised push calls (chunk pushes, push streams, world uploads) per
  // token name, sorted by name.
  std::vector<std::pair<std::string, double>> PushCallsByName() const;

 private:
  absl::StatusOr<std::string> AuthorizePush(std::string_view authorization) const;

  const std::shared_ptr<const TokenRegistry> tokens_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, uint64_t> push_calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace echelon
