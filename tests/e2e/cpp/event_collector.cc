#include "tests/e2e/cpp/event_collector.h"

#include "absl/time/clock.h"

namespace echelon::client::testing {

EventCollector::EventCollector(const std::string& grpc_target, bool reconnect)
    : client_(grpc_target), reconnect_(reconnect) {
  thread_ = std::thread([this] {
    while (!cancel_->cancelled()) {
      // after_id 0: the current replay's start and every retained chunk, so
      // subscribing a little after a push began loses nothing.
      (void)client_.Subscribe(0, [this](const ReplayEvent& e) { return OnEvent(e); },
                              {.timeout = absl::Minutes(5), .cancel = cancel_});
      if (!reconnect_) break;
      client_.WaitForConnection(absl::Milliseconds(200));  // returns once the server is back
    }
  });
}

EventCollector::~EventCollector() {
  cancel_->Cancel();
  thread_.join();
}

bool EventCollector::OnEvent(const ReplayEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (event.has_replay_start()) {
    replays_[event.replay_start().replay_id()].start = event.replay_start();
  } else if (event.has_replay_chunk()) {
    CollectedReplay& replay = replays_[event.replay_chunk().replay_id()];
    ++replay.chunk_broadcasts[event.replay_chunk().chunk_index()];
    replay.frames_json[event.replay_chunk().chunk_index()] = event.replay_chunk().frames_json();
  } else if (event.has_replay_end()) {
    replays_[event.replay_end().replay_id()].ended = true;
  }
  changed_.notify_all();
  return true;
}

bool EventCollector::WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_until(lock, absl::ToChronoTime(absl::Now() + timeout), condition);
}

bool EventCollector::WaitForEnd(const std::string& replay_id, absl::Duration timeout) {
  return WaitUntil([&] { return replays_.count(replay_id) && replays_[replay_id].ended; }, timeout);
}

bool EventCollector::WaitForChunk(const std::string& replay_id, uint32_t index, absl::Duration timeout) {
  return WaitUntil(
      [&] { return replays_.count(replay_id) && replays_[replay_id].chunk_broadcasts.count(index); }, timeout);
}

CollectedReplay EventCollector::Get(const std::string& replay_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return replays_[replay_id];
}

nlohmann::json EventCollector::Frames(const std::string& replay_id) {
  nlohmann::json frames = nlohmann::json::array();
  for (const auto& [index, text] : Get(replay_id).frames_json) {
    for (auto& frame : nlohmann::json::parse(text)) frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace echelon::client::testing
