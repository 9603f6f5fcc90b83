// LibraryService (gRPC callback API, library.proto): the replay library for
// the gateway's /replays routes and for any gRPC client. List, GetChunk, Pin,
// Unpin and Delete are unary; Get is a write reactor that streams the header
// and then one stored chunk per write, reading each from the store only when
// the previous write is done, so a replay of any size is never held in memory.
//
// Reads need the view token (or the push token), changes the push token.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "echelon/replay/v1/library.grpc.pb.h"
#include "server/auth_policy.h"
#include "server/library/replay_store.h"

namespace echelon::library {

// The summary of a stored replay as the API shows it.
echelon::replay::v1::ReplaySummary ToSummary(const ReplayInfo& info, bool live);

// Whether chunks of a replay are being pushed now (the hub's view; in cluster
// mode also what reached the shared log from other cores).
using LiveCheck = std::function<bool(const std::string& replay_id)>;

// What a download starts with (summary, world, stored chunk indices), and in
// `chunks` the stored chunks it will read: shared by LibraryService.Get and
// the in-process LocalLibraryLink.
absl::StatusOr<echelon::replay::v1::GetReplayResponse::Header> DownloadHeader(ReplayStore& store,
                                                                              const LiveCheck& is_live,
                                                                              const std::string& replay_id,
                                                                              std::vector<StoredChunkRef>& chunks);

class LibraryServiceImpl final : public echelon::replay::v1::LibraryService::CallbackService {
 public:
  // `store` and `auth` must outlive the service.
  LibraryServiceImpl(ReplayStore& store, LiveCheck is_live, const AuthPolicy& auth)
      : store_(store), is_live_(std::move(is_live)), auth_(auth) {}

  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* context,
                                 const echelon::replay::v1::ListReplaysRequest* request,
                                 echelon::replay::v1::ListReplaysResponse* response) override;
  grpc::ServerWriteReactor<echelon::replay::v1::GetReplayResponse>* Get(
      grpc::CallbackServerContext* context, const echelon::replay::v1::GetReplayRequest* request) override;
  grpc::ServerUnaryReactor* GetChunk(grpc::CallbackServerContext* context,
                                     const echelon::replay::v1::GetChunkRequest* request,
                                     echelon::replay::v1::StoredChunk* response) override;
  grpc::ServerUnaryReactor* Pin(grpc::CallbackServerContext* context, const echelon::replay::v1::ReplayRef* request,
                                echelon::replay::v1::ReplaySummary* response) override;
  grpc::ServerUnaryReactor* Unpin(grpc::CallbackServerContext* context,
                                  const echelon::replay::v1::ReplayRef* request,
                                  echelon::replay::v1::ReplaySummary* response) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const echelon::replay::v1::ReplayRef* request,
                                   echelon::replay::v1::DeleteReplayResponse* response) override;

 private:
  grpc::ServerUnaryReactor* SetPinned(grpc::CallbackServerContext* context, const std::string& replay_id,
                                      bool pinned, echelon::replay::v1::ReplaySummary* response);

  ReplayStore& store_;
  const LiveCheck is_live_;
  const AuthPolicy& auth_;
};

}  // namespace echelon::library
