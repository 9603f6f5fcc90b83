#include "clients/cpp/replay_client.h"

#include "common/endpoint_list.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/cpp/push_job.h"
#include "common/grpc_channel_args.h"
#include "common/grpc_metadata.h"
#include "common/grpc_status.h"
#include "common/status_util.h"
#include "protocol/world_hash.h"

namespace echelon::client {
namespace {

namespace v1 = ::echelon::replay::v1;

constexpr int kMaxMessageBytes = 512 << 20;

void SetTimeout(grpc::ClientContext& context, absl::Duration timeout) {
  if (timeout != absl::InfiniteDuration()) context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// One pass of the whole replay over a PushChunks stream.
absl::Status StreamOnce(v1::ReplayService::Stub& stub, grpc::ClientContext& context, const internal::PushJob& job,
                        int attempt, PushResult& result) {
  v1::PushSummary summary;
  std::unique_ptr<grpc::ClientWriter<v1::ReplayChunk>> writer = stub.PushChunks(&context, &summary);
  int64_t bytes = 0;
  int written = 0;
  for (; written < job.chunk_count; ++written) {
    const v1::ReplayChunk chunk = job.Chunk(written);
    bytes += static_cast<int64_t>(chunk.frames_json().size());
    if (!writer->Write(chunk)) break;  // the stream is gone; Finish() says why
    job.ReportProgress(written + 1, bytes, attempt);
  }
  if (written == job.chunk_count) writer->WritesDone();
  ECHELON_RETURN_IF_ERROR(FromGrpcStatus(writer->Finish()));
  if (written < job.chunk_count) return absl::UnavailableError("the push stream closed early");
  result.chunks_accepted = static_cast<int>(summary.chunks_accepted());
  result.chunks_duplicate = static_cast<int>(summary.chunks_duplicate());
  result.frame_bytes = bytes;
  return absl::OkStatus();
}

}  // namespace

class ReplayClient::Transport final : public internal::PushTransport {
 public:
  Transport(ReplayClient& client, absl::Duration timeout) : client_(client), timeout_(timeout) {}

  absl::StatusOr<bool> HasWorld(const std::string& hash) override {
    grpc::ClientContext context;
    client_.Prepare(context, timeout_);
    v1::HasWorldRequest request;
    request.set_world_hash(hash);
    v1::HasWorldResponse response;
    ECHELON_RETURN_IF_ERROR(FromGrpcStatus(client_.world_stub_->Has(&context, request, &response)));
    return response.present();
  }

  absl::Status PutWorld(std::string_view world_json, const std::string& hash) override {
    grpc::ClientContext context;
    client_.Prepare(context, timeout_);
    v1::PutWorldRequest request;
    request.set_world_json(std::string(world_json));
    request.set_world_hash(hash);
    v1::PutWorldResponse response;
    return FromGrpcStatus(client_.world_stub_->Put(&context, request, &response));
  }

  absl::Status PushChunk(const v1::ReplayChunk& chunk, bool& duplicate) override {
    grpc::ClientContext context;
    client_.Prepare(context, timeout_);
    v1::PushAck ack;
    ECHELON_RETURN_IF_ERROR(FromGrpcStatus(client_.replay_stub_->Push(&context, chunk, &ack)));
    duplicate = ack.duplicate();
    return absl::OkStatus();
  }

  void WaitBeforeRetry(const absl::Status& why, absl::Duration backoff) override {
    client_.WaitBeforeRetry(why, backoff);
  }

 private:
  ReplayClient& client_;
  absl::Duration timeout_;
};

ReplayClient::ReplayClient(const std::string& target, std::string push_token, const ClientTls& tls)
    : ReplayClient([&] {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(kMaxMessageBytes);
        args.SetMaxSendMessageSize(kMaxMessageBytes);
        // A restarted server is found again within half a second.
        SetFastReconnect(args);
        // "a:50051,b:50051": one channel over every core, failing over in order.
        absl::StatusOr<std::string> resolved = GrpcTargetFor(target);
        grpc::SslCredentialsOptions roots;
        roots.pem_root_certs = tls.ca_pem;
        auto credentials = tls.enabled ? grpc::SslCredentials(roots) : grpc::InsecureChannelCredentials();
        return grpc::CreateCustomChannel(resolved.ok() ? *resolved : target, credentials, args);
      }(), std::move(push_token)) {}

ReplayClient::ReplayClient(std::shared_ptr<grpc::Channel> channel, std::string push_token)
    : channel_(std::move(channel)),
      authorization_(push_token.empty() ? "" : absl::StrCat("Bearer ", push_token)),
      replay_stub_(v1::ReplayService::NewStub(channel_)),
      world_stub_(v1::WorldService::NewStub(channel_)) {}

ReplayClient::~ReplayClient() = default;

bool ReplayClient::WaitForConnection(absl::Duration timeout) {
  return channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout));
}

