// HttpConnection: one client connection while a worker serves one request on
// it, as the httplib::Stream that cpp-httplib's request processing reads and
// writes. The connection front (connection_front.h) reads the request headers
// itself, without a worker; this stream starts with those bytes and reads the
// rest (the body) from the socket under a minimum-rate deadline.
//
// Ownership: an OwnedSocket is owned by exactly one place at a time: the
// front (while it waits for headers or idles between requests), a worker
// (inside an HttpConnection, for one request), or the SSE writer (an /events
// stream, for the stream's life). Whoever holds it last closes it, which also
// gives the connection's slot back to the caps.
//
// Threads: an HttpConnection is used by the one worker thread serving its
// request; Current() is that thread's connection.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace echelon::gateway {

// A connected, non-blocking socket. Closing it (destruction) runs `on_close`
// once: the caps count the connection until then.
class OwnedSocket {
 public:
  OwnedSocket(int fd, std::string peer_ip, int peer_port, std::function<void()> on_close);
  ~OwnedSocket();
  OwnedSocket(const OwnedSocket&) = delete;
  OwnedSocket& operator=(const OwnedSocket&) = delete;

  int fd() const { return fd_; }
  const std::string& peer_ip() const { return peer_ip_; }
  int peer_port() const { return peer_port_; }

 private:
  const int fd_;
  const std::string peer_ip_;
  const int peer_port_;
  std::function<void()> on_close_;
};

// How long a worker waits on a client while serving one request.
struct RequestDeadlines {
  // A body may take `body_grace` plus one second per `body_min_rate` bytes;
  // past that it is cut with 408 (like Apache's mod_reqtimeout body=,MinRate=).
  absl::Duration body_grace = absl::Seconds(10);
  size_t body_min_rate = 32u << 10;  // bytes per second
  // A response write that makes no progress for this long ends the request.
  absl::Duration write_stall = absl::Seconds(30);
};

// What a deadline ended, for the metrics; kept by the front.
struct RequestTimeoutCounters {
  std::atomic<uint64_t> body_rate = 0;
  std::atomic<uint64_t> write_stall = 0;
};

class HttpConnection : public httplib::Stream {
 public:
  // `buffered` holds the bytes the front already read: at least the request
  // headers. `stopping` ends blocked reads and writes at shutdown.
  HttpConnection(std::unique_ptr<OwnedSocket> socket, std::string buffered, const RequestDeadlines& deadlines,
                 RequestTimeoutCounters& counters, const std::atomic<bool>& stopping);
  ~HttpConnection() override;

  // The connection whose request the calling thread is serving, or nullptr
  // (a request served by plain cpp-httplib, e.g. over TLS).
  static HttpConnection* Current();

  // Hands the socket over to `taker` once the current request is processed
  // (an SSE stream moving to the SseWriter). Whatever cpp-httplib writes
  // after this call is discarded: the taker writes the response itself.
  using Taker = std::function<void(std::unique_ptr<OwnedSocket>)>;
  void Detach(Taker taker);

  // After the request: where the socket goes next.
  bool detached() const { return static_cast<bool>(taker_); }
  // True when the connection cannot carry another request (a deadline cut
  // it, a read or write failed).
  bool broken() const { return broken_; }
  // Runs the taker with the socket (after detached()).
  void CompleteDetach();
  // The socket and the bytes read past the request (a pipelined request), for
  // the front to wait for the next request.
  std::unique_ptr<OwnedSocket> ReleaseSocket() { return std::move(socket_); }
  std::string TakeBuffered() { return buffered_.substr(buffered_offset_); }
  // Bytes cpp-httplib has read from the stream (head and body).
  size_t consumed() const { return consumed_; }

  // httplib::Stream
  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override;

 private:
  // Waits until the socket is ready for `events` or `deadline`; false on
  // timeout or shutdown.
  bool WaitFor(short events, absl::Time deadline) const;
  bool FillBuffer();
  void AnswerBodyTooSlow();

  std::unique_ptr<OwnedSocket> socket_;
  std::string buffered_;
  size_t buffered_offset_ = 0;
  const RequestDeadlines& deadlines_;
  RequestTimeoutCounters& counters_;
  const std::atomic<bool>& stopping_;
  const absl::Time headers_read_at_;
  size_t body_bytes_received_ = 0;  // read from the socket by this stream
  size_t consumed_ = 0;
  bool broken_ = false;
  bool discard_writes_ = false;
  Taker taker_;
  HttpConnection* previous_current_;
};

// Runs cpp-httplib's processing of ONE request (routing, handlers, writing
// the answer) on `stream`. `connection_closed` becomes true when the client
// asked for the connection to close. Works on any httplib::Server, SSLServer
// included.
bool ProcessOneRequest(httplib::Server& server, httplib::Stream& stream, bool close_connection,
                       bool& connection_closed);

// cpp-httplib streams a content provider (a download, any response without a
// fixed body) only while the Server looks like it is listening: its loops stop
// at once when its listening socket is invalid, and under the connection
// front it never listens itself. This sets that socket to `placeholder_fd`
// (a descriptor the caller owns and keeps open while serving; httplib never
// closes it, since it never ran listen()), or back to invalid with -1 so
// that streams in progress end at shutdown.
void SetServerListeningSocket(httplib::Server& server, int placeholder_fd);

// A complete minimal HTTP/1.1 answer with a JSON {"detail": ...} body and
// `Connection: close`, for answers written outside cpp-httplib (refusals,
// timeouts). `extra_headers` are whole header lines, each ending in \r\n.
std::string PlainHttpError(int status, std::string_view reason, std::string_view detail,
                           std::string_view extra_headers = {});

}  // namespace echelon::gateway
