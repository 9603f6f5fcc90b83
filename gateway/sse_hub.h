// SseHub: a gateway's side of the fan-out. It holds ONE Subscribe stream to
// the core (re-established with the last seen id if it breaks), frames each
// event as SSE bytes once, and queues those shared bytes on every viewer's
// outbox. It never waits on a viewer: a viewer whose outbox overflows or that
// leaves an event untaken past the broadcast timeout is closed and counted.
//
// Threads: one upstream thread reads the core and fans out; HTTP workers call
// Join()/Leave() and drain their own SseClient.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "protocol/replay_link.h"
#include "gateway/sse_client.h"

namespace echelon::gateway {

struct SseHubOptions {
  size_t max_clients = 16;
  OutboxLimits client_limits{.max_bytes = 64u << 20, .max_wait = absl::Seconds(1)};
  // Sent as `authorization` metadata to the core, when the core wants one.
  std::string core_auth_metadata;
};

struct SseHubStats {
  size_t clients = 0;
  uint64_t connections = 0;
  uint64_t rejected = 0;
  uint64_t dropped_slow = 0;
  uint64_t events = 0;
  uint64_t event_bytes = 0;
  uint64_t bytes_sent = 0;
  bool upstream_connected = false;
};

class SseHub {
 public:
  SseHub(SseHubOptions options, std::shared_ptr<protocol::ReplayLink> core);
  ~SseHub();

  void Start();
  // Closes every viewer's stream and the upstream subscription.
  void Stop();

  // A new viewer; ResourceExhausted when max_clients are connected,
  // Unavailable when stopping. `after_id` is the Last-Event-ID (0 for none).
  [[nodiscard]] absl::StatusOr<std::shared_ptr<SseClient>> Join(bool omit_world, uint64_t after_id);
  void Leave(const std::shared_ptr<SseClient>& client);

  size_t client_count() const;
  SseHubStats stats() const;

 private:
  void RunUpstream();
  // One upstream session; returns when the stream ends.
  void ReadUpstream();
  void Fanout(protocol::SharedEvent event);

  const SseHubOptions options_;
  const std::shared_ptr<protocol::ReplayLink> core_;

  absl::Notification stopping_;
  std::thread upstream_;
  absl::Mutex upstream_mu_;
  protocol::EventStream* upstream_stream_ ABSL_GUARDED_BY(upstream_mu_) = nullptr;
  std::atomic<uint64_t> last_event_id_ = 0;
  std::atomic<bool> upstream_connected_ = false;

  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<SseClient>> clients_ ABSL_GUARDED_BY(mu_);
  uint64_t next_serial_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t connections_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_slow_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t event_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t departed_bytes_sent_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace echelon::gateway
