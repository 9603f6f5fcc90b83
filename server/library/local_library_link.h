// LocalLibraryLink: the LibraryLink (protocol/library_link.h) of a gateway in
// the same process as the core. A download reads each stored chunk straight
// from the ReplayStore into the gateway's one reused buffer: no protobuf
// message, no serialization, no fresh megabyte buffer per chunk.
//
// Threads: OpenReplay() from any thread; each reader on the one thread that
// writes its download. The store and auth policy outlive the link.
#pragma once

#include "protocol/library_link.h"
#include "server/auth_policy.h"
#include "server/library/replay_store.h"
#include "server/library/library_service.h"

namespace echelon::library {

class LocalLibraryLink final : public protocol::LibraryLink {
 public:
  LocalLibraryLink(ReplayStore& store, LiveCheck is_live, const AuthPolicy& auth)
      : store_(store), is_live_(std::move(is_live)), auth_(auth) {}

  absl::StatusOr<protocol::OpenedReplay> OpenReplay(const std::string& replay_id,
                                                    std::string_view authorization) override;

 private:
  ReplayStore& store_;
  const LiveCheck is_live_;
  const AuthPolicy& auth_;
};

}  // namespace echelon::library
