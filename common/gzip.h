// gzip for HTTP bodies: decompression with a hard output bound (a small body
// must never expand into gigabytes), and one-shot compression for responses
// that are compressed once and served many times.
//
//   absl::StatusOr<std::string> body = GunzipBounded(raw, 64 << 20);
//   // ResourceExhausted when the output would exceed the bound.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace echelon {

// Decodes a gzip (or zlib) stream. InvalidArgument for corrupt data,
// ResourceExhausted once more than `max_output` bytes would be produced.
[[nodiscard]] absl::StatusOr<std::string> GunzipBounded(std::string_view compressed,
                                                        size_t max_output);

// gzip-encodes `data` (level 6 by default).
[[nodiscard]] std::string GzipCompress(std::string_view data, int level = 6);

// True when the bytes start with the gzip magic number.
bool LooksGzipped(std::string_view data);

}  // namespace echelon
