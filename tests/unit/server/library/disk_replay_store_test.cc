// DiskReplayStore: chunks appended, read back, idempotent; what a crash or
// damage leaves on disk is repaired or skipped on reopen; retention and pins.
#include "server/library/disk_replay_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace echelon::library {
namespace {

namespace fs = std::filesystem;

class DiskReplayStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/echelon-library-test-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(dir_); }

  DiskStoreOptions Options() {
    DiskStoreOptions options;
    options.data_dir = dir_;
    options.durability = Durability::kNever;
    return options;
  }

  std::unique_ptr<DiskReplayStore> OpenStore(DiskStoreOptions options) {
    auto store = DiskReplayStore::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::unique_ptr<DiskReplayStore> OpenStore() { return OpenStore(Options()); }

  static std::string Frames(uint32_t index, size_t pad = 0) {
    return "[{\"tick\":" + std::to_string(index) + ",\"pad\":\"" + std::string(pad, 'x') + "\"}]";
  }

  // Appends chunk `index` of `replay_id` (chunk_count `count`) with event id `event`.
  static absl::StatusOr<AppendResult> Put(ReplayStore& store, const std::string& replay_id, uint32_t index,
                                          uint32_t count, uint64_t event, size_t pad = 0,
                                          std::string extra = "{}") {
    const std::string frames = Frames(index, pad);
    ChunkToStore chunk;
    chunk.replay_id = replay_id;
    chunk.world_ref = "0123456789abcdef";
    chunk.chunk_index = index;
    chunk.chunk_count = count;
    chunk.frames_json = frames;
    chunk.frame_count = 1;
    chunk.event_id = event;
    chunk.start_event_id = event - 1;
    chunk.meta_json = R"({"policy":"p1"})";
    chunk.extra_json = extra;
    return store.Append(chunk);
  }

  std::string SegmentPath(uint32_t n = 1) {
    char name[32];
    snprintf(name, sizeof name, "/segments/%08u.seg", n);
    return dir_ + name;
  }

  std::string dir_;
};

TEST_F(DiskReplayStoreTest, AppendsAndReadsBack) {
  auto store = OpenStore();
  ASSERT_TRUE(Put(*store, "r1", 0, 2, 11).ok());
  auto done = Put(*store, "r1", 1, 2, 12);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->completed);
  EXPECT_EQ(*store->ReadChunk("r1", 0), Frames(0));
  EXPECT_EQ(*store->ReadChunk("r1", 1), Frames(1));
  auto info = store->Describe("r1");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->chunks_stored, 2u);
  EXPECT_TRUE(info->complete());
  EXPECT_EQ(info->meta_json, R"({"policy":"p1"})");
  EXPECT_EQ(info->start_event_id, 10u);
  EXPECT_EQ(info->end_event_id, 13u);
  EXPECT_EQ(store->LastEventId(), 13u);
  EXPECT_EQ(store->ReadChunk("r1", 5).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Describe("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DiskReplayStoreTest, TimesAreTheAcceptedTimesWhenGiven) {
  auto store = OpenStore();
  const std::string frames = Frames(0);
  ChunkToStore chunk;
  chunk.replay_id = "r1";
  chunk.world_ref = "0123456789abcdef";
  chunk.chunk_count = 2;
  chunk.frames_json = frames;
  chunk.frame_count = 1;
  chunk.event_id = 11;
  chunk.accepted_at_ms = 1764500000123;
  ASSERT_TRUE(store->Append(chunk).ok());
  chunk.chunk_index = 1;
  chunk.event_id = 12;
  chunk.accepted_at_ms = 1764500000456;
  ASSERT_TRUE(store->Append(chunk).ok());
  EXPECT_EQ(store->Describe("r1")->started_at_ms, 1764500000123);
  EXPECT_EQ(store->Describe("r1")->finished_at_ms, 1764500000456);
}

TEST_F(DiskReplayStoreTest, AppendIsIdempotentAndChecksTheReplay) {
  auto store = OpenStore();
  ASSERT_FALSE(Put(*store, "r1", 0, 3, 11)->duplicate);
  EXPECT_TRUE(Put(*store, "r1", 0, 3, 99)->duplicate);
  EXPECT_EQ(Put(*store, "r1", 1, 4, 12).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->Describe("r1")->chunks_stored, 1u);
}

TEST_F(DiskReplayStoreTest, SurvivesReopenAndContinuesEventIds) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(Put(*store, "r1", 0, 3, 11).ok());
    ASSERT_TRUE(Put(*store, "r1", 2, 3, 12).ok());
  }
  auto store = OpenStore();
  auto info = store->Describe("r1");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->chunks_stored, 2u);
  EXPECT_FALSE(info->complete());
  EXPECT_EQ(store->LastEventId(), 13u);
  auto events = store->ListEventsAfter(10, 100, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);  // chunk 0, chunk 2, end
  EXPECT_EQ((*events)[0].event_id, 11u);
  EXPECT_EQ((*events)[2].kind, StoredEvent::Kind::kEnd);
  ASSERT_TRUE(Put(*store, "r1", 1, 3, 20).ok());
  EXPECT_TRUE(store->Describe("r1")->complete());
}

TEST_F(DiskReplayStoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto store = OpenStore();
  auto second = DiskReplayStore::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
}

