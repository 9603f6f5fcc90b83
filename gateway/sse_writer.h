// SseWriter: writes every /events stream that came through the connection
// front, from ONE thread with non-blocking sockets and epoll, so a viewer
// holds no worker and --sse-max-clients can be in the thousands.
//
// Each stream's pending frames (the response head, the greeting, the
// catch-up, then live events popped from its outbox) go out with writev:
// head, shared body and tail of several frames in one call, straight from the
// SseFrame buffers every viewer shares. The writer sleeps until a socket has
// room (EPOLLOUT), a viewer's outbox gets an event after being empty (the
// client's waker), or the periodic sweep.
//
// The drop rule: a viewer is dropped only when it takes NO bytes for the
// broadcast timeout while it has bytes pending (checked on every sweep, every
// quarter of the timeout: bytes taken are seen as our writes succeeding or
// the kernel's send queue shrinking), or when its queue exceeds
// --sse-queue-mb. A slow
// viewer that keeps taking bytes stays connected, however long one event
// takes to reach it.
//
// Threads: Adopt() from any thread (a worker); everything else about a
// stream happens on the writer thread, which also calls on_close.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "gateway/http_connection.h"
#include "gateway/sse_client.h"

namespace echelon::gateway {

struct SseWriterOptions {
  // No bytes taken for this long while some are pending: dropped.
  absl::Duration stall_timeout = absl::Seconds(1);
  // Silence after which a keepalive comment is sent.
  absl::Duration keepalive = absl::Seconds(15);
  // Each viewer's kernel send buffer (Linux doubles it). Fixed rather than
  // autotuned (up to 4 MB each): a thousand viewers must not pin gigabytes
  // of kernel memory, and the drop rule should see a stall within a fraction
  // of a second of bytes, not megabytes later.
  int socket_send_buffer = 256 << 10;
};

class SseWriter {
 public:
  // Called on the writer thread when a stream ends, after its socket closed.
  using OnClose = std::function<void(const std::shared_ptr<SseClient>&)>;

  SseWriter(SseWriterOptions options, OnClose on_close);
  ~SseWriter();

  void Start();
  // Closes every stream (on_close runs for each) and joins the thread.
  void Stop();

  // Takes the stream over: writes `first` (the response head, the greeting,
  // the catch-up), then the client's live events, until either side ends it.
  void Adopt(std::unique_ptr<OwnedSocket> socket, std::shared_ptr<SseClient> client, std::deque<SseBytes> first);

  size_t stream_count() const { return stream_count_.load(); }
  uint64_t stalled_drops() const { return stalled_drops_.load(); }

 private:
  struct Stream;

  void Run();
  void AdoptPending();
  void WakeReady();
  // Writes what the stream has until the socket is full or nothing is left.
  void Flush(Stream& stream);
  void Refill(Stream& stream);
  void Sweep();
  void CloseStream(int fd, const std::string& reason);
  void Signal();

  const SseWriterOptions options_;
  const OnClose on_close_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_ = false;
  std::atomic<size_t> stream_count_ = 0;
  std::atomic<uint64_t> stalled_drops_ = 0;

  // Writer thread only.
  std::unordered_map<int, std::unique_ptr<Stream>> streams_;

  std::mutex inbox_mu_;
  struct Adoption {
    std::unique_ptr<OwnedSocket> socket;
    std::shared_ptr<SseClient> client;
    std::deque<SseBytes> first;
  };
  std::vector<Adoption> adoptions_;
  std::vector<int> ready_;  // fds whose client was woken
};

}  // namespace echelon::gateway
