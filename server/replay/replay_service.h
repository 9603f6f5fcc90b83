// ReplayService (gRPC callback API): PushChunks, Push and Subscribe over the
// ReplayHub. Each streaming call is a reactor that owns its state and deletes
// itself in OnDone(); reactors hold the hub's Subscription by shared_ptr,
// never a raw pointer into the service.
#pragma once

#include <set>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/grpc_metadata.h"
#include "echelon/replay/v1/replay.grpc.pb.h"
#include "server/auth_policy.h"
#include "server/replay/replay_hub.h"

namespace echelon::replay {


// A PushChunks stream open but silent: between the chunks of one push.
class IdlePushWatch {
 public:
  virtual ~IdlePushWatch() = default;
  // Ends the stream with DEADLINE_EXCEEDED when no chunk arrived since
  // `now - idle_timeout`.
  virtual void FinishIfIdle(absl::Time now, absl::Duration idle_timeout) = 0;
};

class ReplayServiceImpl final : public echelon::replay::v1::ReplayService::CallbackService {
 public:
  // A PushChunks stream that sends no chunk for `push_idle_timeout` is ended
  // (by FinishIdlePushStreams, which a timer calls), so that a producer that
  // hangs mid-push holds no stream and no buffered chunk.
  ReplayServiceImpl(ReplayHub& hub, const AuthPolicy& auth, absl::Duration push_idle_timeout = absl::Seconds(30))
      : hub_(hub), auth_(auth), push_idle_timeout_(push_idle_timeout) {}

  void FinishIdlePushStreams();
  void Watch(IdlePushWatch* stream);
  void Unwatch(IdlePushWatch* stream);

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
  const absl::Duration push_idle_timeout_;
  // Held while a watched stream is checked: Unwatch (from the stream's
  // OnDone) waits, so a stream is never checked after it is gone.
  absl::Mutex watch_mu_;
  std::set<IdlePushWatch*> push_streams_ ABSL_GUARDED_BY(watch_mu_);
};

}  // namespace echelon::replay
