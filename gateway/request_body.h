// Reading request bodies under limits: at most max_body_bytes on the wire
// (cpp-httplib answers 413 itself past that) and at most
// max_decompressed_bytes after Content-Encoding: gzip, which cpp-httplib
// decodes while reading (handlers that take a ContentReader do not get
// cpp-httplib's own payload check, so both limits are applied here). Counting the decoded bytes as they arrive is what
// stops a gzip bomb before it takes memory.
#pragma once

#include <httplib.h>

#include <string>

#include "absl/status/statusor.h"

namespace echelon::gateway {

// ResourceExhausted (413) past the limit, InvalidArgument for a body that
// could not be read or decoded.
struct BodyLimits {
  size_t max_body_bytes;
  size_t max_decompressed_bytes;
};

[[nodiscard]] absl::StatusOr<std::string> ReadBody(const httplib::Request& req,
                                                   const httplib::ContentReader& reader,
                                                   const BodyLimits& limits);

}  // namespace echelon::gateway
