#include "tools/load/chunk_sender.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "echelon/replay/v1/replay.grpc.pb.h"
#include "echelon/replay/v1/world.grpc.pb.h"
#include "protocol/chunk_codec.h"

namespace echelon::load {
namespace {

namespace v1 = echelon::replay::v1;

std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

v1::ReplayChunk MakeChunk(const PushableReplay& replay, size_t index, const std::string& replay_id,
                          const std::string& world_hash) {
  v1::ReplayChunk chunk;
  chunk.set_replay_id(replay_id);
  chunk.set_world_ref(world_hash);
  chunk.set_chunk_index(static_cast<uint32_t>(index));
  chunk.set_chunk_count(static_cast<uint32_t>(replay.chunks.size()));
  chunk.set_frames_json(replay.chunks[index].frames_json);
  if (index == 0) (*chunk.mutable_meta()->mutable_fields())["source"].set_string_value("echelon_load");
  return chunk;
}

class HttpSender final : public ChunkSender {
 public:
  HttpSender(const PushTarget& target, const PushableReplay& replay, const std::string& replay_id,
             const std::string& world_hash)
      : client_(target.host, target.http_port) {
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);
    client_.set_read_timeout(60, 0);
    client_.set_write_timeout(60, 0);
    for (size_t i = 0; i < replay.chunks.size(); ++i) {
      bodies_.push_back(json::ChunkToPushJson(MakeChunk(replay, i, replay_id, world_hash)));
    }
  }

  absl::StatusOr<absl::Duration> Send(size_t index) override {
    const absl::Time started = absl::Now();
    httplib::Result result = client_.Post("/push", bodies_[index], "application/json");
    const absl::Duration took = absl::Now() - started;
    if (!result) return absl::UnavailableError(absl::StrCat("POST /push: ", httplib::to_string(result.error())));
    if (result->status != 200) {
      return absl::InternalError(absl::StrCat("POST /push answered ", result->status, ": ", result->body));
    }
    return took;
  }

  absl::Status Close() override { return absl::OkStatus(); }

 private:
  httplib::Client client_;
  std::vector<std::string> bodies_;
};

class GrpcStreamSender final : public ChunkSender {
 public:
  GrpcStreamSender(const PushTarget& target, const PushableReplay& replay, const std::string& replay_id,
                   const std::string& world_hash)
      : stub_(v1::ReplayService::NewStub(Channel(target.grpc_target))) {
    for (size_t i = 0; i < replay.chunks.size(); ++i) {
      chunks_.push_back(MakeChunk(replay, i, replay_id, world_hash));
    }
  }

  absl::StatusOr<absl::Duration> Send(size_t index) override {
    const absl::Time started = absl::Now();
    if (writer_ == nullptr) writer_ = stub_->PushChunks(&context_, &summary_);
    if (!writer_->Write(chunks_[index])) {
      const absl::Status status = Finish();
      return status.ok() ? absl::InternalError("PushChunks stream closed early") : status;
    }
    return absl::Now() - started;
  }

  absl::Status Close() override {
    if (writer_ == nullptr) return absl::OkStatus();
    writer_->WritesDone();
    return Finish();
  }

 private:
  // The stream's status; an error when the server refused a chunk.
  absl::Status Finish() {
    const grpc::Status status = writer_->Finish();
    writer_.reset();
    if (status.ok()) return absl::OkStatus();
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("PushChunks: ", status.error_message()));
  }

  std::unique_ptr<v1::ReplayService::Stub> stub_;
  std::vector<v1::ReplayChunk> chunks_;
  grpc::ClientContext context_;
  v1::PushSummary summary_;
  std::unique_ptr<grpc::ClientWriter<v1::ReplayChunk>> writer_;
};

}  // namespace

const char* TransportName(Transport transport) { return transport == Transport::kHttp ? "http" : "grpc"; }

absl::StatusOr<std::string> StoreWorld(const std::string& grpc_target, const std::string& world_json) {
  auto stub = v1::WorldService::NewStub(Channel(grpc_target));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::PutWorldRequest request;
  request.set_world_json(world_json);
  v1::PutWorldResponse response;
  const grpc::Status status = stub->Put(&context, request, &response);
  if (!status.ok()) return absl::UnavailableError(absl::StrCat("WorldService.Put: ", status.error_message()));
  return response.world_hash();
}

std::unique_ptr<ChunkSender> NewChunkSender(Transport transport, const PushTarget& target,
                                            const PushableReplay& replay, const std::string& replay_id,
                                            const std::string& world_hash) {
  if (transport == Transport::kHttp) return std::make_unique<HttpSender>(target, replay, replay_id, world_hash);
  return std::make_unique<GrpcStreamSender>(target, replay, replay_id, world_hash);
}

}  // namespace echelon::load
