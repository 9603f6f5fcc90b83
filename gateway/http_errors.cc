#include "gateway/http_errors.h"

#include <string>

#include "protocol/http_answer_codec.h"
#include "common/storage_status.h"

namespace echelon::gateway {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument: return 422;
    case absl::StatusCode::kOutOfRange: return 422;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kFailedPrecondition: return 400;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 413;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kCancelled: return 499;
    default: return 500;
  }
}

void SetError(httplib::Response& res, int http_status, std::string_view detail) {
  res.status = http_status;
  SetJson(res, json::RenderErrorJson(detail));
}

void SetError(httplib::Response& res, const absl::Status& status) {
  // A full disk is not a too-large request: 507, so a producer retries later.
  const int http_status = IsInsufficientStorage(status) ? 507 : HttpStatusFor(status.code());
  SetError(res, http_status, std::string(status.message()));
}

void SetJson(httplib::Response& res, std::string body) {
  // With a charset, cpp-httplib does not recognise the type as compressible:
  // bodies that are compressed (once, cached) set Content-Encoding
  // themselves, and the rest are small.
  res.set_content(std::move(body), kJsonContentType);
}

}  // namespace echelon::gateway
