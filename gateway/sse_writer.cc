#include "gateway/sse_writer.h"

#include <linux/sockios.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/thread_priority.h"
#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace {

// Frames taken from an outbox at a time, and the bytes after which to stop
// taking: enough for one writev to fill a socket buffer.
constexpr size_t kMaxPendingFrames = 64;
constexpr size_t kRefillBytes = 1u << 20;
constexpr int kMaxIovecs = 192;

// Fan-out is throughput work: a viewer takes bytes a little later and nothing
// is lost. Pushes, health checks and new connections wait on a worker that
// a busy writer would otherwise share the cores with, so the writer runs a
// few nice levels below the rest of the process.
constexpr int kWriterNiceIncrement = 5;

void YieldToLatencyWork() {
  pthread_setname_np(pthread_self(), "sse-writer");  // for top -H, perf and the tests
  LowerThisThreadsPriority(kWriterNiceIncrement);
}

}  // namespace

struct SseWriter::Stream {
  std::unique_ptr<OwnedSocket> socket;
  std::shared_ptr<SseClient> client;
  std::deque<SseBytes> pending;
  size_t offset = 0;  // bytes of pending.front() already written
  // When the socket last took bytes, or bytes became pending after none were.
  absl::Time last_progress;
  // When something other than a keepalive was last queued.
  absl::Time last_write;
  // Bytes in the kernel's send queue at the last sweep: when it shrinks, the
  // viewer is taking bytes even if the socket is not yet writable again
  // (epoll reports that only once a third of the buffer is free).
  int last_unsent = 0;
};

SseWriter::SseWriter(SseWriterOptions options, OnClose on_close)
    : options_(options), on_close_(std::move(on_close)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event wake{.events = EPOLLIN, .data = {.fd = wake_fd_}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
}

SseWriter::~SseWriter() {
  Stop();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void SseWriter::Start() { thread_ = std::thread([this] { Run(); }); }

void SseWriter::Stop() {
  if (stopping_.exchange(true)) return;
  Signal();
  if (thread_.joinable()) thread_.join();
  // Adoptions that arrived after the thread ended.
  std::vector<Adoption> late;
  {
    std::lock_guard lock(inbox_mu_);
    late.swap(adoptions_);
  }
  for (Adoption& adoption : late) {
    adoption.socket.reset();
    on_close_(adoption.client);
  }
}

void SseWriter::Signal() {
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof(one));
}

void SseWriter::Adopt(std::unique_ptr<OwnedSocket> socket, std::shared_ptr<SseClient> client,
                      std::deque<SseBytes> first) {
  {
    std::lock_guard lock(inbox_mu_);
    if (!stopping_.load()) {
      adoptions_.push_back(Adoption{std::move(socket), std::move(client), std::move(first)});
      Signal();
      return;
    }
  }
  socket.reset();
  on_close_(client);
}

void SseWriter::Run() {
  YieldToLatencyWork();
  epoll_event events[256];
  const absl::Duration sweep_interval =
      std::clamp(options_.stall_timeout / 4, absl::Milliseconds(20), absl::Milliseconds(250));
  absl::Time next_sweep = absl::Now() + sweep_interval;
  while (!stopping_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events, 256, static_cast<int>(absl::ToInt64Milliseconds(sweep_interval)));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t ignored;
        (void)::read(wake_fd_, &ignored, sizeof(ignored));
        AdoptPending();
        WakeReady();
        continue;
      }
      const auto it = streams_.find(fd);
      if (it == streams_.end()) continue;
      const uint32_t what = events[i].events;
      if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        // A viewer sends nothing after its request: readable means it left.
        char discard[512];
        const ssize_t got = ::recv(fd, discard, sizeof(discard), MSG_DONTWAIT);
        if (got == 0 || (what & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ||
            (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          CloseStream(fd, "viewer left");
          continue;
        }
      }
      if (what & EPOLLOUT) Flush(*it->second);
    }
    if (absl::Now() >= next_sweep) {
      Sweep();
      next_sweep = absl::Now() + sweep_interval;
    }
  }
  std::vector<int> fds;
  for (const auto& [fd, stream] : streams_) fds.push_back(fd);
  for (int fd : fds) CloseStream(fd, "server is shutting down");
}

