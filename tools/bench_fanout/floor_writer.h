// FloorWriter: the floor of a fan-out benchmark. A minimal in-process SSE
// server that accepts N connections, reads each request, and on Go() writes
// the same pre-encoded bytes (a recorded server stream, HTTP headers and
// chunked framing included) to every connection, one thread per connection.
// No parsing, no queues, no encoding: what is left is the cost of moving the
// bytes through loopback TCP into the readers, which no server can beat.
//
//   FloorWriter floor(recorded_stream);
//   ECHELON_RETURN_IF_ERROR(floor.Listen());
//   ... connect N SseReaders to floor.port() ...
//   ECHELON_RETURN_IF_ERROR(floor.Accept(n, absl::Seconds(10)));
//   const absl::Time t0 = absl::Now();
//   floor.Go();   // returns when every byte was handed to the kernel
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace echelon::tools {

class FloorWriter {
 public:
  explicit FloorWriter(std::string stream) : stream_(std::move(stream)) {}
  ~FloorWriter();
  FloorWriter(const FloorWriter&) = delete;
  FloorWriter& operator=(const FloorWriter&) = delete;

  // Listens on a free loopback port.
  [[nodiscard]] absl::Status Listen();
  int port() const { return port_; }

  // Accepts `n` connections and reads each one's request headers.
  [[nodiscard]] absl::Status Accept(int n, absl::Duration timeout);

  // Writes the stream to every connection in parallel, then closes them.
  void Go();

 private:
  const std::string stream_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> clients_;
};

}  // namespace echelon::tools
