#include "server/library/segment_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "server/library/replay_store.h"
#include "spdlog/spdlog.h"

namespace echelon::library {

namespace {

constexpr uint32_t kMagic = 0x31524345;  // "ECR1"
// A payload larger than this is corrupt, not a chunk (bodies are limited far below).
constexpr uint32_t kMaxPayload = 1u << 30;

void PutU32(char* out, uint32_t v) { std::memcpy(out, &v, 4); }
uint32_t GetU32(const char* in) {
  uint32_t v;
  std::memcpy(&v, in, 4);
  return v;
}

absl::Status ErrnoStatus(std::string_view what, const std::string& path, int error) {
  if (error == ENOSPC || error == EFBIG || error == EDQUOT) {
    return absl::ResourceExhaustedError(absl::StrCat(std::string(kInsufficientStorage), ": cannot write ", path,
                                                     ": ", std::strerror(error)));
  }
  return absl::InternalError(absl::StrCat(std::string(what), " ", path, ": ", std::strerror(error)));
}

// Reads exactly `size` bytes at `offset`; false on a short read or error.
bool ReadFully(int fd, char* out, size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed it in pieces.
  while (!data.empty()) {
    const size_t n = std::min<size_t>(data.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

uint32_t Crc32Combine(uint32_t crc_a, uint32_t crc_b, size_t length_b) {
  return static_cast<uint32_t>(crc32_combine(crc_a, crc_b, static_cast<z_off_t>(length_b)));
}

class SegmentFile {
 public:
  SegmentFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~SegmentFile() { close(fd_); }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  const int fd_;
  const std::string path_;
};

absl::StatusOr<std::unique_ptr<SegmentLog>> SegmentLog::Open(std::string dir, uint64_t max_segment_bytes) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("cannot create", dir, errno);
  std::unique_ptr<SegmentLog> log(new SegmentLog(std::move(dir), max_segment_bytes));
  const std::vector<uint32_t> segments = log->Segments();
  const absl::Status opened = log->OpenActive(segments.empty() ? 1 : segments.back());
  if (!opened.ok()) return opened;
  return log;
}

SegmentLog::~SegmentLog() = default;

std::string SegmentLog::PathOf(uint32_t segment) const {
  return absl::StrFormat("%s/%08u.seg", dir_, segment);
}

std::vector<uint32_t> SegmentLog::Segments() const {
  std::vector<uint32_t> segments;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return segments;
  while (dirent* entry = readdir(d)) {
    std::string_view name = entry->d_name;
    uint32_t number = 0;
    if (name.size() == 12 && absl::EndsWith(std::string(name), ".seg") && absl::SimpleAtoi(std::string(name.substr(0, 8)), &number)) {
      segments.push_back(number);
    }
  }
  closedir(d);
  std::sort(segments.begin(), segments.end());
  return segments;
}

uint64_t SegmentLog::SegmentSize(uint32_t segment) const {
  struct stat st;
  if (stat(PathOf(segment).c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

absl::Status SegmentLog::OpenActive(uint32_t segment) {
  const std::string path = PathOf(segment);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open", path, errno);
  struct stat st;
  fstat(fd, &st);
  active_ = std::make_shared<SegmentFile>(fd, path);
  active_number_ = segment;
  active_size_ = static_cast<uint64_t>(st.st_size);
  directory_dirty_ = true;
  return absl::OkStatus();
}

absl::StatusOr<SegmentLog::ScanResult> SegmentLog::Scan(
    uint32_t segment, uint64_t from,
    const std::function<void(const RecordLocation&, std::string_view)>& visit) const {
  const std::string path = PathOf(segment);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path, errno);
  struct stat st;
  fstat(fd, &st);
  ScanResult result;
  result.file_size = static_cast<uint64_t>(st.st_size);
  result.valid_end = std::min(from, result.file_size);
  std::string payload;
  uint64_t offset = result.valid_end;
  while (offset + kRecordHeaderBytes <= result.file_size) {
    char header[kRecordHeaderBytes];
    if (!ReadFully(fd, header, sizeof header, offset)) break;
    const uint32_t length = GetU32(header + 4);
    if (GetU32(header) != kMagic || length > kMaxPayload ||
        offset + kRecordHeaderBytes + length > result.file_size) {
      break;
    }
    payload.resize(length);
    if (!ReadFully(fd, payload.data(), length, offset + kRecordHeaderBytes)) break;
    if (Crc32(payload) != GetU32(header + 8)) break;
    const RecordLocation location{segment, offset, static_cast<uint32_t>(kRecordHeaderBytes + length)};
    visit(location, payload);
    offset += location.length;
    result.valid_end = offset;
    ++result.records;
  }
  close(fd);
  return result;
}

absl::Status SegmentLog::Truncate(uint32_t segment, uint64_t size) {
  const std::string path = PathOf(segment);
  if (truncate(path.c_str(), static_cast<off_t>(size)) != 0) return ErrnoStatus("cannot truncate", path, errno);
  if (segment == active_number_) active_size_ = size;
  return absl::OkStatus();
}

absl::StatusOr<RecordLocation> SegmentLog::Append(std::string_view head, std::string_view body,
                                                  uint32_t payload_crc) {
  const uint64_t payload = head.size() + body.size();
  if (payload > kMaxPayload) return absl::InvalidArgumentError("chunk too large to store");
  const uint64_t record = kRecordHeaderBytes + payload;
  if (active_size_ > 0 && active_size_ + record > max_segment_bytes_) {
    // Roll: the finished segment goes to disk as it is, the next one starts.
    if (fdatasync(active_->fd()) != 0) spdlog::warn("fdatasync {}: {}", active_->path(), std::strerror(errno));
    if (absl::Status opened = OpenActive(active_number_ + 1); !opened.ok()) return opened;
  }
  char header[kRecordHeaderBytes];
  PutU32(header, kMagic);
  PutU32(header + 4, static_cast<uint32_t>(payload));
  PutU32(header + 8, payload_crc);
  struct iovec parts[3] = {{header, sizeof header},
                           {const_cast<char*>(head.data()), head.size()},
                           {const_cast<char*>(body.data()), body.size()}};
  const RecordLocation location{active_number_, active_size_, static_cast<uint32_t>(record)};
  uint64_t written = 0;
  int iov_start = 0;
  while (written < record) {
    const ssize_t n = pwritev(active_->fd(), parts + iov_start, 3 - iov_start,
                              static_cast<off_t>(active_size_ + written));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      // Nothing half-written stays behind: the next append starts here again.
      if (ftruncate(active_->fd(), static_cast<off_t>(active_size_)) != 0) {
        spdlog::error("cannot cut a failed append off {}: {}", active_->path(), std::strerror(errno));
      }
      return ErrnoStatus("cannot append to", active_->path(), error);
    }
    written += static_cast<uint64_t>(n);
    // Advance the iovecs past what was written.
    size_t left = static_cast<size_t>(n);
    while (iov_start < 3 && left >= parts[iov_start].iov_len) left -= parts[iov_start++].iov_len;
    if (iov_start < 3) {
      parts[iov_start].iov_base = static_cast<char*>(parts[iov_start].iov_base) + left;
      parts[iov_start].iov_len -= left;
    }
  }
  active_size_ += record;
  return location;
}

void SegmentLog::Unappend(const RecordLocation& location) {
  if (location.segment != active_number_ || location.offset + location.length != active_size_) return;
  if (ftruncate(active_->fd(), static_cast<off_t>(location.offset)) == 0) active_size_ = location.offset;
}

absl::StatusOr<std::string_view> SegmentLog::ReadInto(const RecordLocation& location, std::string& buffer) const {
  const std::string path = PathOf(location.segment);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::DataLossError(absl::StrCat("segment ", path, " is missing: ", std::strerror(errno)));
  buffer.resize(location.length);
  const bool read = ReadFully(fd, buffer.data(), buffer.size(), location.offset);
  close(fd);
  if (!read || location.length < kRecordHeaderBytes || GetU32(buffer.data()) != kMagic ||
      GetU32(buffer.data() + 4) != location.length - kRecordHeaderBytes) {
    return absl::DataLossError(absl::StrCat("record at ", path, ":", location.offset, " is truncated or damaged"));
  }
  std::string_view payload(buffer.data() + kRecordHeaderBytes, location.length - kRecordHeaderBytes);
  if (Crc32(payload) != GetU32(buffer.data() + 8)) {
    return absl::DataLossError(absl::StrCat("record at ", path, ":", location.offset, " fails its checksum"));
  }
  return payload;
}

absl::Status SyncFile(const SegmentFile& file) {
  if (fdatasync(file.fd()) != 0) return ErrnoStatus("cannot sync", file.path(), errno);
  return absl::OkStatus();
}

absl::Status SegmentLog::Sync() {
  if (absl::Status synced = SyncFile(*active_); !synced.ok()) return synced;
  if (directory_dirty_) {
    const int dir = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      fsync(dir);
      close(dir);
    }
    directory_dirty_ = false;
  }
  return absl::OkStatus();
}

void SegmentLog::Remove(uint32_t segment) {
  if (segment == active_number_) return;
  if (unlink(PathOf(segment).c_str()) == 0) spdlog::info("library segment {} removed: nothing live in it", segment);
}

}  // namespace echelon::library