void ReplayClient::WaitBeforeRetry(const absl::Status& why, absl::Duration backoff) const {
  // A reconnecting channel only notices that the server is back when some
  // call or watcher polls it; calls that fail fast do not. Left alone, gRPC
  // 1.51 took 5-10 s to see a restarted server (until an unrelated timer
  // fired); waiting for the connection here takes ~0.1 s. A channel that is
  // connected got UNAVAILABLE from the server itself: that waits the full
  // backoff.
  if (why.code() == absl::StatusCode::kUnavailable && channel_->GetState(true) != GRPC_CHANNEL_READY) {
    channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + backoff));
    return;
  }
  absl::SleepFor(backoff);
}

void ReplayClient::Prepare(grpc::ClientContext& context, absl::Duration timeout) const {
  SetTimeout(context, timeout);
  AddAuthorizationMetadata(context, authorization_);
}

absl::StatusOr<std::string> ReplayClient::EnsureWorld(std::string_view world_json) {
  auto hash = world::ComputeWorldHash(world_json);
  if (!hash.ok()) return hash.status();
  Transport transport(*this, PushOptions{}.timeout);
  ECHELON_RETURN_IF_ERROR(internal::EnsureWorld(transport, world_json, *hash));
  return *hash;
}

absl::StatusOr<PushResult> ReplayClient::PushReplay(const Replay& replay, const PushOptions& options) {
  if (!options.ack_each_chunk) return PushStreamed(replay, options);
  ECHELON_ASSIGN_OR_RETURN(internal::PushJob job, internal::PushJob::Start(replay, options));
  Transport transport(*this, options.timeout);
  return internal::PushChunkByChunk(transport, job);
}

absl::StatusOr<PushResult> ReplayClient::PushStreamed(const Replay& replay, const PushOptions& options) {
  ECHELON_ASSIGN_OR_RETURN(internal::PushJob job, internal::PushJob::Start(replay, options));
  Transport transport(*this, options.timeout);
  PushResult result = job.NewResult();
  ECHELON_RETURN_IF_ERROR(RetryWithBackoff(
      options.retry,
      [&](int attempt) {
        ECHELON_RETURN_IF_ERROR(internal::EnsureWorld(transport, replay.world_json(), job.world_hash));
        return internal::SendRestoringLostWorld(transport, job, [&] {
          grpc::ClientContext context;
          Prepare(context, options.timeout * (job.chunk_count + 1));
          return StreamOnce(*replay_stub_, context, job, attempt, result);
        });
      },
      [&](int attempt, const absl::Status& why, absl::Duration wait) {
        ++result.retries;
        if (options.on_retry) options.on_retry(attempt, why, wait);
      },
      [this](const absl::Status& why, absl::Duration backoff) { WaitBeforeRetry(why, backoff); }));
  result.elapsed = absl::Now() - job.started;
  return result;
}

void SubscribeCancel::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (context_) context_->TryCancel();
}

bool SubscribeCancel::cancelled() {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

bool SubscribeCancel::Attach(grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mu_);
  context_ = context;
  return !cancelled_;
}

void SubscribeCancel::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  context_ = nullptr;
}

absl::Status ReplayClient::Subscribe(uint64_t after_id, const EventCallback& on_event,
                                     const SubscribeOptions& options) {
  grpc::ClientContext context;
  Prepare(context, options.timeout);
  if (options.cancel && !options.cancel->Attach(&context)) return absl::OkStatus();
  struct DetachOnExit {
    SubscribeCancel* cancel;
    ~DetachOnExit() {
      if (cancel) cancel->Detach();
    }
  } detach{options.cancel.get()};

  v1::SubscribeRequest request;
  request.set_after_id(after_id);
  request.set_omit_world(options.omit_world);
  std::unique_ptr<grpc::ClientReader<v1::ReplayEvent>> reader = replay_stub_->Subscribe(&context, request);
  ReplayEvent event;
  bool stopped = false;
  while (!stopped && reader->Read(&event)) {
    if (!on_event(event)) {
      stopped = true;
      context.TryCancel();
    }
  }
  const grpc::Status status = reader->Finish();
  // CANCELLED is what we asked for, by the callback or through options.cancel.
  if (stopped || (options.cancel && options.cancel->cancelled())) return absl::OkStatus();
  return FromGrpcStatus(status);
}

}  // namespace echelon::client
