#include "protocol/replay_document.h"

#include <gtest/gtest.h>

#include <string>

namespace echelon::json {
namespace {

TEST(ReplayDocumentTest, IndexesWorldFramesMetaAndRunAsTheirText) {
  std::string text = R"({"meta": {"map": "pit"}, "world": {"size": [1, 1, 1], "walls": []},
                        "frames": [ {"t": 0} , {"t": 1.50} ], "run": {"seed": 12345678901234567890123}})";
  absl::StatusOr<ReplayDocumentIndex> index = IndexReplayDocument(text);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->world, R"({"size": [1, 1, 1], "walls": []})");
  EXPECT_EQ(index->meta, R"({"map": "pit"})");
  EXPECT_EQ(index->run, R"({"seed": 12345678901234567890123})");
  ASSERT_EQ(index->frames.size(), 2u);
  EXPECT_EQ(index->frames[0], R"({"t": 0})");
  EXPECT_EQ(index->frames[1], R"({"t": 1.50})");  // numbers exactly as written
}

TEST(ReplayDocumentTest, MetaAndRunAreOptional) {
  std::string text = R"({"world":{},"frames":[]})";
  absl::StatusOr<ReplayDocumentIndex> index = IndexReplayDocument(text);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_TRUE(index->meta.empty());
  EXPECT_TRUE(index->run.empty());
  EXPECT_TRUE(index->frames.empty());
}

TEST(ReplayDocumentTest, RejectsWhatIsNotAReplay) {
  for (std::string text : {std::string(R"({"frames":[]})"), std::string(R"({"world":{}})"), std::string("[]"),
                           std::string(R"({"world":[],"frames":[]})"), std::string(R"({"world":{},"frames":[1]})"),
                           std::string(R"({"world":{},"frames":{}})"), std::string("{\"world\":{\"a\":\"\xff\"}}"),
                           std::string(1000, '[')}) {
    absl::StatusOr<ReplayDocumentIndex> index = IndexReplayDocument(text);
    ASSERT_FALSE(index.ok()) << text.substr(0, 60);
    EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(std::string(index.status().message()).starts_with("not a replay document")) << index.status();
  }
}

}  // namespace
}  // namespace echelon::json
