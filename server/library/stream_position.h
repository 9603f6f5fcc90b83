// StreamPosition: how far a core's replay library has applied the cluster's
// replay log, kept next to the copy in `<data-dir>/stream-position`, so that a
// restarted core resumes its copy from there (and a fresh data dir starts from
// the beginning of the log). The file names the stream and its event id base
// (its creation time): a position from another or a re-created stream is
// ignored.
//
// Written to a temporary file, fsynced and renamed: a crash leaves the old or
// the new position, never a torn one.
//
// Threads: one owner thread.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace echelon::library {

class StreamPosition {
 public:
  // `stream`: the stream's name and identity, e.g. "ECHELON_REPLAYS 1764500000123000".
  StreamPosition(std::string data_dir, std::string stream);

  // The last applied sequence on file; 0 when there is none for this stream.
  uint64_t Load() const;
  [[nodiscard]] absl::Status Save(uint64_t applied) const;

 private:
  const std::string path_;
  const std::string stream_;
};

}  // namespace echelon::library
