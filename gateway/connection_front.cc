#include "gateway/connection_front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace {

constexpr int kListenBacklog = 4096;
constexpr absl::Duration kSweepInterval = absl::Milliseconds(100);
constexpr char kRetryAfter[] = "Retry-After: 5\r\n";

// Where a complete request head ends (just past its blank line), if it has
// arrived.
std::optional<size_t> HeadEnd(std::string_view bytes) {
  const size_t crlf = bytes.find("\r\n\r\n");
  if (crlf != std::string_view::npos) return crlf + 4;
  const size_t lf = bytes.find("\n\n");
  if (lf != std::string_view::npos) return lf + 2;
  return std::nullopt;
}

// The request's size on the wire when the head says it (Content-Length, or
// no body); nullopt for a chunked body.
std::optional<size_t> RequestBytes(const std::string& bytes, size_t head_end) {
  size_t content_length = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(bytes.data(), head_end), '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) return std::nullopt;
    if (absl::EqualsIgnoreCase(name, "Content-Length") && !absl::SimpleAtoi(value, &content_length)) {
      return std::nullopt;
    }
  }
  return head_end + content_length;
}

std::string PeerIp(const sockaddr_storage& addr, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    port = ntohs(in6.sin6_port);
  } else {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    port = ntohs(in.sin_port);
  }
  return text;
}

// Writes a short answer to a socket the front is about to close, without
// blocking, and closes it so that the client reads the answer: what already
// arrived is read first (closing with unread data would reset the connection
// and could discard the answer), then the write side is shut.
void AnswerAndClose(int fd, const std::string& answer) {
  char discard[4096];
  while (::recv(fd, discard, sizeof(discard), MSG_DONTWAIT) > 0) {
  }
  (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
}

}  // namespace

// The caps: connections open in total and per client address, counted from
// accept to close wherever the socket is.
class ConnectionFront::Counts {
 public:
  enum class Admission { kAdmitted, kTooMany, kTooManyFromAddress };

  Admission TryAcquire(const std::string& ip, size_t max_total, size_t max_per_ip) {
    std::lock_guard lock(mu_);
    if (open_ >= max_total) return Admission::kTooMany;
    size_t& from_ip = per_ip_[ip];
    if (from_ip >= max_per_ip) {
      if (from_ip == 0) per_ip_.erase(ip);
      return Admission::kTooManyFromAddress;
    }
    ++from_ip;
    ++open_;
    return Admission::kAdmitted;
  }

  void Release(const std::string& ip) {
    std::lock_guard lock(mu_);
    --open_;
    const auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  }

  uint64_t open() const {
    std::lock_guard lock(mu_);
    return open_;
  }

 private:
  mutable std::mutex mu_;
  size_t open_ = 0;
  std::unordered_map<std::string, size_t> per_ip_;
};

struct ConnectionFront::Parked {
  std::unique_ptr<OwnedSocket> socket;
  std::string buffer;
  bool idle = false;  // between requests, nothing received yet
  bool lingering = false;  // answered and shut for writing: discard, then close
  absl::Time deadline;
};

ConnectionFront::ConnectionFront(ConnectionFrontOptions options, RequestProcessor processor)
    : options_(std::move(options)), processor_(std::move(processor)), counts_(std::make_shared<Counts>()) {}

ConnectionFront::~ConnectionFront() {
  Stop();
  parked_.clear();
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_, spare_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

absl::StatusOr<int> ConnectionFront::Bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve the HTTP bind address ", host));
  }
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", host, ":", port));
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  int bound_port = 0;
  PeerIp(bound, bound_port);

  listen_fd_ = fd;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  epoll_event listen_event{.events = EPOLLIN, .data = {.fd = listen_fd_}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listen_event);
  epoll_event wake_event{.events = EPOLLIN, .data = {.fd = wake_fd_}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event);
  for (size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { RunWorker(); });
  return bound_port;
}

void ConnectionFront::Serve() {
  epoll_event events[256];
  absl::Time next_sweep = absl::Now() + kSweepInterval;
  while (!stopping_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events, 256, static_cast<int>(absl::ToInt64Milliseconds(kSweepInterval)));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        AcceptAll();
      } else if (fd == wake_fd_) {
        uint64_t ignored;
        (void)::read(wake_fd_, &ignored, sizeof(ignored));
        ParkReturned();
      } else {
        OnReadable(fd);
      }
    }
    if (absl::Now() >= next_sweep) {
      SweepDeadlines();
      next_sweep = absl::Now() + kSweepInterval;
    }
  }
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  parked_.clear();
}

