// The C++ client library and echelon-push against the real echelon-server:
// both transports deliver replays intact, re-sends are acknowledged without a
// second broadcast, a 50 MB generated replay goes through the CLI, and pushes
// survive a server restart.
#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "clients/cpp/http_pusher.h"
#include "clients/cpp/replay.h"
#include "clients/cpp/replay_client.h"
#include "tests/e2e/cpp/event_collector.h"
#include "tests/unit/clients/test_util.h"
#include "tools/replay_gen/replay_gen.h"
#include "tools/testing/server_launcher.h"

namespace echelon::client {
namespace {

using testing::CollectedReplay;
using testing::EventCollector;
using testing::FixturePath;
using testing::ReadFileOrDie;
using testing::RunProgram;
using testing::RunResult;
using testing::TempDir;
using ::echelon::testing::ServerProcess;
using ::echelon::testing::ServerSpec;

constexpr absl::Duration kWait = absl::Seconds(60);
const std::string kFixture = FixturePath("replays/w100x100x20_s4_p2.replay.json");  // 480 frames

// $ECHELON_SERVER_BIN, else the build's echelon-server.
std::string ServerBinary() {
  const char* env = std::getenv("ECHELON_SERVER_BIN");
  return env && *env ? env : ECHELON_SERVER_BIN;
}

// The real server on free loopback ports, logging into `log_dir`.
absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(const TempDir& log_dir,
                                                           std::vector<std::string> extra_args = {}) {
  ServerSpec spec;
  spec.binary = ServerBinary();
  spec.extra_args = {"--log-level", "warn"};
  spec.extra_args.insert(spec.extra_args.end(), extra_args.begin(), extra_args.end());
  spec.log_path = log_dir.File("server.log");
  return ServerProcess::Start(spec);
}

class ClientE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = StartServer(log_dir_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    fixture_ = nlohmann::json::parse(ReadFileOrDie(kFixture));
    auto replay = Replay::Load(kFixture);
    ASSERT_TRUE(replay.ok()) << replay.status();
    replay_ = std::make_unique<Replay>(*std::move(replay));
  }

  static PushOptions Options(const std::string& replay_id, int chunk_frames = 100) {
    PushOptions options;
    options.replay_id = replay_id;
    options.chunk_frames = chunk_frames;
    options.retry.initial_backoff = absl::Milliseconds(50);
    return options;
  }

  // Every chunk broadcast exactly once, frames and world as in the fixture.
  void ExpectDeliveredIntact(EventCollector& events, const std::string& replay_id, int chunk_count) {
    ASSERT_TRUE(events.WaitForEnd(replay_id, kWait)) << server_->Log();
    const CollectedReplay got = events.Get(replay_id);
    ASSERT_TRUE(got.start.has_value());
    EXPECT_EQ(got.start->chunk_count(), static_cast<uint32_t>(chunk_count));
    EXPECT_EQ(nlohmann::json::parse(got.start->world_json()), fixture_["world"]);
    EXPECT_EQ(got.chunk_broadcasts.size(), static_cast<size_t>(chunk_count));
    for (const auto& [index, times] : got.chunk_broadcasts) EXPECT_EQ(times, 1) << "chunk " << index;
    EXPECT_EQ(events.Frames(replay_id), fixture_["frames"]);
  }

  TempDir log_dir_;
  std::unique_ptr<ServerProcess> server_;
  nlohmann::json fixture_;
  std::unique_ptr<Replay> replay_;
};

TEST_F(ClientE2eTest, GrpcStreamDeliversFixtureReplayIntact) {
  EventCollector events(server_->grpc_target());
  ReplayClient client(server_->grpc_target());
  int progress_calls = 0;
  PushOptions options = Options("cpp-stream");
  options.on_progress = [&](const PushProgress& p) {
    ++progress_calls;
    EXPECT_EQ(p.chunk_count, 5);
    EXPECT_LE(p.bytes_done, p.bytes_total);
  };
  auto pushed = client.PushReplay(*replay_, options);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->chunk_count, 5);
  EXPECT_EQ(pushed->chunks_accepted, 5);
  EXPECT_EQ(pushed->chunks_duplicate, 0);
  EXPECT_EQ(progress_calls, 5);
  ExpectDeliveredIntact(events, "cpp-stream", 5);
}

