#include "tests/e2e/cpp/server_process.h"

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace echelon::client::testing {

std::string ServerBinary() {
  const char* env = std::getenv("ECHELON_SERVER_BIN");
  return env && *env ? env : ECHELON_SERVER_BIN;
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)), http_port_(FreePort()), grpc_port_(FreePort()) {}

ServerProcess::~ServerProcess() { Kill(); }

absl::Status ServerProcess::Start() {
  Kill();
  std::vector<std::string> argv = {ServerBinary(), "--host", "127.0.0.1", "--port", std::to_string(http_port_),
                                   "--grpc-port", std::to_string(grpc_port_), "--log-level", "warn",
                                   // Its own library in its temporary folder, kept across restarts.
                                   "--data-dir", dir_.File("data")};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Subprocess>(argv, dir_.File("server.log"));
  bool exited = false;
  const bool ready = WaitFor(
      [&] {
        exited = !process_->Running();
        return exited || Healthy();
      },
      absl::Seconds(20));
  if (exited) return absl::InternalError(absl::StrCat("echelon-server exited at start:\n", Log()));
  if (!ready) return absl::DeadlineExceededError(absl::StrCat("echelon-server never became healthy:\n", Log()));
  return absl::OkStatus();
}

void ServerProcess::Kill() {
  if (process_) process_->Kill();
  process_.reset();
}

bool ServerProcess::Healthy() const {
  httplib::Client http("127.0.0.1", http_port_);
  http.set_connection_timeout(0, 200000);
  http.set_read_timeout(1, 0);
  httplib::Result result = http.Get("/health");
  return result && result->status == 200 && result->body.find("\"ok\"") != std::string::npos;
}

std::string ServerProcess::Log() const {
  std::ifstream in(dir_.File("server.log"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace echelon::client::testing
