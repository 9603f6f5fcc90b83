#include "server/library/stream_position.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace echelon::library {

StreamPosition::StreamPosition(std::string data_dir, std::string stream)
    : path_(std::move(data_dir) + "/stream-position"), stream_(std::move(stream)) {}

uint64_t StreamPosition::Load() const {
  std::ifstream in(path_);
  std::string stream_line, applied_line;
  if (!std::getline(in, stream_line) || !std::getline(in, applied_line)) return 0;
  uint64_t applied = 0;
  if (stream_line != stream_ || !absl::SimpleAtoi(applied_line, &applied)) return 0;
  return applied;
}

absl::Status StreamPosition::Save(uint64_t applied) const {
  const std::string text = absl::StrCat(stream_, "\n", applied, "\n");
  const std::string temporary = path_ + ".tmp";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot write ", temporary, ": ", std::strerror(errno)));
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fdatasync(fd) == 0;
  const int error = errno;
  close(fd);
  if (!written || std::rename(temporary.c_str(), path_.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path_, ": ", std::strerror(written ? errno : error)));
  }
  return absl::OkStatus();
}

}  // namespace echelon::library
