// NavService over gRPC (proto/echelon/replay/v1/nav.proto): GetGraph and
// FindPath answered from a NavCache with the callback API. A request whose
// world is cached is answered on the calling gRPC thread; one that needs a
// build is answered from the cache's builder thread when the build is done,
// so no gRPC thread ever waits for a build.
//
//   auto cache = std::make_shared<nav::NavCache>(world_source);
//   nav::NavServiceImpl nav_service(cache);
//   grpc::ServerBuilder builder;
//   builder.RegisterService(&nav_service);
//
// The service must outlive the server (shut the server down first).
#pragma once

#include <memory>

#include "echelon/replay/v1/nav.grpc.pb.h"
#include "server/auth_policy.h"
#include "server/nav/nav_cache.h"

namespace echelon::nav {

class NavServiceImpl final : public echelon::replay::v1::NavService::CallbackService {
 public:
  // `auth` (optional, must outlive the service) guards viewing.
  explicit NavServiceImpl(std::shared_ptr<NavCache> cache, const AuthPolicy* auth = nullptr);

  // NOT_FOUND for an unknown world, INVALID_ARGUMENT for an empty hash or a
  // world that does not parse.
  grpc::ServerUnaryReactor* GetGraph(grpc::CallbackServerContext* context,
                                     const echelon::replay::v1::GetGraphRequest* request,
                                     echelon::replay::v1::GetGraphResponse* response) override;

  // As GetGraph, plus INVALID_ARGUMENT for a missing or non-finite position.
  grpc::ServerUnaryReactor* FindPath(grpc::CallbackServerContext* context,
                                     const echelon::replay::v1::FindPathRequest* request,
                                     echelon::replay::v1::FindPathResponse* response) override;

  NavCache& cache() { return *cache_; }

 private:
  std::shared_ptr<NavCache> cache_;
  const AuthPolicy* auth_;
};

}  // namespace echelon::nav
