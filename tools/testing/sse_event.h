// SseEvent: one event as the C++ SSE readers (SseReader, SseReaderGroup) hand
// it out. `data` holds the whole data field when the reader stores, otherwise
// only its first kDataPrefixBytes (enough for the ids and indices that precede
// the frames in every event the server writes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace echelon::testing {

struct SseEvent {
  uint64_t id = 0;
  std::string type;
  std::string data;
  // The full data size, also when `data` holds only its prefix.
  size_t size = 0;
  // True when `data` was cut to its prefix (the reader discards).
  bool truncated = false;
  // XXH3-64 of the whole data field (as received, "\r" included), when the
  // reader digests; 0 otherwise.
  uint64_t data_hash = 0;
};

inline constexpr size_t kDataPrefixBytes = 256;

}  // namespace echelon::testing
