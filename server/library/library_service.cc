#include "server/library/library_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_util.h"
#include "spdlog/spdlog.h"

namespace echelon::library {

namespace v1 = echelon::replay::v1;

namespace {

constexpr uint32_t kMaxListLimit = 1000;

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context, const absl::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Streams one stored replay: the header, then each stored chunk, one write
// in flight; a chunk that fails its checksum is skipped and logged.
class GetReactor final : public grpc::ServerWriteReactor<v1::GetReplayResponse> {
 public:
  GetReactor(ReplayStore& store, const LiveCheck& is_live, const std::string& replay_id,
             const absl::Status& allowed)
      : store_(store), replay_id_(replay_id) {
    absl::Status status = allowed.ok() ? Start(is_live) : allowed;
    if (!status.ok()) {
      Finish(ToGrpcStatus(status));
      return;
    }
    StartWrite(&message_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::CANCELLED);
      return;
    }
    WriteNextChunk();
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Start(const LiveCheck& is_live) {
    ECHELON_ASSIGN_OR_RETURN(*message_.mutable_header(), DownloadHeader(store_, is_live, replay_id_, chunks_));
    return absl::OkStatus();
  }

  void WriteNextChunk() {
    while (next_ < chunks_.size()) {
      const uint32_t index = chunks_[next_++].chunk_index;
      absl::StatusOr<std::string> frames = store_.ReadChunk(replay_id_, index);
      if (!frames.ok()) continue;  // damaged: reported by the store, skipped here
      message_.Clear();
      auto* chunk = message_.mutable_chunk();
      chunk->set_chunk_index(index);
      chunk->set_frames_json(*std::move(frames));
      StartWrite(&message_);
      return;
    }
    Finish(grpc::Status::OK);
  }

  ReplayStore& store_;
  const std::string replay_id_;
  std::vector<StoredChunkRef> chunks_;
  size_t next_ = 0;
  v1::GetReplayResponse message_;
};

}  // namespace

absl::StatusOr<v1::GetReplayResponse::Header> DownloadHeader(ReplayStore& store, const LiveCheck& is_live,
                                                              const std::string& replay_id,
                                                              std::vector<StoredChunkRef>& chunks) {
  ECHELON_ASSIGN_OR_RETURN(ReplayInfo info, store.Describe(replay_id));
  ECHELON_ASSIGN_OR_RETURN(chunks, store.Chunks(replay_id));
  ECHELON_ASSIGN_OR_RETURN(std::string world, store.GetWorld(info.world_ref));
  v1::GetReplayResponse::Header header;
  *header.mutable_summary() = ToSummary(info, is_live(replay_id));
  header.set_world_json(std::move(world));
  for (const StoredChunkRef& chunk : chunks) header.add_stored_chunks(chunk.chunk_index);
  return header;
}

v1::ReplaySummary ToSummary(const ReplayInfo& info, bool live) {
  v1::ReplaySummary summary;
  summary.set_replay_id(info.replay_id);
  summary.set_world_ref(info.world_ref);
  summary.set_run_json(info.run_json);
  summary.set_meta_json(info.meta_json);
  summary.set_chunk_count(info.chunk_count);
  summary.set_chunks_stored(info.chunks_stored);
  summary.set_frames(info.frames);
  summary.set_bytes(info.bytes);
  summary.set_started_at_ms(info.started_at_ms);
  summary.set_finished_at_ms(info.finished_at_ms);
  summary.set_complete(info.complete());
  summary.set_pinned(info.pinned);
  summary.set_live(live);
  return summary;
}

grpc::ServerUnaryReactor* LibraryServiceImpl::List(grpc::CallbackServerContext* context,
                                                   const v1::ListReplaysRequest* request,
                                                   v1::ListReplaysResponse* response) {
  if (absl::Status allowed = auth_.CheckView(*context); !allowed.ok()) return FinishWith(context, allowed);
  if (request->limit() > kMaxListLimit) {
    return FinishWith(context, absl::InvalidArgumentError(absl::StrCat("limit must be 1..", kMaxListLimit)));
  }
  absl::StatusOr<ReplayPage> page =
      store_.List({.run = request->run(), .limit = request->limit(), .before = request->before()});
  if (page.ok()) {
    for (const ReplayInfo& info : page->replays) *response->add_replays() = ToSummary(info, is_live_(info.replay_id));
    response->set_next(page->next);
  }
  return FinishWith(context, page.status());
}

grpc::ServerWriteReactor<v1::GetReplayResponse>* LibraryServiceImpl::Get(grpc::CallbackServerContext* context,
                                                                          const v1::GetReplayRequest* request) {
  return new GetReactor(store_, is_live_, request->replay_id(), auth_.CheckView(*context));
}

grpc::ServerUnaryReactor* LibraryServiceImpl::GetChunk(grpc::CallbackServerContext* context,
                                                       const v1::GetChunkRequest* request,
                                                       v1::StoredChunk* response) {
  if (absl::Status allowed = auth_.CheckView(*context); !allowed.ok()) return FinishWith(context, allowed);
  absl::StatusOr<std::string> frames = store_.ReadChunk(request->replay_id(), request->chunk_index());
  if (frames.ok()) {
    response->set_chunk_index(request->chunk_index());
    response->set_frames_json(*std::move(frames));
  } else if (frames.status().code() == absl::StatusCode::kNotFound) {
    // Say whether the replay or only the chunk is missing.
    if (absl::Status replay = store_.Describe(request->replay_id()).status(); !replay.ok()) {
      return FinishWith(context, replay);
    }
  }
  return FinishWith(context, frames.status());
}

grpc::ServerUnaryReactor* LibraryServiceImpl::SetPinned(grpc::CallbackServerContext* context,
                                                        const std::string& replay_id, bool pinned,
                                                        v1::ReplaySummary* response) {
  if (absl::Status allowed = auth_.CheckPush(*context); !allowed.ok()) return FinishWith(context, allowed);
  absl::StatusOr<ReplayInfo> info = store_.SetPinned(replay_id, pinned);
  if (info.ok()) *response = ToSummary(*info, is_live_(replay_id));
  return FinishWith(context, info.status());
}

grpc::ServerUnaryReactor* LibraryServiceImpl::Pin(grpc::CallbackServerContext* context, const v1::ReplayRef* request,
                                                  v1::ReplaySummary* response) {
  return SetPinned(context, request->replay_id(), true, response);
}

grpc::ServerUnaryReactor* LibraryServiceImpl::Unpin(grpc::CallbackServerContext* context,
                                                    const v1::ReplayRef* request, v1::ReplaySummary* response) {
  return SetPinned(context, request->replay_id(), false, response);
}

grpc::ServerUnaryReactor* LibraryServiceImpl::Delete(grpc::CallbackServerContext* context,
                                                     const v1::ReplayRef* request,
                                                     v1::DeleteReplayResponse* response) {
  if (absl::Status allowed = auth_.CheckPush(*context); !allowed.ok()) return FinishWith(context, allowed);
  absl::Status deleted = store_.Delete(request->replay_id());
  if (deleted.ok()) response->set_replay_id(request->replay_id());
  return FinishWith(context, deleted);
}

}  // namespace echelon::library
