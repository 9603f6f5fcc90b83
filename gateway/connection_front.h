// ConnectionFront: the gateway's listening socket and everything a client
// can do before it has sent a complete request, on ONE epoll thread, so that
// idle, slow and numerous connections cost a file descriptor and a few
// hundred bytes each instead of a worker thread.
//
// The front accepts every connection and enforces the caps at once (past
// max_connections or max_connections_per_ip: 503 + Retry-After, then close).
// It reads each connection until its request headers are complete, within
// header_timeout, and closes keep-alive connections idle for keepalive_idle.
// Only then does it hand the socket, with the bytes already read, to a worker
// of its pool, which runs cpp-httplib's processing of that one request
// (HttpConnection, http_connection.h) and gives the socket back for the next
// request. A worker is therefore held for a request's body (under a minimum
// rate), its handler and its answer, never for a client that is thinking.
//
// Threads: the front thread owns the parked connections (waiting for headers
// or idle); workers own a connection while serving it and return it through
// a locked queue; stats() may be called from anywhere.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/http_connection.h"

namespace echelon::gateway {

struct ConnectionFrontOptions {
  size_t max_connections = 10000;
  size_t max_connections_per_ip = 256;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration keepalive_idle = absl::Seconds(5);
  size_t max_header_bytes = 64u << 10;
  size_t workers = 32;
  RequestDeadlines request;
};

struct ConnectionFrontStats {
  uint64_t open = 0;  // every connection: parked, being served, or streaming SSE
  uint64_t accepted = 0;
  uint64_t refused_max_connections = 0;
  uint64_t refused_per_ip = 0;
  uint64_t refused_no_descriptors = 0;
  uint64_t timeouts_header = 0;
  uint64_t timeouts_keepalive_idle = 0;
  uint64_t timeouts_body_rate = 0;
  uint64_t timeouts_write_stall = 0;
  uint64_t requests = 0;
  size_t busy_workers = 0;
};

class ConnectionFront {
 public:
  // Serves one request on the stream: ProcessOneRequest on the gateway's
  // httplib::Server.
  using RequestProcessor = std::function<bool(httplib::Stream& stream, bool close_connection, bool& connection_closed)>;

  ConnectionFront(ConnectionFrontOptions options, RequestProcessor processor);
  ~ConnectionFront();

  // Listens on host:port (0: any free port); returns the port.
  [[nodiscard]] absl::StatusOr<int> Bind(const std::string& host, int port);
  // Runs the front on the calling thread until Stop().
  void Serve();
  // Closes the listening socket and every parked connection, and joins the
  // workers (their blocked reads and writes give up within 100 ms).
  void Stop();

  ConnectionFrontStats stats() const;

 private:
  struct Parked;
  class Counts;

  void AcceptAll();
  void Refuse(int fd, const std::string& detail);
  void OnReadable(int fd);
  void ParkReturned();
  void SweepDeadlines();
  // Starts waiting on a connection: for headers, or idle between requests;
  // or, `linger`, only reads and discards what the client still sends
  // before closing (so that an answer sent before the whole body was read,
  // a 413, reaches a client that is still sending).
  void Park(std::unique_ptr<OwnedSocket> socket, std::string buffered, bool between_requests, bool linger = false);
  // Moves a parked connection whose headers are complete to the workers.
  void HandOff(int fd);
  void CloseParked(int fd);
  void RunWorker();
  void Serve(std::unique_ptr<OwnedSocket> socket, std::string buffered);
  void Wake();

  const ConnectionFrontOptions options_;
  const RequestProcessor processor_;
  const std::shared_ptr<Counts> counts_;
  RequestTimeoutCounters request_timeouts_;
  std::atomic<bool> stopping_ = false;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int spare_fd_ = -1;  // given up to accept-and-refuse when out of descriptors

  // Front thread only.
  std::unordered_map<int, std::unique_ptr<Parked>> parked_;

  std::mutex returned_mu_;
  struct Returned {
    std::unique_ptr<OwnedSocket> socket;
    std::string buffered;
    bool linger = false;
  };
  std::vector<Returned> returned_;

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<std::pair<std::unique_ptr<OwnedSocket>, std::string>> jobs_;
  std::vector<std::thread> workers_;
  std::atomic<size_t> busy_workers_ = 0;

  std::atomic<uint64_t> accepted_ = 0;
  std::atomic<uint64_t> refused_max_connections_ = 0;
  std::atomic<uint64_t> refused_per_ip_ = 0;
  std::atomic<uint64_t> refused_no_descriptors_ = 0;
  std::atomic<uint64_t> timeouts_header_ = 0;
  std::atomic<uint64_t> timeouts_keepalive_idle_ = 0;
  std::atomic<uint64_t> requests_ = 0;
};

}  // namespace echelon::gateway
