#include "tools/testing/sse_reader.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/thread_priority.h"
#include "tools/testing/net.h"
#include "tools/testing/sse_stream_parser.h"

namespace echelon::testing {

SseReader::SseReader(SseReaderOptions options, EventCallback on_event)
    : options_(std::move(options)), on_event_(std::move(on_event)) {}

SseReader::~SseReader() { Stop(); }

void SseReader::Start() { thread_ = std::thread([this] { Run(); }); }

void SseReader::Stop() {
  stopping_ = true;
  {
    absl::MutexLock lock(&mu_);
    const int fd = fd_.load();
    if (fd >= 0) shutdown(fd, SHUT_RDWR);  // wakes a blocked recv()
  }
  if (thread_.joinable()) thread_.join();
}

bool SseReader::WaitConnected(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto connected = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return connected_; };
  return mu_.AwaitWithTimeout(absl::Condition(&connected), timeout);
}

SseReaderStats SseReader::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void SseReader::Run() {
  LowerThisThreadsPriority(options_.thread_nice);
  while (!stopping_ && RunConnection()) {
    // Bounded: every pass either sleeps reconnect_delay or ends.
    absl::SleepFor(options_.reconnect_delay);
  }
}

bool SseReader::SendRequest(int fd) {
  return SendAll(fd, SseRequestText(options_.host, options_.port, options_.path, last_id_.load()));
}

bool SseReader::RunConnection() {
  const int fd = ConnectTcp(options_.host, options_.port);
  auto give_up_or_retry = [this](int status) {
    absl::MutexLock lock(&mu_);
    ++stats_.refused;
    stats_.last_status = status;
    return options_.reconnect_on_close;
  };
  if (fd < 0) return give_up_or_retry(0);
  {
    absl::MutexLock lock(&mu_);
    fd_ = fd;
  }
  // A receive timeout lets the loop notice Stop() and reconnect deadlines
  // even when the server sends nothing.
  SetReceiveTimeout(fd, absl::Milliseconds(200));
  const bool slow = options_.max_bytes_per_second > 0;
  std::vector<char> buffer(slow ? std::max<size_t>(1024, options_.max_bytes_per_second / 20) : 1 << 20);
  SseStreamParser parser({.store = options_.store, .digest = options_.digest}, [this](SseEvent e) { OnEvent(std::move(e)); });
  const absl::Time connected_at = absl::Now();
  absl::Time window_start = connected_at;
  size_t window_bytes = 0;
  bool again = false;
  bool answered = false;
  bool stalled = false;
  const bool keep_wire = options_.keep_wire && attempts_++ == 0;
  size_t body_bytes = 0;
  bool ok = SendRequest(fd);
  while (ok && !stopping_) {
    if (absl::Now() - connected_at > options_.reconnect_every) {
      again = true;  // a voluntary disconnect; come back with Last-Event-ID
      break;
    }
    const ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (got <= 0) {
      if (stopping_) break;  // our own shutdown(), not the server's doing
      absl::MutexLock lock(&mu_);
      ++stats_.closed_by_server;
      again = options_.reconnect_on_close;
      break;
    }
    {
      absl::MutexLock lock(&mu_);
      stats_.wire_bytes += got;
      if (keep_wire) wire_.append(buffer.data(), got);
    }
    ok = parser.Feed(buffer.data(), got);
    if (!answered && parser.headers_done()) {
      answered = true;
      if (parser.status() != 200) {
        again = give_up_or_retry(parser.status());
        break;
      }
      absl::MutexLock lock(&mu_);
      ++stats_.connections;
      connected_ = true;
    }
    body_bytes += got;
    if (slow) Throttle(got, window_start, window_bytes);
    if (!stalled && options_.stall_after_bytes > 0 && body_bytes >= options_.stall_after_bytes) {
      stalled = true;  // once per connection
      const absl::Time until = absl::Now() + options_.stall_for;
      while (!stopping_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(20));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    fd_ = -1;
    close(fd);
  }
  return again && !stopping_;
}

void SseReader::Throttle(size_t just_read, absl::Time& window_start, size_t& window_bytes) {
  window_bytes += just_read;
  const absl::Duration due =
      absl::Seconds(static_cast<double>(window_bytes) / options_.max_bytes_per_second);
  const absl::Duration ahead = due - (absl::Now() - window_start);
  if (ahead > absl::ZeroDuration()) absl::SleepFor(ahead);
}

void SseReader::OnEvent(SseEvent event) {
  last_id_ = event.id;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.events;
    stats_.data_bytes += event.size;
  }
  if (on_event_) on_event_(event);
  // A digest is kept with the event's prefix: small, and what comparisons need.
  if (options_.store || options_.digest) events_.push_back(std::move(event));
}

}  // namespace echelon::testing
