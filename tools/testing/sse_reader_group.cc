#include "tools/testing/sse_reader_group.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/thread_priority.h"
#include "tools/testing/net.h"

namespace echelon::testing {

namespace {

// One recv per ready socket and round: a fair share for every connection.
constexpr size_t kReadBytes = 256u << 10;
// How often a loop looks at stopping_ when nothing arrives.
constexpr int kWaitMs = 100;

}  // namespace

// Owned by the group; touched only by the thread it belongs to, until Stop()
// has joined that thread.
struct SseReaderGroup::Reader {
  Reader(int index, SseParseOptions parse, SseReaderGroup& group)
      : index(index), parser(parse, [this, &group](SseEvent e) {
          if (group.on_event_) group.on_event_(this->index, e);
          events.push_back(std::move(e));
        }) {}

  const int index;
  int fd = -1;
  bool answered = false;
  SseStreamParser parser;
  std::vector<SseEvent> events;
};

SseReaderGroup::SseReaderGroup(SseReaderGroupOptions options, EventCallback on_event)
    : options_(std::move(options)), on_event_(std::move(on_event)) {
  for (int i = 0; i < options_.count; ++i) readers_.push_back(std::make_unique<Reader>(i, options_.parse, *this));
}

SseReaderGroup::~SseReaderGroup() { Stop(); }

void SseReaderGroup::Start() {
  for (int t = 0; t < options_.threads; ++t) threads_.emplace_back([this, t] { Run(t); });
}

void SseReaderGroup::Stop() {
  stopping_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

bool SseReaderGroup::WaitConnected(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return failed_ || answered_ == options_.count; };
  mu_.AwaitWithTimeout(absl::Condition(&settled), timeout);
  return !failed_ && answered_ == options_.count;
}

const std::vector<SseEvent>& SseReaderGroup::events(int reader) const { return readers_[reader]->events; }

void SseReaderGroup::Run(int thread_index) {
  LowerThisThreadsPriority(options_.thread_nice);
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int open = 0;
  for (int i = thread_index; i < options_.count && !stopping_; i += options_.threads) {
    if (Open(*readers_[i], epoll_fd)) {
      ++open;
    } else {
      absl::MutexLock lock(&mu_);
      failed_ = true;
    }
  }
  std::vector<char> buffer(kReadBytes);
  std::vector<epoll_event> ready(256);
  while (!stopping_ && open > 0) {
    const int n = epoll_wait(epoll_fd, ready.data(), static_cast<int>(ready.size()), kWaitMs);
    for (int k = 0; k < n; ++k) {
      Reader& reader = *readers_[ready[k].data.u32];
      if (ReadOnce(reader, buffer)) continue;
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, reader.fd, nullptr);
      close(reader.fd);
      reader.fd = -1;
      --open;
    }
  }
  for (int i = thread_index; i < options_.count; i += options_.threads) {
    if (readers_[i]->fd >= 0) close(readers_[i]->fd);
    readers_[i]->fd = -1;
  }
  close(epoll_fd);
}

bool SseReaderGroup::Open(Reader& reader, int epoll_fd) {
  const int port = options_.port_of(reader.index);
  reader.fd = ConnectTcp(options_.host, port);
  if (reader.fd < 0) return false;
  if (!SendAll(reader.fd, SseRequestText(options_.host, port, options_.path, 0))) {
    close(reader.fd);
    reader.fd = -1;
    return false;
  }
  fcntl(reader.fd, F_SETFL, fcntl(reader.fd, F_GETFL) | O_NONBLOCK);
  epoll_event interest{};
  interest.events = EPOLLIN;  // level-triggered: one read per round, the rest next round
  interest.data.u32 = static_cast<uint32_t>(reader.index);
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, reader.fd, &interest) == 0;
}

bool SseReaderGroup::ReadOnce(Reader& reader, std::vector<char>& buffer) {
  const ssize_t got = recv(reader.fd, buffer.data(), buffer.size(), 0);
  if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (got == 0) return false;
  wire_bytes_ += static_cast<uint64_t>(got);
  const bool ok = reader.parser.Feed(buffer.data(), static_cast<size_t>(got));
  if (!reader.answered && reader.parser.headers_done()) {
    reader.answered = true;
    NoteAnswer(reader);
    if (reader.parser.status() != 200) return false;
  }
  return ok;
}

void SseReaderGroup::NoteAnswer(const Reader& reader) {
  absl::MutexLock lock(&mu_);
  if (reader.parser.status() == 200) {
    ++answered_;
  } else {
    failed_ = true;
  }
}

}  // namespace echelon::testing
