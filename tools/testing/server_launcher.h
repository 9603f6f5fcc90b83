// ServerProcess: the one launcher of echelon-server for C++ programs (the
// end-to-end tests and the load tools). It runs the server as a child process
// on free loopback ports, the way an operator would start it: its own binary,
// flags, a log file. Start() waits until GET /health answers (polling, with a
// deadline); Stop() (also the destructor) sends SIGTERM and reaps the child,
// escalating to SIGKILL when it does not exit in time; Kill() is the crash
// (SIGKILL at once), and Restart() starts the server again on the same ports
// with empty state. The child also gets SIGTERM when its parent dies first
// (PR_SET_PDEATHSIG), so no server outlives a crashed test or benchmark.
//
// Threads: one thread uses a ServerProcess. The death signal follows the
// thread that forked, so Start() and Restart() must run on a thread that
// lives as long as the server should (the test's or the tool's main thread).
//
//   ServerSpec spec{.binary = "build/app/echelon-server", .log_path = "/tmp/s.log"};
//   ECHELON_ASSIGN_OR_RETURN(auto server, ServerProcess::Start(spec));
//   SseReaderOptions o{.port = server->http_port()};
//   ...
//   server->Kill();  ...  server->Restart();  // same ports, empty state
//   server->Stop();
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace echelon::testing {

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
  // Ports to listen on; 0: a free one, chosen by Start().
  int http_port = 0;
  int grpc_port = 0;
};

class ServerProcess {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const ServerSpec& spec);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  int http_port() const { return spec_.http_port; }
  // 0 for a gateway-only process.
  int grpc_port() const { return spec_.grpc_port; }
  std::string grpc_target() const;
  // "http://127.0.0.1:<http port>"
  std::string http_url() const;

  // SIGTERM, then reap (SIGKILL after `grace`). Returns how long the exit took.
  absl::Duration Stop(absl::Duration grace = absl::Seconds(5));
  // A crash: SIGKILL at once, then reap.
  void Kill();
  // Kills a running server, then starts it again with the same flags on the
  // same ports and waits until it is healthy.
  [[nodiscard]] absl::Status Restart();

  // Everything the server wrote to spec.log_path so far (for failure messages).
  std::string Log() const;

 private:
  explicit ServerProcess(ServerSpec spec) : spec_(std::move(spec)) {}
  // The end of Log(), for error messages.
  std::string LogTail() const;
  [[nodiscard]] absl::Status Spawn();
  [[nodiscard]] absl::Status WaitReady();
  bool Exited();

  const ServerSpec spec_;  // with the ports filled in
  pid_t pid_ = -1;
  bool reaped_ = true;
};

}  // namespace echelon::testing