TEST_F(DiskReplayStoreTest, TornTailIsCutOnReopen) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(Put(*store, "r1", 0, 3, 11).ok());
    ASSERT_TRUE(Put(*store, "r1", 1, 3, 12).ok());
  }
  const auto whole = fs::file_size(SegmentPath());
  fs::resize_file(SegmentPath(), whole - 5);  // the last record lost its end
  auto store = OpenStore();
  EXPECT_EQ(store->Describe("r1")->chunks_stored, 1u);
  EXPECT_EQ(*store->ReadChunk("r1", 0), Frames(0));
  EXPECT_GT(store->recovery().chunks_lost + store->recovery().bytes_cut, 0u);
  // Appends continue after the last whole record, and survive a reopen.
  ASSERT_FALSE(Put(*store, "r1", 1, 3, 13)->duplicate);
  store.reset();
  store = OpenStore();
  EXPECT_EQ(*store->ReadChunk("r1", 1), Frames(1));
}

TEST_F(DiskReplayStoreTest, RecordsMissingFromTheIndexAreIndexedOnReopen) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(Put(*store, "r1", 0, 2, 11).ok());
    ASSERT_TRUE(Put(*store, "r2", 0, 1, 21).ok());
  }
  // A crash after the segment write, before the index commit: lose the index.
  fs::remove(dir_ + "/index.db");
  fs::remove(dir_ + "/index.db-wal");
  fs::remove(dir_ + "/index.db-shm");
  auto store = OpenStore();
  EXPECT_EQ(store->recovery().records_indexed, 2u);
  EXPECT_EQ(*store->ReadChunk("r2", 0), Frames(0));
  EXPECT_EQ(store->Describe("r1")->meta_json, R"({"policy":"p1"})");
}

TEST_F(DiskReplayStoreTest, CorruptRecordIsReportedAndTheRestStaysReadable) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(Put(*store, "r1", 0, 3, 11, 100).ok());
    ASSERT_TRUE(Put(*store, "r1", 1, 3, 12, 100).ok());
    ASSERT_TRUE(Put(*store, "r1", 2, 3, 13, 100).ok());
  }
  // Flip a byte inside the middle record's frames.
  const auto size = fs::file_size(SegmentPath());
  const int fd = open(SegmentPath().c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "#", 1, static_cast<off_t>(size / 2)), 1);
  close(fd);
  auto store = OpenStore();
  EXPECT_EQ(store->ReadChunk("r1", 1).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*store->ReadChunk("r1", 0), Frames(0, 100));
  EXPECT_EQ(*store->ReadChunk("r1", 2), Frames(2, 100));
}

TEST_F(DiskReplayStoreTest, RetentionRemovesTheOldestUnpinnedFirst) {
  DiskStoreOptions options = Options();
  options.max_bytes = 2500;
  options.max_segment_bytes = 1500;
  auto store = OpenStore(options);
  ASSERT_TRUE(Put(*store, "a", 0, 1, 11, 1000).ok());
  ASSERT_TRUE(Put(*store, "b", 0, 1, 21, 1000).ok());
  ASSERT_TRUE(store->SetPinned("a", true).ok());
  ASSERT_TRUE(Put(*store, "c", 0, 1, 31, 1000).ok());  // over the limit: b goes, a is pinned
  EXPECT_TRUE(store->Describe("a").ok());
  EXPECT_EQ(store->Describe("b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->Describe("c").ok());
  ASSERT_TRUE(store->SetPinned("a", false).ok());
  ASSERT_TRUE(Put(*store, "d", 0, 1, 41, 1000).ok());  // now a is the oldest unpinned
  EXPECT_EQ(store->Describe("a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->Describe("c").ok());
  EXPECT_LE(store->stored_bytes(), options.max_bytes);
  // Segments holding nothing live were removed.
  EXPECT_FALSE(fs::exists(SegmentPath(1)));
}

TEST_F(DiskReplayStoreTest, ListsNewestFirstWithCursorAndRunFilter) {
  auto store = OpenStore();
  for (int i = 0; i < 5; ++i) {
    const std::string run = i % 2 ? R"({"run":{"name":"odd"}})" : R"({"run":"even"})";
    ASSERT_TRUE(Put(*store, "r" + std::to_string(i), 0, 1, 10 * (i + 1), 0, run).ok());
  }
  auto first = store->List({.limit = 2});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->replays.size(), 2u);
  EXPECT_EQ(first->replays[0].replay_id, "r4");
  EXPECT_EQ(first->replays[1].replay_id, "r3");
  auto second = store->List({.limit = 2, .before = first->next});
  EXPECT_EQ(second->replays[0].replay_id, "r2");
  auto odd = store->List({.run = "odd"});
  ASSERT_EQ(odd->replays.size(), 2u);
  EXPECT_EQ(odd->replays[0].run_json, R"({"name":"odd"})");
  EXPECT_TRUE(odd->next.empty());
  EXPECT_EQ(store->List({.before = "x/.."}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DiskReplayStoreTest, DeleteRemovesAndWorldsRoundTrip) {
  auto store = OpenStore();
  ASSERT_TRUE(Put(*store, "r1", 0, 1, 11).ok());
  ASSERT_TRUE(store->Delete("r1").ok());
  EXPECT_EQ(store->Describe("r1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Delete("r1").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->PutWorld("0123456789abcdef", R"({"size":[1,1,1]})").ok());
  EXPECT_EQ(*store->GetWorld("0123456789abcdef"), R"({"size":[1,1,1]})");
  EXPECT_FALSE(store->PutWorld("../../etc/passwd", "{}").ok());
  EXPECT_EQ(store->GetWorld("../x").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace echelon::library
