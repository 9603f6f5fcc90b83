// SseReader: one viewer of GET /events, as a real HTTP client on its own TCP
// socket and thread; the one SSE reader of the C++ tests and load tools
// (bench_fanout, soak). It speaks just enough HTTP/1.1 for an SSE stream
// (status line, headers, chunked or plain body) and parses `id:` / `event:` /
// `data:` frames as EventSource does.
//
// A raw POSIX socket rather than an HTTP library: the reader must never be the
// bottleneck of a fan-out benchmark (one recv into a large buffer, memchr for
// line ends, one copy of the data into the stored event), and it must be able
// to misbehave on purpose: read slowly, stall, reconnect with Last-Event-ID.
//
//   SseReaderOptions options{.port = 8090, .store = true};
//   SseReader reader(options, [](const SseEvent& e) { if (e.type == "replay_end") Done(); });
//   reader.Start();
//   reader.WaitConnected(absl::Seconds(5));
//   ...
//   reader.Stop();
//   for (const SseEvent& e : reader.events()) Check(e.data_view());
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/testing/sse_event.h"

namespace echelon::testing {

struct SseReaderOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/events";
  // Keep every event's full data (for verification); otherwise keep a prefix.
  bool store = false;
  // Set each event's data_hash (see SseEvent): verification without storing.
  bool digest = false;
  // Also keep every byte read from the socket, HTTP headers included (to
  // replay the exact stream elsewhere: bench_fanout's floor).
  bool keep_wire = false;
  // Slow reader: at most this many bytes per second (0: as fast as it can).
  size_t max_bytes_per_second = 0;
  // Stalled reader: after this many body bytes, stop reading for stall_for
  // (0: never). The socket buffers fill and the server sees a stuck viewer.
  size_t stall_after_bytes = 0;
  absl::Duration stall_for = absl::ZeroDuration();
  // Reconnecting reader: drop the connection after this long and come back
  // with Last-Event-ID (infinite: stay).
  absl::Duration reconnect_every = absl::InfiniteDuration();
  // Come back with Last-Event-ID when the server ends the stream (a dropped
  // slow viewer does, as a browser would).
  bool reconnect_on_close = false;
  absl::Duration reconnect_delay = absl::Milliseconds(50);
  // Added to the nice value of the reader's thread (common/thread_priority.h):
  // benchmarks raise it so that readers on the server's own host stand for
  // viewers on other machines instead of taking the CPU from the server.
  int thread_nice = 0;
};

struct SseReaderStats {
  uint64_t connections = 0;     // successful (HTTP 200) connects
  uint64_t closed_by_server = 0;
  uint64_t refused = 0;         // connect failures and non-200 answers
  int last_status = 0;
  uint64_t wire_bytes = 0;      // everything read from the socket
  uint64_t events = 0;
  uint64_t data_bytes = 0;      // sum of the events' data sizes
};

class SseReader {
 public:
  // Called on the reader's thread for every event, in order.
  using EventCallback = std::function<void(const SseEvent&)>;

  SseReader(SseReaderOptions options, EventCallback on_event = nullptr);
  ~SseReader();
  SseReader(const SseReader&) = delete;
  SseReader& operator=(const SseReader&) = delete;

  void Start();
  // Closes the socket and joins the thread.
  void Stop();

  // True once the first connection answered 200 and its headers arrived.
  bool WaitConnected(absl::Duration timeout);

  // Stored events (with options.store, or with their digest and data prefix
  // with options.digest); read after Stop().
  const std::vector<SseEvent>& events() const { return events_; }
  // The raw stream of the first connection (only with options.keep_wire).
  const std::string& wire() const { return wire_; }
  uint64_t last_id() const { return last_id_.load(); }
  SseReaderStats stats() const;

 private:
  void Run();
  // One connection, from connect to close. Returns false when the reader
  // should stop for good.
  bool RunConnection();
  bool SendRequest(int fd);
  void OnEvent(SseEvent event);
  void Throttle(size_t just_read, absl::Time& window_start, size_t& window_bytes);

  const SseReaderOptions options_;
  const EventCallback on_event_;
  std::thread thread_;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> fd_ = -1;
  std::atomic<uint64_t> last_id_ = 0;
  std::vector<SseEvent> events_;  // reader thread only, until Stop()
  std::string wire_;              // reader thread only, until Stop()
  int attempts_ = 0;              // reader thread only

  mutable absl::Mutex mu_;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  SseReaderStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace echelon::testing
