#include "gateway/http_connection.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "protocol/http_answer_codec.h"

namespace echelon::gateway {

namespace {

thread_local HttpConnection* current_connection = nullptr;

// Blocked reads and writes look at the shutdown flag this often.
constexpr absl::Duration kShutdownPollInterval = absl::Milliseconds(100);
constexpr size_t kReadChunk = 64u << 10;

bool SockaddrToIpPort(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    port = ntohs(in.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    port = ntohs(in6.sin6_port);
  } else {
    return false;
  }
  ip = text;
  return true;
}

// Gives a subclass's access to the protected Server::process_request: the
// member pointer it yields works on any httplib::Server.
struct ProcessRequestAccess : httplib::Server {
  using httplib::Server::process_request;
  using httplib::Server::svr_sock_;
};

}  // namespace

OwnedSocket::OwnedSocket(int fd, std::string peer_ip, int peer_port, std::function<void()> on_close)
    : fd_(fd), peer_ip_(std::move(peer_ip)), peer_port_(peer_port), on_close_(std::move(on_close)) {}

OwnedSocket::~OwnedSocket() {
  ::close(fd_);
  if (on_close_) on_close_();
}

HttpConnection::HttpConnection(std::unique_ptr<OwnedSocket> socket, std::string buffered,
                               const RequestDeadlines& deadlines, RequestTimeoutCounters& counters,
                               const std::atomic<bool>& stopping)
    : socket_(std::move(socket)),
      buffered_(std::move(buffered)),
      deadlines_(deadlines),
      counters_(counters),
      stopping_(stopping),
      headers_read_at_(absl::Now()),
      previous_current_(current_connection) {
  current_connection = this;
}

HttpConnection::~HttpConnection() { current_connection = previous_current_; }

HttpConnection* HttpConnection::Current() { return current_connection; }

void HttpConnection::Detach(Taker taker) {
  taker_ = std::move(taker);
  discard_writes_ = true;
}

void HttpConnection::CompleteDetach() {
  Taker taker = std::move(taker_);
  taker(std::move(socket_));
}

bool HttpConnection::WaitFor(short events, absl::Time deadline) const {
  while (!stopping_.load(std::memory_order_relaxed)) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{socket_->fd(), events, 0};
    const int timeout_ms =
        static_cast<int>(absl::ToInt64Milliseconds(std::min(left, kShutdownPollInterval))) + 1;
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
  return false;
}

bool HttpConnection::FillBuffer() {
  // A body may take the grace period plus one second per body_min_rate bytes.
  const absl::Time deadline =
      headers_read_at_ + deadlines_.body_grace +
      absl::Seconds(static_cast<double>(body_bytes_received_) / static_cast<double>(deadlines_.body_min_rate));
  while (true) {
    if (!WaitFor(POLLIN, deadline)) {
      if (!stopping_.load() && absl::Now() >= deadline) AnswerBodyTooSlow();
      return false;
    }
    char chunk[kReadChunk];
    const ssize_t n = ::recv(socket_->fd(), chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffered_.erase(0, buffered_offset_);
      buffered_offset_ = 0;
      buffered_.append(chunk, static_cast<size_t>(n));
      body_bytes_received_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) return false;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
  }
}

void HttpConnection::AnswerBodyTooSlow() {
  ++counters_.body_rate;
  const std::string answer = PlainHttpError(
      408, "Request Timeout",
      absl::StrCat("request body arrived too slowly: it may take ", absl::FormatDuration(deadlines_.body_grace),
                   " plus one second per ", deadlines_.body_min_rate, " bytes"));
  // Best effort: the client may not be reading either.
  (void)::send(socket_->fd(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(socket_->fd(), SHUT_WR);  // the answer, then EOF
  broken_ = true;
  discard_writes_ = true;
}

bool HttpConnection::is_readable() const {
  return buffered_offset_ < buffered_.size() || WaitFor(POLLIN, absl::Now());
}

bool HttpConnection::is_writable() const { return !broken_ && WaitFor(POLLOUT, absl::Now() + deadlines_.write_stall); }

ssize_t HttpConnection::read(char* ptr, size_t size) {
  if (broken_) return -1;
  if (buffered_offset_ >= buffered_.size() && !FillBuffer()) {
    broken_ = true;
    return -1;
  }
  const size_t n = std::min(size, buffered_.size() - buffered_offset_);
  std::memcpy(ptr, buffered_.data() + buffered_offset_, n);
  buffered_offset_ += n;
  consumed_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t HttpConnection::write(const char* ptr, size_t size) {
  if (discard_writes_) return static_cast<ssize_t>(size);
  if (broken_) return -1;
  while (true) {
    const ssize_t n = ::send(socket_->fd(), ptr, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) break;
    if (!WaitFor(POLLOUT, absl::Now() + deadlines_.write_stall)) {
      if (!stopping_.load()) ++counters_.write_stall;
      break;
    }
  }
  broken_ = true;
  return -1;
}

void HttpConnection::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = socket_->peer_ip();
  port = socket_->peer_port();
}

void HttpConnection::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  if (::getsockname(socket_->fd(), reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    SockaddrToIpPort(addr, ip, port);
  }
}

socket_t HttpConnection::socket() const { return socket_->fd(); }

bool ProcessOneRequest(httplib::Server& server, httplib::Stream& stream, bool close_connection,
                       bool& connection_closed) {
  constexpr auto process = &ProcessRequestAccess::process_request;
  return (server.*process)(stream, close_connection, connection_closed, nullptr);
}

void SetServerListeningSocket(httplib::Server& server, int placeholder_fd) {
  constexpr auto socket = &ProcessRequestAccess::svr_sock_;
  (server.*socket).store(placeholder_fd < 0 ? INVALID_SOCKET : placeholder_fd);
}

std::string PlainHttpError(int status, std::string_view reason, std::string_view detail,
                           std::string_view extra_headers) {
  const std::string body = json::RenderErrorJson(detail);
  std::string answer = absl::StrCat("HTTP/1.1 ", status, " ", std::string(reason), "\r\n");
  absl::StrAppend(&answer, "Content-Type: application/json; charset=utf-8\r\nContent-Length: ", body.size(), "\r\n");
  absl::StrAppend(&answer, "Connection: close\r\n", std::string(extra_headers), "\r\n", body);
  return answer;
}

}  // namespace echelon::gateway
