#include "protocol/canonical_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "json_test_util.h"
#include "protocol/json_limits.h"

// Canonical text itself; what the world hash rejects (and with which
// message) is in world_hash_test.cc, which goes through ComputeWorldHash.
namespace echelon::json {
namespace {

const std::filesystem::path kFixtures = ECHELON_FIXTURES;

using testing::ReadFile;

std::string Canonical(std::string_view body) {
  absl::StatusOr<std::string> canonical = CanonicalJson(body);
  if (!canonical.ok()) return "ERROR: " + std::string(canonical.status().message());
  return *canonical;
}

TEST(CanonicalJsonTest, SortsKeysByCodePointAndLaterDuplicateWins) {
  EXPECT_EQ(Canonical(R"({"b": 1e0, "a": [-0, "\u00E9"]})"), R"({"a":[0,"\u00e9"],"b":1.0})");
  EXPECT_EQ(Canonical(R"({"\u00e9":1,"z":2,"\ud83d\ude80":3,"\uffff":4,"A":5})"),
            R"({"A":5,"z":2,"\u00e9":1,"\uffff":4,"\ud83d\ude80":3})");
  EXPECT_EQ(Canonical(R"({"k":{"b":1,"b":[2],"a":{"d":1,"c":2}},"k":3, "a":null})"), R"({"a":null,"k":3})");
  EXPECT_EQ(Canonical(R"({"k":{"b":1,"b":[2],"a":{"d":1,"c":2}}})"), R"({"k":{"a":{"c":2,"d":1},"b":[2]}})");
  // A raw UTF-8 key sorts like its escaped twin; the two are the same key.
  EXPECT_EQ(Canonical("{\"\xc3\xa9\":1,\"\\u00e9\":2}"), R"({"\u00e9":2})");
}

// Empty objects and arrays leave no text of their own while parsing; their
// neighbours must still be separated.
TEST(CanonicalJsonTest, KeepsEmptyContainersAndTheirNeighbours) {
  EXPECT_EQ(Canonical("[{},{},1,{},[],[{}]]"), "[{},{},1,{},[],[{}]]");
  EXPECT_EQ(Canonical(R"({"b":[{},{"d":{},"c":[]}],"a":{},"a":{"x":{}}})"),
            R"({"a":{"x":{}},"b":[{},{"c":[],"d":{}}]})");
  EXPECT_EQ(Canonical(R"([{"b":{"z":1,"y":[{"q":0,"p":1}]},"a":2},{"d":3,"c":4}])"),
            R"([{"a":2,"b":{"y":[{"p":1,"q":0}],"z":1}},{"c":4,"d":3}])");
}

TEST(CanonicalJsonTest, ReescapesStringsLikePython) {
  EXPECT_EQ(Canonical(R"({"s":"caf\u00e9 \ud83d\ude80 \u007f/\/ \u0000\u001f\b\f"})"),
            R"({"s":"caf\u00e9 \ud83d\ude80 \u007f// \u0000\u001f\b\f"})");
  EXPECT_EQ(Canonical("\"\x7f\""), R"("\u007f")");
  EXPECT_EQ(Canonical("\"\xf0\x9f\x9a\x80 \xe6\x97\xa5\""), R"("\ud83d\ude80 \u65e5")");
  EXPECT_EQ(Canonical(R"("q\" bs\\ \t\n\r")"), R"("q\" bs\\ \t\n\r")");
}

TEST(CanonicalJsonTest, NumbersFollowPython) {
  EXPECT_EQ(Canonical("[1e-400,-1e-400,-0.0,-0,0e0,12345678901234567890123e-3, 1E+2]"),
            "[0.0,-0.0,-0.0,0,0.0,1.2345678901234567e+19,100.0]");
  EXPECT_EQ(Canonical("[123456789012345678901234567890,-9007199254740993,3e0,1e16,1e-5]"),
            "[123456789012345678901234567890,-9007199254740993,3.0,1e+16,1e-05]");
  EXPECT_EQ(Canonical("[1.7976931348623157e308,5e-324,2.4703282292062327e-324]"),
            "[1.7976931348623157e+308,5e-324,0.0]");
}

TEST(CanonicalJsonTest, IsIdempotent) {
  const std::string once = Canonical(ReadFile(kFixtures / "worlds" / "w40x40x20_s3.json"));
  ASSERT_EQ(once.rfind("ERROR", 0), std::string::npos) << once;
  EXPECT_EQ(Canonical(once), once);
}

TEST(CanonicalJsonTest, AcceptsNestingUpToTheLimit) {
  const std::string deepest = std::string(kMaxDocumentNestingDepth, '[') + std::string(kMaxDocumentNestingDepth, ']');
  EXPECT_EQ(Canonical(deepest), deepest);
}

// A number inside n arrays sits at depth n + 1, as simdjson counts it.
TEST(CanonicalJsonTest, AValueInsideTheDeepestContainerIsOneLevelDeeper) {
  const auto nested = [](int depth) { return std::string(depth, '[') + "1" + std::string(depth, ']'); };
  EXPECT_EQ(Canonical(nested(kMaxDocumentNestingDepth - 1)), nested(kMaxDocumentNestingDepth - 1));
  EXPECT_TRUE(Canonical(nested(kMaxDocumentNestingDepth)).starts_with("ERROR")) << "accepted";
}

}  // namespace
}  // namespace echelon::json