void SseWriter::AdoptPending() {
  std::vector<Adoption> adoptions;
  {
    std::lock_guard lock(inbox_mu_);
    adoptions.swap(adoptions_);
  }
  for (Adoption& adoption : adoptions) {
    const int fd = adoption.socket->fd();
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options_.socket_send_buffer, sizeof(options_.socket_send_buffer));
    auto stream = std::make_unique<Stream>();
    stream->socket = std::move(adoption.socket);
    stream->client = std::move(adoption.client);
    stream->pending = std::move(adoption.first);
    stream->last_progress = stream->last_write = absl::Now();
    Stream& added = *stream;
    streams_[fd] = std::move(stream);
    ++stream_count_;
    added.client->SetWaker([this, fd] {
      std::lock_guard lock(inbox_mu_);
      ready_.push_back(fd);
      if (ready_.size() == 1) Signal();
    });
    epoll_event event{.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data = {.fd = fd}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    Flush(added);
  }
}

void SseWriter::WakeReady() {
  std::vector<int> ready;
  {
    std::lock_guard lock(inbox_mu_);
    ready.swap(ready_);
  }
  for (int fd : ready) {
    const auto it = streams_.find(fd);
    if (it != streams_.end()) Flush(*it->second);
  }
}

void SseWriter::Refill(Stream& stream) {
  size_t bytes = 0;
  for (const SseBytes& frame : stream.pending) bytes += frame->size();
  while (stream.pending.size() < kMaxPendingFrames && bytes < kRefillBytes) {
    std::optional<SseBytes> next = stream.client->NextLive();
    if (!next) break;
    const absl::Time now = absl::Now();
    if (stream.pending.empty()) stream.last_progress = now;
    stream.last_write = now;
    bytes += (*next)->size();
    stream.pending.push_back(*std::move(next));
  }
}

void SseWriter::Flush(Stream& stream) {
  const int fd = stream.socket->fd();
  while (true) {
    if (stream.client->outbox().closed()) {
      return CloseStream(fd, stream.client->outbox().close_reason());
    }
    if (stream.pending.size() < kMaxPendingFrames / 2) Refill(stream);
    if (stream.pending.empty()) return;

    iovec iov[kMaxIovecs];
    int count = 0;
    size_t skip = stream.offset;
    for (const SseBytes& frame : stream.pending) {
      if (count + 3 > kMaxIovecs) break;
      for (std::string_view part : {std::string_view(frame->head), frame->body, std::string_view(frame->tail)}) {
        if (part.size() <= skip) {
          skip -= part.size();
          continue;
        }
        iov[count++] = iovec{const_cast<char*>(part.data()) + skip, part.size() - skip};
        skip = 0;
      }
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<size_t>(count);
    const ssize_t written = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // EPOLLOUT brings us back
      return CloseStream(fd, "socket write failed");
    }
    const absl::Time now = absl::Now();
    stream.last_progress = now;
    stream.client->outbox().NoteProgress();
    stream.offset += static_cast<size_t>(written);
    while (!stream.pending.empty() && stream.offset >= stream.pending.front()->size()) {
      const SseFrame& done = *stream.pending.front();
      stream.offset -= done.size();
      stream.client->CountSent(done.sse_size);
      stream.pending.pop_front();
    }
  }
}

void SseWriter::Sweep() {
  const absl::Time now = absl::Now();
  std::vector<int> stalled;
  std::vector<Stream*> idle;
  for (auto& [fd, stream] : streams_) {
    int unsent = 0;
    if (::ioctl(fd, SIOCOUTQ, &unsent) == 0) {
      // An empty send queue took everything it was given: if bytes are still
      // pending, this thread has not got round to them (busy, or waiting for
      // a core), which is no fault of the viewer.
      if (unsent == 0 || unsent < stream->last_unsent) {
        stream->last_progress = now;
        stream->client->outbox().NoteProgress();
      }
      stream->last_unsent = unsent;
    }
    if (!stream->pending.empty()) {
      if (now - stream->last_progress > options_.stall_timeout) stalled.push_back(fd);
    } else if (now - stream->last_write >= options_.keepalive) {
      idle.push_back(stream.get());
    }
  }
  for (int fd : stalled) {
    Stream& stream = *streams_[fd];
    stream.client->MarkDroppedAsSlow();
    stream.client->outbox().Close("took no bytes within the broadcast timeout");
    ++stalled_drops_;
    CloseStream(fd, "took no bytes within the broadcast timeout");
  }
  for (Stream* stream : idle) {
    // A keepalive comment; its timestamp is fresh each time.
    stream->pending.push_back(std::make_shared<const SseFrame>(HttpChunk(SseKeepalive())));
    stream->last_progress = stream->last_write = now;
    Flush(*stream);
  }
}

void SseWriter::CloseStream(int fd, const std::string& reason) {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return;
  std::unique_ptr<Stream> stream = std::move(it->second);
  streams_.erase(it);
  --stream_count_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  stream->client->SetWaker(nullptr);
  stream->client->Close(reason);
  stream->socket.reset();
  on_close_(stream->client);
}

}  // namespace echelon::gateway
