#include "cluster/replay_subjects.h"

#include <gtest/gtest.h>

#include <set>

namespace echelon::cluster {
namespace {

TEST(EncodeSubjectToken, KeepsSafeCharactersAndEscapesTheRest) {
  EXPECT_EQ(EncodeSubjectToken("run-7_ep12"), "run-7_ep12");
  EXPECT_EQ(EncodeSubjectToken("a.b*c>d e"), "a~2Eb~2Ac~3Ed~20e");
  EXPECT_EQ(EncodeSubjectToken("~"), "~7E");
  EXPECT_EQ(EncodeSubjectToken("\xC3\xA9"), "~C3~A9");
}

TEST(EncodeSubjectToken, IsInjectiveOnIdsThatLookAlike) {
  // '~' itself is escaped, so an id written as an escape never collides.
  const std::set<std::string> tokens = {EncodeSubjectToken("a.b"), EncodeSubjectToken("a~2Eb"),
                                        EncodeSubjectToken("a b"), EncodeSubjectToken("a_b")};
  EXPECT_EQ(tokens.size(), 4u);
}

TEST(ReplaySubjects, OneReplayMatchesItsMetaAndChunkSubjects) {
  const ReplaySubjects subjects{"echelon"};
  EXPECT_EQ(subjects.Meta("r.1"), "echelon.meta.r~2E1");
  EXPECT_EQ(subjects.Chunk("r.1"), "echelon.chunk.r~2E1");
  EXPECT_EQ(subjects.OneReplay("r.1"), "echelon.*.r~2E1");
  EXPECT_EQ(subjects.All(), "echelon.>");
}

TEST(ReplaySubjects, TellsEventsFromLibraryChangesAndStrangers) {
  const ReplaySubjects subjects{"echelon"};
  using Kind = ReplaySubjects::Kind;
  EXPECT_EQ(subjects.Library("r.1"), "echelon.library.r~2E1");
  EXPECT_EQ(subjects.KindOf(subjects.Meta("r")), Kind::kMeta);
  EXPECT_EQ(subjects.KindOf(subjects.Chunk("r")), Kind::kChunk);
  EXPECT_EQ(subjects.KindOf(subjects.Library("r")), Kind::kLibrary);
  EXPECT_EQ(subjects.KindOf("echelon.other.r"), Kind::kOther);
  EXPECT_EQ(subjects.KindOf("echelonx.meta.r"), Kind::kOther);
  EXPECT_EQ(subjects.KindOf("echelon.meta"), Kind::kOther);
  EXPECT_TRUE(subjects.IsReplayEvent(subjects.Chunk("r")));
  EXPECT_FALSE(subjects.IsReplayEvent(subjects.Library("r")));
}

TEST(MsgIds, NameEachEventOfAReplay) {
  EXPECT_EQ(ChunkMsgId("r", 3), "r:3");
  EXPECT_NE(ChunkMsgId("r", 3), ChunkMsgId("r", 4));
  EXPECT_NE(StartMsgId("r"), EndMsgId("r"));
  EXPECT_NE(ChunkMsgId("r:3", 0), ChunkMsgId("r", 30));
}

TEST(EventIds, MapSequencesBothWaysWithinTheStream) {
  const int64_t created_ns = int64_t{1764500000123} * 1000000 + 456;
  const EventIds ids(created_ns);
  EXPECT_EQ(ids.IdOf(1), uint64_t{1764500000123} * 1000 + 1);
  EXPECT_LT(ids.IdOf(1), ids.IdOf(2));
  EXPECT_LT(ids.IdOf(1000000), uint64_t{1} << 53);  // JavaScript-safe
  EXPECT_EQ(ids.SequenceOf(ids.IdOf(42), 100), 42u);
  EXPECT_EQ(ids.SequenceOf(ids.IdOf(101), 100), std::nullopt);  // from a later or other stream
  EXPECT_EQ(ids.SequenceOf(12, 100), std::nullopt);               // from an older stream
}

}  // namespace
}  // namespace echelon::cluster