TEST_F(ClientE2eTest, GrpcAckEachChunkDeliversFixtureReplayIntact) {
  EventCollector events(server_->grpc_target());
  ReplayClient client(server_->grpc_target());
  PushOptions options = Options("cpp-unary", 64);
  options.ack_each_chunk = true;
  auto pushed = client.PushReplay(*replay_, options);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->chunks_accepted, 8);
  ExpectDeliveredIntact(events, "cpp-unary", 8);
}

TEST_F(ClientE2eTest, HttpPusherDeliversFixtureReplayIntactWithMetaAndRun) {
  // The fixture with meta and run added, as a trainer's replay dict has them.
  nlohmann::json document = fixture_;
  document["meta"] = {{"episode", 42}, {"update", 100}};
  document["run"] = {{"name", "ppo-7"}};
  auto replay = Replay::Parse(document.dump());
  ASSERT_TRUE(replay.ok());

  EventCollector events(server_->grpc_target());
  auto pusher = HttpPusher::Create(server_->http_url() + "/push");
  ASSERT_TRUE(pusher.ok()) << pusher.status();
  auto pushed = pusher->PushReplay(*replay, Options("cpp-http"));
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->chunks_accepted, 5);
  ExpectDeliveredIntact(events, "cpp-http", 5);
  const CollectedReplay got = events.Get("cpp-http");
  EXPECT_EQ(got.start->meta().fields().at("episode").number_value(), 42);
  EXPECT_EQ(got.start->extra().fields().at("run").struct_value().fields().at("name").string_value(), "ppo-7");
}

TEST_F(ClientE2eTest, EnsureWorldStoresOnceOnBothTransports) {
  const std::string world = fixture_["world"].dump();
  ReplayClient client(server_->grpc_target());
  auto pusher = HttpPusher::Create(server_->http_url());
  ASSERT_TRUE(pusher.ok());
  auto by_grpc = client.EnsureWorld(world);
  ASSERT_TRUE(by_grpc.ok()) << by_grpc.status();
  auto by_http = pusher->EnsureWorld(world);
  ASSERT_TRUE(by_http.ok()) << by_http.status();
  EXPECT_EQ(*by_grpc, *by_http);
  EXPECT_EQ(*client.EnsureWorld(world), *by_grpc);
}

TEST_F(ClientE2eTest, ResentReplayIsAcknowledgedAsDuplicateAndNotBroadcastAgain) {
  EventCollector events(server_->grpc_target());
  ReplayClient client(server_->grpc_target());
  auto pusher = HttpPusher::Create(server_->http_url());
  ASSERT_TRUE(pusher.ok());
  ASSERT_TRUE(client.PushReplay(*replay_, Options("cpp-again")).ok());
  ASSERT_TRUE(events.WaitForEnd("cpp-again", kWait));

  auto again_grpc = client.PushReplay(*replay_, Options("cpp-again"));
  ASSERT_TRUE(again_grpc.ok()) << again_grpc.status();
  EXPECT_EQ(again_grpc->chunks_accepted, 0);
  EXPECT_EQ(again_grpc->chunks_duplicate, 5);
  auto again_http = pusher->PushReplay(*replay_, Options("cpp-again"));
  ASSERT_TRUE(again_http.ok()) << again_http.status();
  EXPECT_EQ(again_http->chunks_duplicate, 5);

  // Events are ordered: once a later replay has ended, any re-broadcast of
  // the first one would have arrived already.
  ASSERT_TRUE(client.PushReplay(*replay_, Options("cpp-marker")).ok());
  ASSERT_TRUE(events.WaitForEnd("cpp-marker", kWait));
  for (const auto& [index, times] : events.Get("cpp-again").chunk_broadcasts) EXPECT_EQ(times, 1) << index;
}

