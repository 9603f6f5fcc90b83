// WorldService (gRPC): Put / Get / Has over the WorldStore.
#pragma once

#include "echelon/replay/v1/world.grpc.pb.h"
#include "server/auth_policy.h"
#include "server/world/world_store.h"

namespace echelon::world {

class WorldServiceImpl final : public echelon::replay::v1::WorldService::CallbackService {
 public:
  WorldServiceImpl(WorldStore& store, const AuthPolicy& auth) : store_(store), auth_(auth) {}

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context,
                                const echelon::replay::v1::PutWorldRequest* request,
                                echelon::replay::v1::PutWorldResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const echelon::replay::v1::GetWorldRequest* request,
                                echelon::replay::v1::GetWorldResponse* response) override;
  grpc::ServerUnaryReactor* Has(grpc::CallbackServerContext* context,
                                const echelon::replay::v1::HasWorldRequest* request,
                                echelon::replay::v1::HasWorldResponse* response) override;

 private:
  WorldStore& store_;
  const AuthPolicy& auth_;
};

}  // namespace echelon::world
