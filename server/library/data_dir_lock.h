// DataDirLock: makes sure one server at a time uses a data directory. It holds
// an exclusive flock() on `<dir>/LOCK` for its lifetime (the kernel drops it
// when the process dies, SIGKILL included, so a crash never leaves a stale
// lock) and writes the holder's pid into the file for the error message.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace echelon::library {

class DataDirLock {
 public:
  // FailedPrecondition naming the other process when the directory is in use.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DataDirLock>> Acquire(const std::string& dir);
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace echelon::library
