// echelon-push and replay-gen exit codes that need no server.
#include <gtest/gtest.h>

#include "tests/unit/clients/test_util.h"

namespace echelon::client {
namespace {

using testing::FixturePath;
using testing::FreePort;
using testing::RunProgram;
using testing::RunResult;
using testing::TempDir;

constexpr absl::Duration kTimeout = absl::Seconds(60);
const std::string kReplay = FixturePath("replays/w40x40x20_s3.replay.json");

TEST(EchelonPushCliTest, UsageErrorsExitWith2) {
  EXPECT_EQ(RunProgram({ECHELON_PUSH_BIN}, kTimeout).exit_code, 2);
  EXPECT_EQ(RunProgram({ECHELON_PUSH_BIN, kReplay, "--bogus"}, kTimeout).exit_code, 2);
  EXPECT_EQ(RunProgram({ECHELON_PUSH_BIN, kReplay, "--chunk-frames", "0"}, kTimeout).exit_code, 2);
  EXPECT_EQ(RunProgram({ECHELON_PUSH_BIN, kReplay, "--server", "a:1", "--http", "http://a:1"}, kTimeout).exit_code, 2);
  RunResult help = RunProgram({ECHELON_PUSH_BIN, "--help"}, kTimeout);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("Exit codes"), std::string::npos);
}

TEST(EchelonPushCliTest, InputErrorsExitWith3) {
  TempDir dir;
  EXPECT_EQ(RunProgram({ECHELON_PUSH_BIN, dir.File("missing.json")}, kTimeout).exit_code, 3);
  EXPECT_EQ(RunProgram({ECHELON_PUSH_BIN, FixturePath("worlds/w40x40x20_s3.json")}, kTimeout).exit_code, 3);
}

TEST(EchelonPushCliTest, UnreachableServerExitsWith4AfterRetries) {
  const std::string port = std::to_string(FreePort());
  for (const std::vector<std::string>& transport :
       {std::vector<std::string>{"--server", "127.0.0.1:" + port}, {"--http", "http://127.0.0.1:" + port}}) {
    std::vector<std::string> argv = {ECHELON_PUSH_BIN, kReplay, "--retries", "2"};
    argv.insert(argv.end(), transport.begin(), transport.end());
    RunResult run = RunProgram(argv, kTimeout);
    EXPECT_EQ(run.exit_code, 4) << run.output;
    EXPECT_NE(run.output.find("retry 2"), std::string::npos) << run.output;
  }
}

TEST(ReplayGenCliTest, ExitCodes) {
  TempDir dir;
  EXPECT_EQ(RunProgram({REPLAY_GEN_BIN, "--frames", "3"}, kTimeout).exit_code, 2);  // --out missing
  EXPECT_EQ(RunProgram({REPLAY_GEN_BIN, "--size", "1,2", "--out", dir.File("x.json")}, kTimeout).exit_code, 2);
  EXPECT_EQ(RunProgram({REPLAY_GEN_BIN, "--frames", "3", "--target-mb", "1", "--out", dir.File("x.json")}, kTimeout)
                .exit_code,
            2);
  EXPECT_EQ(RunProgram({REPLAY_GEN_BIN, "--frames", "3", "--out", dir.File("no/such/dir.json")}, kTimeout).exit_code, 3);
  RunResult ok = RunProgram({REPLAY_GEN_BIN, "--frames", "3", "--mechs", "2", "--out", dir.File("x.json")}, kTimeout);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

}  // namespace
}  // namespace echelon::client
