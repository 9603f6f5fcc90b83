#include "tools/load/server_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/load/net.h"

namespace echelon::load {
namespace {

std::vector<std::string> CommandLine(const ServerSpec& spec, int http_port, int grpc_port) {
  std::vector<std::string> args = {spec.binary, "--host", "127.0.0.1", "--port", absl::StrCat(http_port)};
  if (spec.core.empty()) {
    args.insert(args.end(), {"--grpc-port", absl::StrCat(grpc_port)});
    // Load runs measure the serving path; a run that wants the library
    // passes --data-dir in extra_args (bench_fanout --library).
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
  absl::StatusOr<int> http_port = FreeLoopbackPort();
  if (!http_port.ok()) return http_port.status();
  int grpc_port = 0;
  if (spec.core.empty()) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    grpc_port = *port;
  }
  const std::vector<std::string> args = CommandLine(spec, *http_port, grpc_port);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) ExecServer(args, spec.log_path);
  std::unique_ptr<ServerProcess> server(new ServerProcess(pid, *http_port, grpc_port));
  if (absl::Status ready = server->WaitReady(spec); !ready.ok()) return ready;  // the destructor reaps it
  return server;
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::grpc_target() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

absl::Status ServerProcess::WaitReady(const ServerSpec& spec) {
  const absl::Time deadline = absl::Now() + spec.ready_timeout;
  while (absl::Now() < deadline) {
    if (Exited()) return absl::InternalError(absl::StrCat(spec.binary, " exited during start; see ", spec.log_path));
    absl::StatusOr<HttpAnswer> health = HttpGet("127.0.0.1", http_port_, "/health", absl::Milliseconds(500));
    const bool up = health.ok() && health->status == 200;
    if (up && (spec.core.empty() || absl::StrContains(health->body, "\"core_connected\":true"))) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(spec.binary, " not healthy on port ", http_port_, " after ", absl::FormatDuration(spec.ready_timeout)));
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
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  reaped_ = true;
  return absl::Now() - started;
}

}  // namespace echelon::load
