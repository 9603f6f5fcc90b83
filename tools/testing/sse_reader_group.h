// SseReaderGroup: many plain viewers of GET /events served by a few threads.
// Each viewer is its own TCP connection and SseStreamParser; `threads` epoll
// loops share the connections. A thousand viewers as a thread each (SseReader)
// wait seconds for a core on a 2-core machine, and the server rightly drops a
// viewer that takes no bytes for its broadcast timeout: the benchmark would
// measure its own scheduler. Here each loop reads every ready socket once per
// round (up to 256 KB), so no connection waits long.
//
// Plain viewers only: no throttling, stalling or reconnecting (SseReader does
// those), and the events keep only a prefix of their data unless stored.
//
//   SseReaderGroupOptions options{.count = 1000, .port_of = [&](int) { return port; }};
//   options.parse.digest = true;
//   SseReaderGroup group(options, [](int reader, const SseEvent& e) { ... });
//   group.Start();
//   if (!group.WaitConnected(absl::Seconds(10))) ...;
//   ...
//   group.Stop();
//   for (int i = 0; i < group.count(); ++i) Compare(group.events(i));
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/testing/sse_event.h"
#include "tools/testing/sse_stream_parser.h"

namespace echelon::testing {

struct SseReaderGroupOptions {
  int count = 0;
  std::string host = "127.0.0.1";
  // The port reader i connects to.
  std::function<int(int)> port_of;
  std::string path = "/events";
  SseParseOptions parse;
  int threads = 2;
  // Added to the nice value of the group's threads (common/thread_priority.h).
  int thread_nice = 0;
};

class SseReaderGroup {
 public:
  // Called on the group's threads, in order per reader; readers of
  // different threads call it concurrently.
  using EventCallback = std::function<void(int reader, const SseEvent&)>;

  SseReaderGroup(SseReaderGroupOptions options, EventCallback on_event = nullptr);
  ~SseReaderGroup();
  SseReaderGroup(const SseReaderGroup&) = delete;
  SseReaderGroup& operator=(const SseReaderGroup&) = delete;

  // Starts the threads; each connects its readers and sends their requests.
  void Start();
  // Closes the sockets and joins the threads.
  void Stop();

  // True once every reader's answer was a 200 and its headers arrived; false
  // on timeout or as soon as one reader could not connect or was refused.
  bool WaitConnected(absl::Duration timeout);

  int count() const { return options_.count; }
  // A reader's events, in order; read after Stop().
  const std::vector<SseEvent>& events(int reader) const;
  // Bytes read from all sockets, HTTP headers included.
  uint64_t wire_bytes() const { return wire_bytes_.load(); }

 private:
  struct Reader;

  void Run(int thread_index);
  // Connects and sends the request; false when the reader failed.
  bool Open(Reader& reader, int epoll_fd);
  // Reads what the socket has (once); false when the connection is over.
  bool ReadOnce(Reader& reader, std::vector<char>& buffer);
  void NoteAnswer(const Reader& reader);

  const SseReaderGroupOptions options_;
  const EventCallback on_event_;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_ = false;
  std::atomic<uint64_t> wire_bytes_ = 0;

  absl::Mutex mu_;
  int answered_ ABSL_GUARDED_BY(mu_) = 0;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace echelon::testing
