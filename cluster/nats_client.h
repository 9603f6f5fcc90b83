// NatsClient: one process's connection to the NATS cluster that holds the
// shared replay log (a JetStream stream) and the worlds (a JetStream KV
// bucket). Connect() creates both when they do not exist yet, with the limits
// of NatsOptions, so the first core to start sets the cluster up.
//
// Publishing is asynchronous and ordered: PublishAsync() queues the message on
// the connection at once (messages reach the stream in call order) and returns
// a future for JetStream's acknowledgement, so a caller can queue under its own
// lock and wait outside it.
//
// Threads: every method may be called from any thread; nats.c runs the
// acknowledgement callbacks on its own threads.
//
//   auto nats = NatsClient::Connect({.urls = {"nats://a:4222", "nats://b:4222"}});
//   auto ack = (*nats)->PublishAsync("echelon.chunk.r1", "r1:0", bytes);
//   absl::StatusOr<PublishAck> stored = ack.get();
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cluster/replay_subjects.h"

namespace echelon::cluster {

struct NatsOptions {
  std::vector<std::string> urls;
  std::string stream = "ECHELON_REPLAYS";
  std::string subject_prefix = "echelon";
  int replicas = 1;
  int64_t max_bytes = int64_t{10} << 30;
  absl::Duration max_age = absl::Hours(24);
  // A chunk re-sent within this window (to the same or another core) is
  // stored once; it must cover a trainer's retries and failover.
  absl::Duration duplicate_window = absl::Minutes(10);
  std::string world_bucket = "echelon_worlds";
  absl::Duration request_timeout = absl::Seconds(5);
  // Shown by the NATS server's connection list (nats-server -m).
  std::string name = "echelon";
};

// Splits "nats://a:4222,nats://b:4222" into URLs.
std::vector<std::string> SplitUrls(std::string_view list);

struct PublishAck {
  uint64_t sequence = 0;
  // JetStream had this message id within the duplicate window already.
  bool duplicate = false;
};

struct StreamBounds {
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
};

class NatsClient {
 public:
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<NatsClient>> Connect(NatsOptions options);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  const NatsOptions& options() const { return options_; }
  const ReplaySubjects& subjects() const { return subjects_; }
  const EventIds& event_ids() const { return event_ids_; }
  // The largest message the servers accept (their max_payload).
  int64_t max_payload() const;

  // Queues a message for the stream; the future holds the acknowledgement or
  // why there is none. Messages reach the stream in the order of the calls.
  // An empty `msg_id` sends none (the message is never dropped as a duplicate).
  std::shared_future<absl::StatusOr<PublishAck>> PublishAsync(const std::string& subject,
                                                              const std::string& msg_id,
                                                              std::string_view data);

  [[nodiscard]] absl::StatusOr<StreamBounds> Bounds();

  jsCtx* jetstream() { return js_; }
  kvStore* world_bucket() { return worlds_; }

 private:
  explicit NatsClient(NatsOptions options);
  absl::Status Open();
  absl::Status EnsureStream();
  absl::Status EnsureWorldBucket();
  static void OnPublishAck(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* self);
  void Complete(natsMsg* msg, absl::StatusOr<PublishAck> result);

  const NatsOptions options_;
  const ReplaySubjects subjects_;
  EventIds event_ids_{0};
  natsOptions* nats_options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  kvStore* worlds_ = nullptr;

  absl::Mutex pending_mu_;
  // Each queued message, by the address nats.c hands back with its ack.
  absl::flat_hash_map<natsMsg*, std::promise<absl::StatusOr<PublishAck>>> pending_
      ABSL_GUARDED_BY(pending_mu_);
};

// A nats.c status as an absl::Status, with the library's last error text.
absl::Status NatsError(natsStatus status, std::string_view what, jsErrCode js_code = static_cast<jsErrCode>(0));

}  // namespace echelon::cluster
