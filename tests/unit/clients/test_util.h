// Helpers for the client tests: fixture paths, temp files, free loopback
// ports, running a program to completion with a timeout, and waiting for a
// condition (never a fixed sleep).
//
//   TempDir dir;
//   RunResult r = RunProgram({ECHELON_PUSH_BIN, path, "--http", url}, absl::Seconds(60));
//   EXPECT_EQ(r.exit_code, 0) << r.output;
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace echelon::client::testing {

std::string FixturePath(const std::string& relative);  // under tests/fixtures
std::string ReadFileOrDie(const std::string& path);

// A fresh directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

// A child process; killed (SIGKILL) and reaped on destruction if still running.
class Subprocess {
 public:
  // stdout and stderr go to `log_path` (appended).
  Subprocess(const std::vector<std::string>& argv, const std::string& log_path);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool Running();
  // Exit code (128 + signal when killed), or -1 on timeout.
  int Wait(absl::Duration timeout);
  void Kill();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
RunResult RunProgram(const std::vector<std::string>& argv, absl::Duration timeout);

}  // namespace echelon::client::testing
