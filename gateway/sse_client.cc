#include "gateway/sse_client.h"

#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

void SseClient::StartCatchUp(v1::ReplayService::StubInterface& stub, uint64_t after_id,
                             const std::string& auth_metadata) {
  v1::SubscribeRequest request;
  request.set_after_id(after_id);
  request.set_omit_world(omit_world_);
  request.set_backlog_only(true);
  if (!auth_metadata.empty()) catch_up_context_->AddMetadata("authorization", auth_metadata);
  catch_up_ = stub.Subscribe(catch_up_context_.get(), request);
}

bool SseClient::WriteNext(httplib::DataSink& sink, absl::Duration keepalive) {
  if (!greeted_) {
    // Tells EventSource how soon to reconnect, and flushes the headers now
    // so the browser sees the connection open before the first event.
    greeted_ = true;
    return Write(sink, "retry: 1000\n: connected\n\n");
  }
  if (catch_up_ != nullptr && WriteCatchUpEvent(sink)) return !outbox_.closed();
  while (true) {
    std::optional<Outbox<std::string>::Item> item = outbox_.PopWait(keepalive);
    if (!item) return !outbox_.closed() && Write(sink, SseKeepalive());
    if (item->id <= last_sent_id_) continue;  // already sent during catch-up
    last_sent_id_ = item->id;
    return Write(sink, *item->value);
  }
}

bool SseClient::WriteCatchUpEvent(httplib::DataSink& sink) {
  v1::ReplayEvent event;
  if (!catch_up_->Read(&event)) {
    grpc::Status status = catch_up_->Finish();
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      spdlog::warn("viewer {}: catch-up from the core failed: {}", serial_, status.error_message());
    }
    catch_up_.reset();
    return false;
  }
  last_sent_id_ = event.id();
  if (!Write(sink, *EncodeSseEvent(event))) outbox_.Close("socket write failed");
  return true;
}

bool SseClient::Write(httplib::DataSink& sink, const std::string& bytes) {
  if (!sink.write(bytes.data(), bytes.size())) {
    outbox_.Close("socket write failed");
    return false;
  }
  bytes_sent_.fetch_add(bytes.size(), std::memory_order_relaxed);
  return true;
}

void SseClient::Close(const std::string& reason) {
  outbox_.Close(reason);
  catch_up_context_->TryCancel();
}

}  // namespace echelon::gateway
