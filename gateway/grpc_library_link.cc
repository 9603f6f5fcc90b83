#include "gateway/grpc_library_link.h"

#include <utility>

#include "common/grpc_metadata.h"
#include "common/grpc_status.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

// The chunks after the header, as the core streams them. Each part's frames
// are swapped into the caller's buffer, so the two buffers take turns.
class GrpcReplayReader final : public protocol::StoredReplayReader {
 public:
  GrpcReplayReader(std::unique_ptr<grpc::ClientContext> context,
                   std::unique_ptr<grpc::ClientReader<v1::GetReplayResponse>> reader)
      : context_(std::move(context)), reader_(std::move(reader)) {}
  // A client that hangs up mid-download: the core's stream is cancelled.
  ~GrpcReplayReader() override {
    if (!finished_) context_->TryCancel();
  }

  std::optional<std::string_view> Next(std::string& buffer) override {
    while (reader_->Read(&part_)) {
      if (!part_.has_chunk()) continue;
      buffer.swap(*part_.mutable_chunk()->mutable_frames_json());
      return std::string_view(buffer);
    }
    return std::nullopt;
  }

  absl::Status Finish() override {
    finished_ = true;
    return FromGrpcStatus(reader_->Finish());
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::GetReplayResponse>> reader_;
  v1::GetReplayResponse part_;
  bool finished_ = false;
};

}  // namespace

GrpcLibraryLink::GrpcLibraryLink(const std::shared_ptr<grpc::Channel>& channel)
    : stub_(v1::LibraryService::NewStub(channel)) {}

absl::StatusOr<protocol::OpenedReplay> GrpcLibraryLink::OpenReplay(const std::string& replay_id,
                                                                   std::string_view authorization) {
  auto context = std::make_unique<grpc::ClientContext>();
  AddAuthorizationMetadata(*context, authorization);
  v1::GetReplayRequest request;
  request.set_replay_id(replay_id);
  std::unique_ptr<grpc::ClientReader<v1::GetReplayResponse>> reader = stub_->Get(context.get(), request);
  v1::GetReplayResponse first;
  if (!reader->Read(&first) || !first.has_header()) {
    absl::Status status = FromGrpcStatus(reader->Finish());
    if (!status.ok()) return status;
    return absl::InternalError("the core sent no replay header");
  }
  return protocol::OpenedReplay{std::move(*first.mutable_header()),
                                std::make_unique<GrpcReplayReader>(std::move(context), std::move(reader))};
}

}  // namespace echelon::gateway
