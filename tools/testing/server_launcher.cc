#include "tools/testing/server_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/testing/net.h"

namespace echelon::testing {
namespace {

std::vector<std::string> CommandLine(const ServerSpec& spec) {
  std::vector<std::string> args = {spec.binary, "--host", "127.0.0.1", "--port", absl::StrCat(spec.http_port)};
  if (spec.core.empty()) {
    args.insert(args.end(), {"--grpc-port", absl::StrCat(spec.grpc_port)});
    // Tests and load runs measure the serving path; one that wants the
    // replay library passes --data-dir in extra_args (bench_fanout --library).
    const bool library_chosen = std::any_of(spec.extra_args.begin(), spec.extra_args.end(), [](const std::string& a) {
      return absl::StartsWith(a, "--data-dir");
    });
    if (!library_chosen) args.push_back("--no-library");
  } else {
    args.insert(args.end(), {"--core", spec.core});
  }
  args.insert(args.end(), spec.extra_args.begin(), spec.extra_args.end());
  return args;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecServer(const std::vector<std::string>& args, const std::string& log_path) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  const int log = open(log_path.empty() ? "/dev/null" : log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log >= 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
  }
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(const ServerSpec& spec) {
  ServerSpec with_ports = spec;
  if (with_ports.http_port == 0) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    with_ports.http_port = *port;
  }
  if (!spec.core.empty()) {
    with_ports.grpc_port = 0;  // a gateway alone serves no gRPC
  } else if (with_ports.grpc_port == 0) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    with_ports.grpc_port = *port;
  }
  std::unique_ptr<ServerProcess> server(new ServerProcess(std::move(with_ports)));
  if (absl::Status started = server->Spawn(); !started.ok()) return started;  // the destructor reaps it
  return server;
}

absl::Status ServerProcess::Spawn() {
  const std::vector<std::string> args = CommandLine(spec_);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) ExecServer(args, spec_.log_path);
  pid_ = pid;
  reaped_ = false;
  return WaitReady();
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::grpc_target() const { return absl::StrCat("127.0.0.1:", spec_.grpc_port); }

std::string ServerProcess::http_url() const { return absl::StrCat("http://127.0.0.1:", spec_.http_port); }

absl::Status ServerProcess::WaitReady() {
  const absl::Time deadline = absl::Now() + spec_.ready_timeout;
  while (absl::Now() < deadline) {
    if (Exited()) {
      return absl::InternalError(absl::StrCat(spec_.binary, " exited during start:\n", LogTail()));
    }
    absl::StatusOr<HttpAnswer> health = HttpGet("127.0.0.1", spec_.http_port, "/health", absl::Milliseconds(500));
    const bool up = health.ok() && health->status == 200;
    if (up && (spec_.core.empty() || absl::StrContains(health->body, "\"core_connected\":true"))) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(spec_.binary, " not healthy on port ", spec_.http_port, " after ",
                                                  absl::FormatDuration(spec_.ready_timeout), ":\n", LogTail()));
}

bool ServerProcess::Exited() {
  if (reaped_) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

absl::Duration ServerProcess::Stop(absl::Duration grace) {
  const absl::Time started = absl::Now();
  if (Exited()) return absl::ZeroDuration();
  kill(pid_, SIGTERM);
  // Bounded: polls until the grace period is over, then kills.
  while (absl::Now() - started < grace) {
    if (Exited()) return absl::Now() - started;
    absl::SleepFor(absl::Milliseconds(10));
  }
  Kill();
  return absl::Now() - started;
}

void ServerProcess::Kill() {
  if (Exited()) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  reaped_ = true;
}

absl::Status ServerProcess::Restart() {
  Kill();
  return Spawn();
}

std::string ServerProcess::LogTail() const {
  constexpr size_t kTailBytes = 4096;
  const std::string log = Log();
  return log.size() > kTailBytes ? "..." + log.substr(log.size() - kTailBytes) : log;
}

std::string ServerProcess::Log() const {
  if (spec_.log_path.empty()) return "(no server log: ServerSpec::log_path is empty)";
  std::ifstream in(spec_.log_path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace echelon::testing
