// The real echelon-server for end-to-end tests: started on free loopback
// ports, ready once GET /health answers, killed (SIGKILL) on destruction. It
// can be killed and started again on the same ports to test restarts.
//
//   ServerProcess server;
//   ASSERT_TRUE(server.Start().ok());
//   ReplayClient client(server.grpc_target());
//   server.Kill();  ...  server.Start();  // same ports, empty state
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/unit/clients/test_util.h"

namespace echelon::client::testing {

// $ECHELON_SERVER_BIN, else the build's echelon-server.
std::string ServerBinary();

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  ~ServerProcess();

  // Spawns the server and waits (polling /health) until it is ready.
  [[nodiscard]] absl::Status Start();
  void Kill();

  std::string grpc_target() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  // Everything the server printed, for failure messages.
  std::string Log() const;

 private:
  bool Healthy() const;

  std::vector<std::string> extra_args_;
  int http_port_;
  int grpc_port_;
  TempDir dir_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace echelon::client::testing