void ConnectionFront::Stop() {
  if (stopping_.exchange(true)) return;
  Wake();
  jobs_cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  std::lock_guard lock(jobs_mu_);
  jobs_.clear();
}

void ConnectionFront::Wake() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)::write(wake_fd_, &one, sizeof(one));
}

void ConnectionFront::AcceptAll() {
  while (true) {
    sockaddr_storage addr{};
    socklen_t length = sizeof(addr);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Out of descriptors: give up the spare one to accept the client and
        // tell it so, instead of leaving it in the backlog (where it would
        // make the listening socket ready forever).
        ::close(spare_fd_);
        const int refused = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (refused >= 0) {
          ++refused_no_descriptors_;
          AnswerAndClose(refused, PlainHttpError(503, "Service Unavailable",
                                                 "the server is out of file descriptors; retry later", kRetryAfter));
          ::close(refused);
        }
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (refused >= 0) continue;
      }
      return;
    }
    int port = 0;
    std::string ip = PeerIp(addr, port);
    switch (counts_->TryAcquire(ip, options_.max_connections, options_.max_connections_per_ip)) {
      case Counts::Admission::kTooMany:
        ++refused_max_connections_;
        Refuse(fd, absl::StrCat("too many connections: ", options_.max_connections, " are open; retry later"));
        continue;
      case Counts::Admission::kTooManyFromAddress:
        ++refused_per_ip_;
        Refuse(fd, absl::StrCat("too many connections from ", ip, ": ", options_.max_connections_per_ip,
                                " are open; retry later"));
        continue;
      case Counts::Admission::kAdmitted: break;
    }
    ++accepted_;
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    auto socket = std::make_unique<OwnedSocket>(fd, ip, port, [counts = counts_, ip] { counts->Release(ip); });
    Park(std::move(socket), std::string(), /*between_requests=*/false);
  }
}

void ConnectionFront::Refuse(int fd, const std::string& detail) {
  AnswerAndClose(fd, PlainHttpError(503, "Service Unavailable", detail, kRetryAfter));
  ::close(fd);
}

constexpr absl::Duration kLingerTime = absl::Seconds(2);

void ConnectionFront::Park(std::unique_ptr<OwnedSocket> socket, std::string buffered, bool between_requests,
                           bool linger) {
  auto parked = std::make_unique<Parked>();
  const int fd = socket->fd();
  if (linger) {
    ::shutdown(fd, SHUT_WR);
    parked->socket = std::move(socket);
    parked->lingering = true;
    parked->deadline = absl::Now() + kLingerTime;
    parked_[fd] = std::move(parked);
    epoll_event event{.events = EPOLLIN | EPOLLRDHUP, .data = {.fd = fd}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    return;
  }
  parked->socket = std::move(socket);
  parked->idle = between_requests && buffered.empty();
  parked->deadline = absl::Now() + (parked->idle ? options_.keepalive_idle : options_.header_timeout);
  parked->buffer = std::move(buffered);
  const bool complete = HeadEnd(parked->buffer).has_value();
  parked_[fd] = std::move(parked);
  if (complete) return HandOff(fd);
  epoll_event event{.events = EPOLLIN | EPOLLRDHUP, .data = {.fd = fd}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
}

void ConnectionFront::OnReadable(int fd) {
  const auto it = parked_.find(fd);
  if (it == parked_.end()) return;
  Parked& parked = *it->second;
  char chunk[16u << 10];
  if (parked.lingering) {
    while (true) {
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n > 0 || (n < 0 && errno == EINTR)) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return CloseParked(fd);
    }
  }
  while (true) {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      if (parked.idle) {
        // The next request starts: it gets the header timeout from now.
        parked.idle = false;
        parked.deadline = absl::Now() + options_.header_timeout;
      }
      parked.buffer.append(chunk, static_cast<size_t>(n));
      if (parked.buffer.size() > options_.max_header_bytes) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return CloseParked(fd);  // the client closed (or reset) the connection
  }
  const std::optional<size_t> head_end = HeadEnd(parked.buffer);
  if (head_end.has_value() && *head_end <= options_.max_header_bytes) return HandOff(fd);
  if (parked.buffer.size() > options_.max_header_bytes) {
    AnswerAndClose(fd, PlainHttpError(431, "Request Header Fields Too Large",
                                      absl::StrCat("request headers exceed ", options_.max_header_bytes, " bytes")));
    CloseParked(fd);
  }
}

void ConnectionFront::HandOff(int fd) {
  const auto it = parked_.find(fd);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  {
    std::lock_guard lock(jobs_mu_);
    jobs_.emplace_back(std::move(it->second->socket), std::move(it->second->buffer));
  }
  parked_.erase(it);
  jobs_cv_.notify_one();
}

void ConnectionFront::CloseParked(int fd) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  parked_.erase(fd);
}

