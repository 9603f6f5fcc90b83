#include "server/library/local_library_link.h"

#include <utility>
#include <vector>

#include "server/library/library_service.h"

namespace echelon::library {

namespace {

// Reads the chunks listed when the download opened; a chunk damaged on disk
// is skipped (the store reports it), as LibraryService.Get does.
class LocalReplayReader final : public protocol::StoredReplayReader {
 public:
  LocalReplayReader(ReplayStore& store, std::string replay_id, std::vector<StoredChunkRef> chunks)
      : store_(store), replay_id_(std::move(replay_id)), chunks_(std::move(chunks)) {}

  std::optional<std::string_view> Next(std::string& buffer) override {
    while (next_ < chunks_.size()) {
      const uint32_t index = chunks_[next_++].chunk_index;
      absl::StatusOr<std::string_view> frames = store_.ReadChunkInto(replay_id_, index, buffer);
      if (frames.ok()) return *frames;
    }
    return std::nullopt;
  }

  absl::Status Finish() override { return absl::OkStatus(); }

 private:
  ReplayStore& store_;
  const std::string replay_id_;
  const std::vector<StoredChunkRef> chunks_;
  size_t next_ = 0;
};

}  // namespace

absl::StatusOr<protocol::OpenedReplay> LocalLibraryLink::OpenReplay(const std::string& replay_id,
                                                                    std::string_view authorization) {
  if (absl::Status allowed = auth_.CheckView(authorization); !allowed.ok()) return allowed;
  std::vector<StoredChunkRef> chunks;
  absl::StatusOr<echelon::replay::v1::GetReplayResponse::Header> header =
      DownloadHeader(store_, is_live_, replay_id, chunks);
  if (!header.ok()) return header.status();
  return protocol::OpenedReplay{*std::move(header),
                                std::make_unique<LocalReplayReader>(store_, replay_id, std::move(chunks))};
}

}  // namespace echelon::library
