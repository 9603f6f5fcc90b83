// ReplayLink: how the gateway reaches the core's replay hub, the hot path of
// every chunk (push in, events out).
//
// Two implementations: GrpcReplayLink (gateway/grpc_replay_link.h) speaks
// ReplayService over a channel, for a gateway started with --core;
// LocalReplayLink (server/replay/local_replay_link.h) calls the hub of the core in
// the same process, so a chunk's frames are parsed once and the hub's shared
// events reach the SSE fan-out without being serialized and parsed again.
// Worlds and nav are not hot and always go over gRPC.
//
// Threads: Push() and Subscribe() may be called from any thread. An
// EventStream is read by one thread; Cancel() may come from any thread.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "echelon/replay/v1/replay.pb.h"
#include "protocol/chunk_codec.h"

namespace echelon::protocol {

using SharedEvent = std::shared_ptr<const echelon::replay::v1::ReplayEvent>;

// One Subscribe call's events, in id order.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Blocks until the core has accepted the subscription; false if it refused
  // it or the stream ended first (Finish() says why).
  virtual bool WaitSubscribed() = 0;
  // The next event; false at the end of the stream.
  virtual bool Next(SharedEvent* event) = 0;
  // Ends the stream early; a blocked Next() returns false.
  virtual void Cancel() = 0;
  // Why the stream ended; call once, after Next() returned false.
  virtual absl::Status Finish() = 0;
};

class ReplayLink {
 public:
  virtual ~ReplayLink() = default;
  // Publishes a parsed push body. `authorization` is the caller's header
  // value, checked by the core against its push token.
  virtual absl::StatusOr<echelon::replay::v1::PushAck> Push(json::ParsedPush push,
                                                            std::string_view authorization) = 0;
  virtual std::unique_ptr<EventStream> Subscribe(const echelon::replay::v1::SubscribeRequest& request,
                                                 std::string_view authorization) = 0;
};

}  // namespace echelon::protocol
