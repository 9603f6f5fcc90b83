// LibraryLink: how the gateway reads one stored replay from the core's
// library for `GET /replays/{id}`, chunk by chunk: the one library route that
// moves megabytes.
//
// Two implementations, as for the replay link: GrpcLibraryLink
// (gateway/grpc_library_link.h) reads LibraryService.Get over a channel, for a
// gateway started with --core; LocalLibraryLink
// (server/library/local_library_link.h) reads the store of the core in the
// same process into the caller's buffer, so a download costs a pread and a
// send per chunk instead of a serialization, a parse and two fresh megabyte
// buffers. Listing, single chunks, pins and deletes are small and always go
// over gRPC.
//
// Threads: OpenReplay() may be called from any thread. A StoredReplayReader
// and the buffer it reads into belong to the one thread writing the download.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "echelon/replay/v1/library.pb.h"

namespace echelon::protocol {

// The stored chunks of one replay, in index order.
class StoredReplayReader {
 public:
  virtual ~StoredReplayReader() = default;
  // The next chunk's frames (a JSON array), read into `buffer`, whose
  // capacity is reused: a view inside it, valid until `buffer` changes.
  // nullopt at the end; Finish() then says whether it ended well.
  virtual std::optional<std::string_view> Next(std::string& buffer) = 0;
  virtual absl::Status Finish() = 0;
};

struct OpenedReplay {
  echelon::replay::v1::GetReplayResponse::Header header;
  std::unique_ptr<StoredReplayReader> chunks;
};

class LibraryLink {
 public:
  virtual ~LibraryLink() = default;
  // `authorization` is the caller's header value, checked by the core
  // against its view token. NotFound for an unknown replay; Unimplemented
  // when the core keeps no library.
  virtual absl::StatusOr<OpenedReplay> OpenReplay(const std::string& replay_id, std::string_view authorization) = 0;
};

}  // namespace echelon::protocol
