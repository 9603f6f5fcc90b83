// Follows a server's replay events over gRPC (ReplayClient::Subscribe) on a
// thread and keeps, per replay, the start event, how often each chunk index
// was broadcast, and the frames: what a viewer would have received. With
// `reconnect`, a stream that breaks (the server was killed) is subscribed
// again from the start of the restarted server's retention.
//
//   EventCollector events(server.grpc_target());
//   ... push ...
//   ASSERT_TRUE(events.WaitForEnd("r1", absl::Seconds(30)));
//   EXPECT_EQ(events.Frames("r1"), expected_frames);
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "clients/cpp/replay_client.h"

namespace echelon::client::testing {

struct CollectedReplay {
  std::optional<replay::v1::ReplayStart> start;
  std::map<uint32_t, int> chunk_broadcasts;  // chunk index -> times received
  std::map<uint32_t, std::string> frames_json;
  bool ended = false;
};

class EventCollector {
 public:
  explicit EventCollector(const std::string& grpc_target, bool reconnect = false);
  ~EventCollector();

  bool WaitForEnd(const std::string& replay_id, absl::Duration timeout);
  bool WaitForChunk(const std::string& replay_id, uint32_t index, absl::Duration timeout);
  CollectedReplay Get(const std::string& replay_id);
  // All frames of the replay, in chunk order, parsed.
  nlohmann::json Frames(const std::string& replay_id);

 private:
  bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout);
  bool OnEvent(const ReplayEvent& event);

  ReplayClient client_;
  bool reconnect_;
  std::shared_ptr<SubscribeCancel> cancel_ = std::make_shared<SubscribeCancel>();
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, CollectedReplay> replays_;
  std::thread thread_;
};

}  // namespace echelon::client::testing
