#include "gateway/request_body.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/prefault.h"

namespace echelon::gateway {

namespace {

absl::Status TooLarge(size_t limit, const char* what) {
  return absl::ResourceExhaustedError(
      absl::StrCat("request body exceeds the limit of ", limit, " bytes", what));
}

}  // namespace

absl::StatusOr<std::string> ReadBody(const httplib::Request& req, const httplib::ContentReader& reader,
                                     const BodyLimits& limits) {
  uint64_t content_length = 0;
  if (absl::SimpleAtoi(req.get_header_value("Content-Length"), &content_length) &&
      content_length > limits.max_body_bytes) {
    return TooLarge(limits.max_body_bytes, "");
  }
  const bool encoded = !req.get_header_value("Content-Encoding").empty();
  const size_t max_decompressed_bytes =
      encoded ? limits.max_decompressed_bytes
              : std::min(limits.max_body_bytes, limits.max_decompressed_bytes);
  std::string body;
  // One allocation of the announced size (already checked against the limit)
  // instead of a dozen doublings, each a fresh mapping to fault in and copy
  // into: a push body is about a megabyte.
  if (!encoded) {
    body.reserve(content_length);
    PrefaultForWrite(body.data(), content_length);
  }
  bool too_large = false;
  const bool complete = reader([&](const char* data, size_t length) {
    if (body.size() + length > max_decompressed_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  });
  if (too_large) {
    return TooLarge(max_decompressed_bytes, encoded ? " once decompressed" : "");
  }
  if (!complete) return absl::InvalidArgumentError("request body could not be read or decoded");
  return body;
}

}  // namespace echelon::gateway
