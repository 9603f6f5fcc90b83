// Small POSIX socket helpers under the server launcher and the SSE reader
// (shared by the end-to-end tests and the load tools): loopback connects,
// whole writes, free ports and a one-shot HTTP GET for health polling. No HTTP
// library on purpose: these run next to the measured server and must cost
// next to nothing.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace echelon::testing {

// A connected blocking TCP socket, or -1.
int ConnectTcp(const std::string& host, int port);

// Writes all of `bytes` (retrying short writes); false on error.
bool SendAll(int fd, std::string_view bytes);

void SetReceiveTimeout(int fd, absl::Duration timeout);

// A port that was free on 127.0.0.1 a moment ago (bind to 0, read, close).
[[nodiscard]] absl::StatusOr<int> FreeLoopbackPort();

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// GET `path` with `Connection: close`; Unavailable when the server cannot
// be reached or does not answer within `timeout`.
[[nodiscard]] absl::StatusOr<HttpAnswer> HttpGet(const std::string& host, int port, const std::string& path,
                                                 absl::Duration timeout = absl::Seconds(2));

}  // namespace echelon::testing