void ConnectionFront::ParkReturned() {
  std::vector<Returned> returned;
  {
    std::lock_guard lock(returned_mu_);
    returned.swap(returned_);
  }
  for (Returned& r : returned) Park(std::move(r.socket), std::move(r.buffered), true, r.linger);
}

void ConnectionFront::SweepDeadlines() {
  const absl::Time now = absl::Now();
  std::vector<int> expired;
  for (const auto& [fd, parked] : parked_) {
    if (parked->deadline <= now) expired.push_back(fd);
  }
  for (int fd : expired) {
    Parked& parked = *parked_[fd];
    if (parked.lingering) {
      // Done lingering.
    } else if (parked.idle) {
      ++timeouts_keepalive_idle_;
    } else {
      ++timeouts_header_;
      if (!parked.buffer.empty()) {
        AnswerAndClose(fd, PlainHttpError(408, "Request Timeout",
                                          absl::StrCat("request headers not complete within ",
                                                       absl::FormatDuration(options_.header_timeout))));
      }
    }
    CloseParked(fd);
  }
}

void ConnectionFront::RunWorker() {
  while (true) {
    std::pair<std::unique_ptr<OwnedSocket>, std::string> job;
    {
      std::unique_lock lock(jobs_mu_);
      jobs_cv_.wait(lock, [this] { return stopping_.load() || !jobs_.empty(); });
      if (stopping_.load()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    ++busy_workers_;
    Serve(std::move(job.first), std::move(job.second));
    --busy_workers_;
  }
}

void ConnectionFront::Serve(std::unique_ptr<OwnedSocket> socket, std::string buffered) {
  const std::optional<size_t> head_end = HeadEnd(buffered);
  const std::optional<size_t> request_bytes = head_end ? RequestBytes(buffered, *head_end) : std::nullopt;
  HttpConnection connection(std::move(socket), std::move(buffered), options_.request, request_timeouts_, stopping_);
  bool connection_closed = false;
  const bool ok = processor_(connection, stopping_.load(), connection_closed);
  ++requests_;
  if (connection.detached()) return connection.CompleteDetach();
  // Only a connection whose request was read exactly (the handler took the
  // whole body) can carry the next one.
  const bool read_exactly = request_bytes.has_value() && connection.consumed() == *request_bytes;
  const bool reusable = ok && !connection_closed && !connection.broken() && read_exactly && !stopping_.load();
  // Answered before the body was read (a 413, a 401): the client may still
  // be sending it, and closing now would reset the connection under the
  // answer. The front reads and discards for a while first.
  const bool linger = !reusable && ok && !connection.broken() && !read_exactly && !stopping_.load();
  if (!reusable && !linger) return;  // the connection closes with `connection`
  {
    std::lock_guard lock(returned_mu_);
    returned_.push_back(Returned{connection.ReleaseSocket(), connection.TakeBuffered(), linger});
  }
  Wake();
}

ConnectionFrontStats ConnectionFront::stats() const {
  ConnectionFrontStats s;
  s.open = counts_->open();
  s.accepted = accepted_.load();
  s.refused_max_connections = refused_max_connections_.load();
  s.refused_per_ip = refused_per_ip_.load();
  s.refused_no_descriptors = refused_no_descriptors_.load();
  s.timeouts_header = timeouts_header_.load();
  s.timeouts_keepalive_idle = timeouts_keepalive_idle_.load();
  s.timeouts_body_rate = request_timeouts_.body_rate.load();
  s.timeouts_write_stall = request_timeouts_.write_stall.load();
  s.requests = requests_.load();
  s.busy_workers = busy_workers_.load();
  return s;
}

}  // namespace echelon::gateway
