// Library changes in cluster mode: a pin, unpin or delete of a replay is not
// applied to one core's copy but published on the replay's library subject of
// the shared log (`<prefix>.library.<replay>`, cluster/replay_subjects.h), and
// every core's StreamFeeder applies it to its own copy in log order, between
// the chunks it follows. This file is the message format, shared by the
// publisher (ClusterReplayStore) and the appliers (StreamFeeder).
//
// Body: the change's name, a newline, then the replay id byte for byte (the
// subject's token is escaped; the body keeps the id as the user gave it).
//
//   std::string body = EncodeLibraryOp({LibraryOpKind::kPin, "run7-ep12"});  // "pin\nrun7-ep12"
//   absl::StatusOr<LibraryOp> op = DecodeLibraryOp(body);
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace echelon::library {

enum class LibraryOpKind { kPin, kUnpin, kDelete };

struct LibraryOp {
  LibraryOpKind kind = LibraryOpKind::kPin;
  std::string replay_id;
};

std::string EncodeLibraryOp(const LibraryOp& op);
// InvalidArgument for a body this format does not describe.
[[nodiscard]] absl::StatusOr<LibraryOp> DecodeLibraryOp(std::string_view body);

}  // namespace echelon::library
