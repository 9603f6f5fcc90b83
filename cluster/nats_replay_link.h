// NatsReplayLink: the replay link of a gateway in cluster mode (--nats). Events
// come from the shared replay log in JetStream instead of one core's hub, so
// every gateway sees every core's replays; pushes still go to a core (through
// `push_link`: the core of this process or --core over gRPC), since the core
// validates chunks and is the one that writes the log.
//
// Subscribe() reads the log with an ordered consumer (stream_reader.h):
//  - live (the SseHub's one upstream): from the event after `after_id`, or
//    only what comes next when after_id is 0;
//  - backlog_only with a Last-Event-ID the log still holds: from the event
//    after it up to the log's end at the time of the call;
//  - backlog_only for a new viewer (or an id the log no longer holds, marked
//    as a gap): the replays ReplayIndex lists, from the oldest one's start to
//    the log's end, skipping other replays' events.
// Event ids are base + stream sequence (replay_subjects.h): the same for an
// event on every gateway, increasing for every viewer.
//
// Threads: as protocol::ReplayLink. The world cache is shared under a mutex.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "cluster/nats_client.h"
#include "cluster/replay_index.h"
#include "cluster/world_bucket.h"
#include "protocol/replay_link.h"

namespace echelon::cluster {

class NatsReplayLink final : public protocol::ReplayLink {
 public:
  NatsReplayLink(std::shared_ptr<NatsClient> nats, std::shared_ptr<protocol::ReplayLink> push_link,
                 absl::Duration replay_idle);

  absl::StatusOr<echelon::replay::v1::PushAck> Push(json::ParsedPush push, std::string_view authorization) override;
  std::unique_ptr<protocol::EventStream> Subscribe(const echelon::replay::v1::SubscribeRequest& request,
                                                   std::string_view authorization) override;

  // The world JSON of a replay_start, from a small cache over the KV bucket.
  absl::StatusOr<std::shared_ptr<const std::string>> World(const std::string& hash);

  const std::shared_ptr<NatsClient>& nats() const { return nats_; }
  ReplayIndex& index() { return index_; }

 private:
  const std::shared_ptr<NatsClient> nats_;
  const std::shared_ptr<protocol::ReplayLink> push_link_;
  WorldBucket worlds_;
  ReplayIndex index_;

  absl::Mutex world_mu_;
  // Most recently used first; a handful of worlds are in use at a time.
  std::list<std::pair<std::string, std::shared_ptr<const std::string>>> world_cache_ ABSL_GUARDED_BY(world_mu_);
};

}  // namespace echelon::cluster
