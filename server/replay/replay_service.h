// ReplayService (gRPC callback API): PushChunks, Push and Subscribe over the
// ReplayHub. Each streaming call is a reactor that owns its state and deletes
// itself in OnDone(); reactors hold the hub's Subscription by shared_ptr,
// never a raw pointer into the service.
#pragma once

#include "common/grpc_metadata.h"
#include "echelon/replay/v1/replay.grpc.pb.h"
#include "server/auth_policy.h"
#include "server/replay/replay_hub.h"

namespace echelon::replay {


class ReplayServiceImpl final : public echelon::replay::v1::ReplayService::CallbackService {
 public:
  ReplayServiceImpl(ReplayHub& hub, const AuthPolicy& auth) : hub_(hub), auth_(auth) {}

  grpc::ServerReadReactor<echelon::replay::v1::ReplayChunk>* PushChunks(
      grpc::CallbackServerContext* context, echelon::replay::v1::PushSummary* summary) override;

  grpc::ServerUnaryReactor* Push(grpc::CallbackServerContext* context,
                                 const echelon::replay::v1::ReplayChunk* chunk,
                                 echelon::replay::v1::PushAck* ack) override;

  grpc::ServerWriteReactor<echelon::replay::v1::ReplayEvent>* Subscribe(
      grpc::CallbackServerContext* context,
      const echelon::replay::v1::SubscribeRequest* request) override;

 private:
  ReplayHub& hub_;
  const AuthPolicy& auth_;
};

}  // namespace echelon::replay
