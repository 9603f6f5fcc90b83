// LocalReplayLink: the gateway's ReplayLink to the hub of the core in the same
// process (protocol/replay_link.h). A push body parsed by the gateway is
// published with ReplayHub::PublishCompact (its frames are not parsed again),
// and a subscription reads the hub's shared events straight from its outbox:
// the event that the hub retains is the one the SSE fan-out encodes, with no
// gRPC serialization in between.
#pragma once

#include "protocol/replay_link.h"
#include "server/auth_policy.h"
#include "server/replay/replay_hub.h"

namespace echelon {

class LocalReplayLink final : public protocol::ReplayLink {
 public:
  // Both must outlive the link (and so the gateway that uses it).
  LocalReplayLink(replay::ReplayHub& hub, const AuthPolicy& auth) : hub_(hub), auth_(auth) {}

  absl::StatusOr<echelon::replay::v1::PushAck> Push(json::ParsedPush push,
                                                    std::string_view authorization) override;
  std::unique_ptr<protocol::EventStream> Subscribe(const echelon::replay::v1::SubscribeRequest& request,
                                                  std::string_view authorization) override;

 private:
  replay::ReplayHub& hub_;
  const AuthPolicy& auth_;
};

}  // namespace echelon
