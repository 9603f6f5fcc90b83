#include "gateway/grpc_replay_link.h"

#include "common/grpc_metadata.h"
#include "common/grpc_status.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

class GrpcEventStream final : public protocol::EventStream {
 public:
  GrpcEventStream(v1::ReplayService::Stub& stub, const v1::SubscribeRequest& request,
                  std::string_view authorization) {
    AddAuthorizationMetadata(context_, authorization);
    // The gateway's live subscription waits for a core that is down or
    // restarting instead of failing at once: it starts the moment the channel
    // reconnects (grpc_channel_args.h). A viewer's catch-up must not wait.
    if (!request.backlog_only()) context_.set_wait_for_ready(true);
    reader_ = stub.Subscribe(&context_, request);
  }

  bool WaitSubscribed() override {
    reader_->WaitForInitialMetadata();
    return context_.GetServerInitialMetadata().count(kSubscribedMetadataKey) > 0;
  }

  bool Next(protocol::SharedEvent* event) override {
    auto next = std::make_shared<v1::ReplayEvent>();
    if (!reader_->Read(next.get())) return false;
    *event = std::move(next);
    return true;
  }

  void Cancel() override { context_.TryCancel(); }

  absl::Status Finish() override { return FromGrpcStatus(reader_->Finish()); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::ReplayEvent>> reader_;
};

}  // namespace

GrpcReplayLink::GrpcReplayLink(std::shared_ptr<grpc::Channel> channel, absl::Duration push_deadline)
    : stub_(v1::ReplayService::NewStub(std::move(channel))), push_deadline_(push_deadline) {}

absl::StatusOr<v1::PushAck> GrpcReplayLink::Push(json::ParsedPush push, std::string_view authorization) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + push_deadline_));
  AddAuthorizationMetadata(context, authorization);
  v1::PushAck ack;
  grpc::Status status = stub_->Push(&context, push.chunk, &ack);
  if (!status.ok()) return FromGrpcStatus(status);
  return ack;
}

std::unique_ptr<protocol::EventStream> GrpcReplayLink::Subscribe(const v1::SubscribeRequest& request,
                                                       std::string_view authorization) {
  return std::make_unique<GrpcEventStream>(*stub_, request, authorization);
}

}  // namespace echelon::gateway
