// ServerProcess: runs echelon-server as a child process on free loopback ports
// for the load tools, the way an operator would start it: its own binary,
// flags, a log file. Start() waits until GET /health answers (polling, with a
// deadline); Stop() (also the destructor) sends SIGTERM and reaps the child,
// escalating to SIGKILL when it does not exit in time. The child also gets
// SIGTERM when the tool dies first (PR_SET_PDEATHSIG), so no server outlives
// a crashed benchmark.
//
//   ServerSpec spec{.binary = "build/app/echelon-server", .log_path = "/tmp/s.log"};
//   ECHELON_ASSIGN_OR_RETURN(auto server, ServerProcess::Start(spec));
//   SseReaderOptions o{.port = server->http_port()};
//   ...
//   server->Stop();
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace echelon::load {

struct ServerSpec {
  std::string binary;
  // Further flags, e.g. {"--retention-mb", "64"}.
  std::vector<std::string> extra_args;
  // Gateway only: "127.0.0.1:<grpc port of the core>". Start() then also
  // waits for the gateway's subscription to the core.
  std::string core;
  // stdout and stderr of the server (appended); empty: /dev/null.
  std::string log_path;
  absl::Duration ready_timeout = absl::Seconds(20);
};

class ServerProcess {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const ServerSpec& spec);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  int http_port() const { return http_port_; }
  // 0 for a gateway-only process.
  int grpc_port() const { return grpc_port_; }
  std::string grpc_target() const;

  // SIGTERM, then reap (SIGKILL after `grace`). Returns how long the exit took.
  absl::Duration Stop(absl::Duration grace = absl::Seconds(5));

 private:
  ServerProcess(pid_t pid, int http_port, int grpc_port) : pid_(pid), http_port_(http_port), grpc_port_(grpc_port) {}
  [[nodiscard]] absl::Status WaitReady(const ServerSpec& spec);
  bool Exited();

  pid_t pid_;
  int http_port_;
  int grpc_port_;
  bool reaped_ = false;
};

}  // namespace echelon::load
