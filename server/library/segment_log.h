// SegmentLog: the append-only files that hold the library's chunks, in the
// manner of Kafka's log segments. A record is
//   [u32 magic][u32 payload length][u32 CRC-32 of the payload][payload]
// (little endian) and counts only when it is whole and its checksum matches.
// Records are written with one pwrite at the end of the active segment; a
// write that fails (disk full, file size limit) is cut off again at once, so
// a failed append never leaves bytes behind. On open, the caller scans each
// segment's tail past what its index knows (Scan) and cuts a torn record off
// the end (Truncate).
//
// Segment files are `<dir>/<8-digit number>.seg`; the highest is active and
// a new one starts when it would pass `max_segment_bytes`.
//
// Threads: not thread-safe for appends (the owning store serialises them);
// Read() may run on any thread concurrently with appends and Sync().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace echelon::library {

struct RecordLocation {
  uint32_t segment = 0;
  uint64_t offset = 0;  // of the record's first byte
  uint32_t length = 0;  // the whole record, header included
};

// An open segment file; shared so that a Sync() or Read() in flight keeps it
// open while the log rolls to the next one.
class SegmentFile;

class SegmentLog {
 public:
  static constexpr size_t kRecordHeaderBytes = 12;

  // Opens (creating) the directory; appends go to the highest segment.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SegmentLog>> Open(std::string dir,
                                                                      uint64_t max_segment_bytes);
  ~SegmentLog();

  // Segment numbers present, ascending.
  std::vector<uint32_t> Segments() const;
  uint64_t SegmentSize(uint32_t segment) const;

  struct ScanResult {
    uint64_t valid_end = 0;    // end of the last whole record
    uint64_t file_size = 0;    // bytes after valid_end are torn or corrupt
    size_t records = 0;
  };
  // Visits the whole, valid records of `segment` from `from` on, in order,
  // and stops at the first torn or corrupt one.
  [[nodiscard]] absl::StatusOr<ScanResult> Scan(
      uint32_t segment, uint64_t from,
      const std::function<void(const RecordLocation&, std::string_view payload)>& visit) const;
  // Cuts `segment` to `size` bytes (the torn tail found by Scan).
  [[nodiscard]] absl::Status Truncate(uint32_t segment, uint64_t size);

  // Appends one record whose payload is `head` followed by `body`;
  // `payload_crc` is the CRC-32 of both together. ResourceExhausted (with
  // kInsufficientStorage) when the disk or the file size limit is reached.
  [[nodiscard]] absl::StatusOr<RecordLocation> Append(std::string_view head, std::string_view body,
                                                      uint32_t payload_crc);
  // Undoes the last Append (its index entry could not be written).
  void Unappend(const RecordLocation& location);

  // The record's payload, read into `buffer` (its capacity reused, so a
  // reader of many records allocates and faults in memory once): a view
  // inside `buffer`, valid until `buffer` changes. DataLoss when the bytes
  // on disk fail the checks.
  [[nodiscard]] absl::StatusOr<std::string_view> ReadInto(const RecordLocation& location, std::string& buffer) const;

  // fsync of the active segment (and the directory after a roll).
  [[nodiscard]] absl::Status Sync();
  // The active segment, for an fsync outside the owner's lock (SyncFile).
  std::shared_ptr<SegmentFile> active_file() const { return active_; }
  // Removes a segment that holds nothing live; never the active one.
  void Remove(uint32_t segment);
  uint32_t active_segment() const { return active_number_; }

 private:
  SegmentLog(std::string dir, uint64_t max_segment_bytes)
      : dir_(std::move(dir)), max_segment_bytes_(max_segment_bytes) {}
  std::string PathOf(uint32_t segment) const;
  [[nodiscard]] absl::Status OpenActive(uint32_t segment);

  const std::string dir_;
  const uint64_t max_segment_bytes_;
  uint32_t active_number_ = 0;
  std::shared_ptr<SegmentFile> active_;
  uint64_t active_size_ = 0;
  bool directory_dirty_ = false;
};

// fdatasync of one segment file.
[[nodiscard]] absl::Status SyncFile(const SegmentFile& file);

// CRC-32 (zlib's) of `data`, and of two parts joined without copying them.
uint32_t Crc32(std::string_view data);
uint32_t Crc32Combine(uint32_t crc_a, uint32_t crc_b, size_t length_b);

}  // namespace echelon::library
