// The gRPC client of the replay server: store worlds by hash, push replays
// over the PushChunks client stream (or chunk by chunk with acks), and follow
// the replay event stream. Frames travel as `frames_json` slices of the
// replay text, never decoded on the way.
//
//   ReplayClient client("127.0.0.1:50051");
//   ECHELON_ASSIGN_OR_RETURN(Replay replay, Replay::Load("run.replay.json"));
//   ECHELON_ASSIGN_OR_RETURN(PushResult pushed, client.PushReplay(replay, {}));
//   client.Subscribe(0, [](const ReplayEvent& e) { return !e.has_replay_end(); });
//
// Retries: a failed stream is sent again whole (after checking the world is
// still stored); the server acknowledges chunks it has seen as duplicates and
// does not broadcast them again. A server that restarted has forgotten what
// it saw, so PushOptions::ack_each_chunk uses one acknowledged unary Push per
// chunk and resumes at the first unacknowledged one instead.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/cpp/push_options.h"
#include "clients/cpp/replay.h"
#include "echelon/replay/v1/replay.grpc.pb.h"
#include "echelon/replay/v1/world.grpc.pb.h"

namespace echelon::client {

using ReplayEvent = ::echelon::replay::v1::ReplayEvent;

// Ends a running Subscribe from any thread (Subscribe then returns OK).
//
//   auto cancel = std::make_shared<SubscribeCancel>();
//   std::thread t([&] { client.Subscribe(0, on_event, {.cancel = cancel}); });
//   cancel->Cancel();
//   t.join();
class SubscribeCancel {
 public:
  void Cancel();
  bool cancelled();

 private:
  friend class ReplayClient;
  // False when already cancelled: the caller must not start the call.
  bool Attach(grpc::ClientContext* context);
  void Detach();

  std::mutex mu_;
  grpc::ClientContext* context_ = nullptr;
  bool cancelled_ = false;
};

struct SubscribeOptions {
  bool omit_world = false;
  // The whole subscription ends (DeadlineExceeded) after this long.
  absl::Duration timeout = absl::InfiniteDuration();
  std::shared_ptr<SubscribeCancel> cancel;
};

// How to reach a server that serves gRPC over TLS (--tls-cert).
struct ClientTls {
  bool enabled = false;
  // PEM CA certificate(s) that signed the server's certificate; empty: the
  // system's trusted CAs.
  std::string ca_pem;
};

class ReplayClient {
 public:
  // "host:port"; a plaintext channel (trusted LAN) unless `tls.enabled`, with
  // message limits large enough for any chunk. `push_token`: the server's
  // push token, sent as `authorization: Bearer <token>` (empty: none).
  explicit ReplayClient(const std::string& target, std::string push_token = "", const ClientTls& tls = {});
  explicit ReplayClient(std::shared_ptr<grpc::Channel> channel, std::string push_token = "");
  ~ReplayClient();

  // Stores the world unless the server has it; returns its hash.
  [[nodiscard]] absl::StatusOr<std::string> EnsureWorld(std::string_view world_json);

  [[nodiscard]] absl::StatusOr<PushResult> PushReplay(const Replay& replay, const PushOptions& options);

  // Calls `on_event` for each event after `after_id` until it returns false
  // or options.cancel is cancelled (then OK), the server ends the stream, or
  // the timeout passes.
  using EventCallback = std::function<bool(const ReplayEvent&)>;
  [[nodiscard]] absl::Status Subscribe(uint64_t after_id, const EventCallback& on_event,
                                       const SubscribeOptions& options = {});

  // Waits until the channel is connected (true) or `timeout` passes. Call it
  // between the attempts of a reconnect loop: it is what makes gRPC notice a
  // restarted server promptly (see WaitBeforeRetry in the .cc).
  bool WaitForConnection(absl::Duration timeout);

 private:
  class Transport;  // the PushTransport over this client's stubs

  [[nodiscard]] absl::StatusOr<PushResult> PushStreamed(const Replay& replay, const PushOptions& options);
  // Deadline and credentials of one call.
  void Prepare(grpc::ClientContext& context, absl::Duration timeout) const;
  // The backoff before a retry: after UNAVAILABLE, wait for the channel to
  // reconnect (at most `backoff`) instead of sleeping.
  void WaitBeforeRetry(const absl::Status& why, absl::Duration backoff) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::string authorization_;  // "Bearer <token>" or empty
  std::unique_ptr<replay::v1::ReplayService::Stub> replay_stub_;
  std::unique_ptr<replay::v1::WorldService::Stub> world_stub_;
};

}  // namespace echelon::client
