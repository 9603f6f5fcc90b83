#include "tools/bench_fanout/floor_writer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/testing/net.h"

namespace echelon::tools {
namespace {

// Reads until the blank line that ends a request's headers.
bool ReadRequest(int fd) {
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
    const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got <= 0) return false;
    request.append(buffer, static_cast<size_t>(got));
  }
  return true;
}

}  // namespace

FloorWriter::~FloorWriter() {
  for (int fd : clients_) close(fd);
  if (listen_fd_ >= 0) close(listen_fd_);
}

absl::Status FloorWriter::Listen() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 256) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::UnavailableError("floor writer: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  return absl::OkStatus();
}

absl::Status FloorWriter::Accept(int n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (static_cast<int>(clients_.size()) < n) {
    pollfd ready{listen_fd_, POLLIN, 0};
    const int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0 || poll(&ready, 1, wait_ms) <= 0) {
      return absl::DeadlineExceededError(absl::StrCat("floor writer: ", clients_.size(), " of ", n, " readers came"));
    }
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (!ReadRequest(fd)) {
      close(fd);
      continue;
    }
    clients_.push_back(fd);
  }
  return absl::OkStatus();
}

void FloorWriter::Go() {
  std::vector<std::thread> writers;
  for (int fd : clients_) {
    writers.emplace_back([this, fd] {
      testing::SendAll(fd, stream_);
      shutdown(fd, SHUT_WR);
    });
  }
  for (std::thread& writer : writers) writer.join();
}

}  // namespace echelon::tools
