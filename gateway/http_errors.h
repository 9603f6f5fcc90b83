// The one table from status codes to HTTP, and the JSON error body
// `{"detail": "..."}` every failure answers with (PROTOCOL.md, "Errors").
#pragma once

#include <httplib.h>

#include <string_view>

#include "absl/status/status.h"

namespace echelon::gateway {

// InvalidArgument 422, NotFound 404, FailedPrecondition 400, AlreadyExists and
// Aborted 409, ResourceExhausted 413, Unauthenticated 401, PermissionDenied
// 403, Unavailable 503, a full disk (common/storage_status.h) 507, DeadlineExceeded 504, Unimplemented 501, others 500.
int HttpStatusFor(absl::StatusCode code);

void SetError(httplib::Response& res, int http_status, std::string_view detail);
void SetError(httplib::Response& res, const absl::Status& status);

inline constexpr char kJsonContentType[] = "application/json; charset=utf-8";

// A JSON body with Content-Type application/json.
void SetJson(httplib::Response& res, std::string body);

}  // namespace echelon::gateway
