// GrpcReplayLink: ReplayLink over ReplayService, for a gateway whose core is
// another process (--core host:port).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/time/time.h"
#include "echelon/replay/v1/replay.grpc.pb.h"
#include "protocol/replay_link.h"

namespace echelon::gateway {

class GrpcReplayLink final : public protocol::ReplayLink {
 public:
  GrpcReplayLink(std::shared_ptr<grpc::Channel> channel, absl::Duration push_deadline);

  absl::StatusOr<echelon::replay::v1::PushAck> Push(json::ParsedPush push,
                                                    std::string_view authorization) override;
  std::unique_ptr<protocol::EventStream> Subscribe(const echelon::replay::v1::SubscribeRequest& request,
                                         std::string_view authorization) override;

 private:
  const std::unique_ptr<echelon::replay::v1::ReplayService::Stub> stub_;
  const absl::Duration push_deadline_;
};

}  // namespace echelon::gateway
