#include "server/library/cluster_replay_store.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status_util.h"

namespace echelon::library {

absl::StatusOr<ReplayInfo> ClusterReplayStore::SetPinned(const std::string& replay_id, bool pinned) {
  ECHELON_RETURN_IF_ERROR(copy_.Describe(replay_id).status());
  ECHELON_RETURN_IF_ERROR(PublishAndApply({pinned ? LibraryOpKind::kPin : LibraryOpKind::kUnpin, replay_id}));
  return copy_.Describe(replay_id);
}

absl::Status ClusterReplayStore::Delete(const std::string& replay_id) {
  ECHELON_RETURN_IF_ERROR(copy_.Describe(replay_id).status());
  return PublishAndApply({LibraryOpKind::kDelete, replay_id});
}

absl::Status ClusterReplayStore::PublishAndApply(const LibraryOp& op) {
  // No message id: the same change made twice must apply twice (pin, unpin,
  // pin within the log's duplicate window).
  std::shared_future<absl::StatusOr<cluster::PublishAck>> ack =
      nats_->PublishAsync(nats_->subjects().Library(op.replay_id), /*msg_id=*/"", EncodeLibraryOp(op));
  if (ack.wait_for(absl::ToChronoMilliseconds(timeout_)) != std::future_status::ready) {
    return absl::UnavailableError("the replay log did not confirm the library change in time; retry");
  }
  if (!ack.get().ok()) return ack.get().status();
  const uint64_t sequence = ack.get()->sequence;
  if (!feeder_.WaitApplied(sequence, timeout_)) {
    return absl::UnavailableError(absl::StrCat(
        "the change is stored in the replay log (sequence ", sequence,
        ") and every core applies it, but this core's copy has not yet: it is catching up with the log"));
  }
  return absl::OkStatus();
}

}  // namespace echelon::library
