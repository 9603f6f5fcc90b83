#include "server/replay/jetstream_journal.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "absl/strings/str_cat.h"
#include "cluster/replay_subjects.h"

namespace echelon::replay {

namespace {
// Protobuf framing, the replay id and the message headers of a chunk event.
constexpr size_t kEventOverhead = 2048;
}  // namespace

absl::Status JetStreamJournal::CheckChunkSize(size_t frames_bytes) const {
  const int64_t max_payload = nats_->max_payload();
  if (static_cast<int64_t>(frames_bytes + kEventOverhead) <= max_payload) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "chunk too large for the replay log: its frames are ", frames_bytes, " bytes, the NATS servers accept ",
      max_payload, " per message (max_payload); push smaller chunks or raise max_payload"));
}

EventJournal::Confirmation JetStreamJournal::Append(const std::vector<HubEventPtr>& events) {
  using Ack = std::shared_future<absl::StatusOr<cluster::PublishAck>>;
  std::vector<Ack> acks;
  int chunk_ack = -1;
  const cluster::ReplaySubjects& subjects = nats_->subjects();
  for (const HubEventPtr& event : events) {
    const v1::ReplayEvent& e = *event->without_world;
    std::string subject;
    std::string msg_id;
    if (e.has_replay_start()) {
      subject = subjects.Meta(event->replay_id);
      msg_id = cluster::StartMsgId(event->replay_id);
    } else if (e.has_replay_end()) {
      subject = subjects.Meta(event->replay_id);
      msg_id = cluster::EndMsgId(event->replay_id);
    } else {
      subject = subjects.Chunk(event->replay_id);
      msg_id = cluster::ChunkMsgId(event->replay_id, e.replay_chunk().chunk_index());
      chunk_ack = static_cast<int>(acks.size());
    }
    acks.push_back(nats_->PublishAsync(subject, msg_id, e.SerializeAsString()));
  }
  return [acks = std::move(acks), chunk_ack, timeout = ack_timeout_,
          after_stored = after_stored_]() -> absl::StatusOr<bool> {
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
    bool duplicate = false;
    uint64_t last_sequence = 0;
    for (size_t i = 0; i < acks.size(); ++i) {
      if (acks[i].wait_until(deadline) != std::future_status::ready) {
        return absl::UnavailableError("the replay log did not confirm the chunk in time; retry the push");
      }
      const absl::StatusOr<cluster::PublishAck>& ack = acks[i].get();
      if (!ack.ok()) return ack.status();
      if (static_cast<int>(i) == chunk_ack) duplicate = ack->duplicate;
      last_sequence = std::max(last_sequence, ack->sequence);
    }
    if (after_stored) after_stored(last_sequence);
    return duplicate;
  };
}

}  // namespace echelon::replay
