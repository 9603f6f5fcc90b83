// GrpcLibraryLink: LibraryLink over LibraryService.Get, for a gateway whose
// core is another process (--core), or whose core keeps no library (the
// answer is then Unimplemented, which the route turns into a clear 404).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "echelon/replay/v1/library.grpc.pb.h"
#include "protocol/library_link.h"

namespace echelon::gateway {

class GrpcLibraryLink final : public protocol::LibraryLink {
 public:
  explicit GrpcLibraryLink(const std::shared_ptr<grpc::Channel>& channel);

  // No deadline: a download takes as long as its client reads.
  absl::StatusOr<protocol::OpenedReplay> OpenReplay(const std::string& replay_id,
                                                    std::string_view authorization) override;

 private:
  const std::unique_ptr<echelon::replay::v1::LibraryService::Stub> stub_;
};

}  // namespace echelon::gateway