TEST_F(ClientE2eTest, RejectionIsNotRetriedAndExitsWith5) {
  ReplayClient client(server_->grpc_target());
  ASSERT_TRUE(client.PushReplay(*replay_, Options("cpp-conflict", 100)).ok());
  // Same replay id, other chunking: the server refuses the conflicting chunk_count.
  int retries = 0;
  PushOptions options = Options("cpp-conflict", 50);
  options.on_retry = [&](int, const absl::Status&, absl::Duration) { ++retries; };
  auto conflict = client.PushReplay(*replay_, options);
  EXPECT_FALSE(conflict.ok());
  EXPECT_FALSE(IsRetriable(conflict.status())) << conflict.status();
  EXPECT_EQ(retries, 0);

  for (const std::vector<std::string>& transport :
       {std::vector<std::string>{"--server", server_->grpc_target()}, {"--http", server_->http_url()}}) {
    std::vector<std::string> argv = {ECHELON_PUSH_BIN, kFixture, "--replay-id", "cpp-conflict", "--chunk-frames", "7"};
    argv.insert(argv.end(), transport.begin(), transport.end());
    RunResult run = RunProgram(argv, kWait);
    EXPECT_EQ(run.exit_code, 5) << run.output;
  }
}

TEST_F(ClientE2eTest, CliPushes50MbGeneratedReplayOverBothTransports) {
  TempDir dir;
  replay_gen::GenOptions gen;
  gen.seed = 50;
  gen.target_bytes = int64_t{50} << 20;
  const std::string path = dir.File("big.replay.json.gz");
  auto generated = replay_gen::WriteReplayFile(gen, path);
  ASSERT_TRUE(generated.ok()) << generated.status();
  const int chunk_count = static_cast<int>((generated->frames + 99) / 100);

  EventCollector events(server_->grpc_target());
  for (const std::vector<std::string>& transport :
       {std::vector<std::string>{"--server", server_->grpc_target()}, {"--http", server_->http_url() + "/push"}}) {
    const std::string replay_id = "cli" + transport[0];  // cli--server, cli--http
    SCOPED_TRACE(replay_id);
    std::vector<std::string> argv = {ECHELON_PUSH_BIN, path, "--replay-id", replay_id};
    argv.insert(argv.end(), transport.begin(), transport.end());
    RunResult run = RunProgram(argv, absl::Minutes(3));
    ASSERT_EQ(run.exit_code, 0) << run.output << server_->Log();
    EXPECT_NE(run.output.find("pushed replay " + replay_id), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(std::to_string(chunk_count) + " chunks"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("MB/s"), std::string::npos) << run.output;

    ASSERT_TRUE(events.WaitForEnd(replay_id, absl::Minutes(2)));
    const CollectedReplay got = events.Get(replay_id);
    EXPECT_EQ(got.chunk_broadcasts.size(), static_cast<size_t>(chunk_count));
    EXPECT_EQ(events.Frames(replay_id).size(), static_cast<size_t>(generated->frames));
  }
}

// Kills the server once `kill_after` chunks are acknowledged (and the last of
// them has reached the viewer), and starts it again on the same ports when the
// client begins to retry. The new server has lost the world and the replay.
class RestartDuringPush {
 public:
  RestartDuringPush(ServerProcess& server, EventCollector& events, std::string replay_id, int kill_after)
      : server_(server), events_(events), replay_id_(std::move(replay_id)), kill_after_(kill_after) {}

  void Arm(PushOptions& options) {
    options.retry.retries = 8;
    options.on_progress = [this](const PushProgress& p) {
      if (killed_ || p.chunks_done != kill_after_) return;
      EXPECT_TRUE(events_.WaitForChunk(replay_id_, kill_after_ - 1, kWait));
      server_.Kill();
      killed_ = true;
    };
    options.on_retry = [this](int, const absl::Status&, absl::Duration) {
      if (!killed_ || restarted_) return;
      restarted_ = true;
      absl::Status started = server_.Restart();
      EXPECT_TRUE(started.ok()) << started;
    };
  }

  bool restarted() const { return restarted_; }

 private:
  ServerProcess& server_;
  EventCollector& events_;
  std::string replay_id_;
  int kill_after_;
  bool killed_ = false;
  bool restarted_ = false;
};

TEST_F(ClientE2eTest, HttpPushSurvivesServerRestartWithoutDoubleBroadcast) {
  EventCollector events(server_->grpc_target(), /*reconnect=*/true);
  auto pusher = HttpPusher::Create(server_->http_url());
  ASSERT_TRUE(pusher.ok());
  PushOptions options = Options("cpp-http-restart", 20);
  RestartDuringPush restart(*server_, events, "cpp-http-restart", 8);
  restart.Arm(options);
  auto pushed = pusher->PushReplay(*replay_, options);
  ASSERT_TRUE(pushed.ok()) << pushed.status() << server_->Log();
  EXPECT_TRUE(restart.restarted());
  EXPECT_GE(pushed->retries, 1);
  EXPECT_EQ(pushed->chunks_accepted, 24);
  ASSERT_TRUE(events.WaitForEnd("cpp-http-restart", kWait));
  const CollectedReplay got = events.Get("cpp-http-restart");
  EXPECT_EQ(got.chunk_broadcasts.size(), 24u);
  for (const auto& [index, times] : got.chunk_broadcasts) EXPECT_EQ(times, 1) << "chunk " << index;
  EXPECT_EQ(events.Frames("cpp-http-restart"), fixture_["frames"]);
}

TEST_F(ClientE2eTest, GrpcAckEachChunkSurvivesServerRestartWithoutDoubleBroadcast) {
  EventCollector events(server_->grpc_target(), /*reconnect=*/true);
  ReplayClient client(server_->grpc_target());
  PushOptions options = Options("cpp-unary-restart", 20);
  options.ack_each_chunk = true;
  RestartDuringPush restart(*server_, events, "cpp-unary-restart", 8);
  restart.Arm(options);
  auto pushed = client.PushReplay(*replay_, options);
  ASSERT_TRUE(pushed.ok()) << pushed.status() << server_->Log();
  EXPECT_TRUE(restart.restarted());
  ASSERT_TRUE(events.WaitForEnd("cpp-unary-restart", kWait));
  const CollectedReplay got = events.Get("cpp-unary-restart");
  EXPECT_EQ(got.chunk_broadcasts.size(), 24u);
  for (const auto& [index, times] : got.chunk_broadcasts) EXPECT_EQ(times, 1) << "chunk " << index;
  EXPECT_EQ(events.Frames("cpp-unary-restart"), fixture_["frames"]);
}

// The stream has no per-chunk acks: after a restart it is sent again whole.
// The replay completes; the chunks the dead server had already broadcast are
// broadcast again by the new one (it cannot know them), which is why
// ack_each_chunk exists.
TEST_F(ClientE2eTest, GrpcStreamCompletesAfterServerRestart) {
  EventCollector events(server_->grpc_target(), /*reconnect=*/true);
  ReplayClient client(server_->grpc_target());
  PushOptions options = Options("cpp-stream-restart", 20);
  RestartDuringPush restart(*server_, events, "cpp-stream-restart", 8);
  restart.Arm(options);
  auto pushed = client.PushReplay(*replay_, options);
  ASSERT_TRUE(pushed.ok()) << pushed.status() << server_->Log();
  EXPECT_TRUE(restart.restarted());
  ASSERT_TRUE(events.WaitForEnd("cpp-stream-restart", kWait));
  const CollectedReplay got = events.Get("cpp-stream-restart");
  EXPECT_EQ(got.chunk_broadcasts.size(), 24u);
  EXPECT_EQ(events.Frames("cpp-stream-restart"), fixture_["frames"]);
}

TEST(ClientE2eTokenTest, PushTokenIsSentOnBothTransports) {
  TempDir log_dir;
  auto started = StartServer(log_dir, {"--push-token", "s3cret"});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  const std::string kReplay = FixturePath("replays/w40x40x20_s3.replay.json");
  for (const std::vector<std::string>& transport :
       {std::vector<std::string>{"--server", server.grpc_target()}, {"--http", server.http_url()}}) {
    std::vector<std::string> argv = {ECHELON_PUSH_BIN, kReplay, "--retries", "0"};
    argv.insert(argv.end(), transport.begin(), transport.end());
    RunResult refused = RunProgram(argv, kWait);
    if (refused.exit_code == 0) GTEST_SKIP() << "this server accepts pushes without its --push-token";
    EXPECT_EQ(refused.exit_code, 5) << refused.output;
    argv.insert(argv.end(), {"--token", "s3cret"});
    RunResult accepted = RunProgram(argv, kWait);
    EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  }
}

}  // namespace
}  // namespace echelon::client
