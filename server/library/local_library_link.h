// LocalLibraryLink: the LibraryLink (protocol/library_link.h) of a gateway in
// the same process as the core. A download reads each stored chunk straight
// from the ReplayStore into the gateway's one reused buffer: no protobuf
// message, no serialization, no fresh megabyte buffer per chunk.
//
// Threads: OpenReplay() from any thread; each reader on the one thread that
// writes its download. The store, hub and auth policy outlive the link.
#pragma once

#include "protocol/library_link.h"
#include "server/auth_policy.h"
#include "server/library/replay_store.h"
#include "server/replay/replay_hub.h"

namespace echelon::library {

class LocalLibraryLink final : public protocol::LibraryLink {
 public:
  LocalLibraryLink(ReplayStore& store, const replay::ReplayHub& hub, const AuthPolicy& auth)
      : store_(store), hub_(hub), auth_(auth) {}

  absl::StatusOr<protocol::OpenedReplay> OpenReplay(const std::string& replay_id,
                                                    std::string_view authorization) override;

 private:
  ReplayStore& store_;
  const replay::ReplayHub& hub_;
  const AuthPolicy& auth_;
};

}  // namespace echelon::library
