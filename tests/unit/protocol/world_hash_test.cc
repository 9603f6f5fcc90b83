#include "protocol/world_hash.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

namespace echelon::world {
namespace {

const std::filesystem::path kFixtures = ECHELON_FIXTURES;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Canonical(std::string_view body) {
  absl::StatusOr<std::string> canonical = CanonicalJson(body);
  if (!canonical.ok()) return "ERROR: " + std::string(canonical.status().message());
  return *canonical;
}

TEST(WorldHashTest, MatchesEveryVector) {
  const nlohmann::json vectors = nlohmann::json::parse(ReadFile(kFixtures / "world_hash_vectors.json"));
  ASSERT_GT(vectors.size(), 0u);
  for (const auto& vector : vectors) {
    const std::string body = vector.at("body");
    absl::StatusOr<std::string> hash = ComputeWorldHash(body);
    ASSERT_TRUE(hash.ok()) << hash.status() << "\nbody: " << body.substr(0, 200);
    EXPECT_EQ(*hash, vector.at("hash").get<std::string>()) << "body: " << body.substr(0, 200);
  }
}

// Every fixture world hashes to the world_hash its recorded nav requests use.
TEST(WorldHashTest, MatchesFixtureWorlds) {
  int worlds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures / "worlds")) {
    const std::string name = entry.path().stem().string();
    const nlohmann::json paths = nlohmann::json::parse(ReadFile(kFixtures / "nav" / (name + ".paths.json")));
    std::set<std::string> expected;
    for (const auto& path : paths) expected.insert(path.at("request").at("world_hash").get<std::string>());
    ASSERT_EQ(expected.size(), 1u) << name;

    absl::StatusOr<std::string> hash = ComputeWorldHash(ReadFile(entry.path()));
    ASSERT_TRUE(hash.ok()) << name << ": " << hash.status();
    EXPECT_EQ(*hash, *expected.begin()) << name;
    EXPECT_TRUE(IsWellFormedWorldHash(*hash));
    ++worlds;
  }
  EXPECT_GE(worlds, 6);
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
  const std::string deepest = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_EQ(Canonical(deepest), deepest);
}

void ExpectRejected(std::string_view body, std::string_view message_part) {
  absl::StatusOr<std::string> hash = ComputeWorldHash(body);
  ASSERT_FALSE(hash.ok()) << "accepted: " << body.substr(0, 80);
  EXPECT_EQ(hash.status().code(), absl::StatusCode::kInvalidArgument) << hash.status();
  EXPECT_NE(std::string(hash.status().message()).find(message_part), std::string::npos)
      << "message: " << hash.status().message();
}

TEST(WorldHashRejectionTest, NonFiniteNumbers) {
  ExpectRejected(R"({"x":NaN})", "NaN");
  ExpectRejected(R"({"x":Infinity})", "Infinity");
  ExpectRejected(R"({"x":-Infinity})", "-Infinity is not allowed");
  ExpectRejected(R"({"x":Nope})", "expected a value");
  ExpectRejected(R"({"x":-Inf})", "expected a value");
  ExpectRejected(R"({"x":1e400})", "overflows a double");
  ExpectRejected(R"([-1.7976931348623159e308])", "overflows a double");
  ExpectRejected("[1e99999999999999999999999999]", "overflows a double");
}

TEST(WorldHashRejectionTest, LoneSurrogates) {
  ExpectRejected(R"(["\ud800"])", "lone surrogate \\ud800");
  ExpectRejected(R"(["\udc00"])", "lone surrogate \\udc00");
  ExpectRejected(R"(["\ud800x"])", "lone surrogate");
  ExpectRejected(R"(["\ud800\ud800"])", "lone surrogate");
  ExpectRejected(R"(["\ude80\ud83d"])", "lone surrogate");
  ExpectRejected(R"({"\uDBFF":1})", "lone surrogate");
}

TEST(WorldHashRejectionTest, InvalidUtf8) {
  ExpectRejected("[\"\xff\"]", "invalid UTF-8");
  ExpectRejected("[\"\xc3\"]", "invalid UTF-8");          // truncated
  ExpectRejected("[\"\xc0\xaf\"]", "invalid UTF-8");      // overlong '/'
  ExpectRejected("[\"\xe0\x80\xaf\"]", "invalid UTF-8");  // overlong '/'
  ExpectRejected("[\"\xed\xa0\x80\"]", "invalid UTF-8");  // encoded surrogate
  ExpectRejected("[\"\xf4\x90\x80\x80\"]", "invalid UTF-8");  // above U+10FFFF
  ExpectRejected("[\"\x80\"]", "invalid UTF-8");          // stray continuation byte
  ExpectRejected("[\xc3\xa9]", "expected a value");        // non-ASCII outside a string
}

TEST(WorldHashRejectionTest, InvalidJson) {
  ExpectRejected("", "empty body");
  ExpectRejected(" \n\t", "empty body");
  ExpectRejected(R"({"a":1} x)", "after the JSON value");
  ExpectRejected("{}{}", "after the JSON value");
  ExpectRejected("[1,]", "expected a value");
  ExpectRejected("[1 2]", "expected ',' or ']'");
  ExpectRejected(R"({"a" 1})", "expected ':'");
  ExpectRejected(R"({a:1})", "expected a string key");
  ExpectRejected(R"({"a":1,})", "expected a string key");
  ExpectRejected("[01]", "expected ',' or ']'");
  ExpectRejected("[1.]", "digit after '.'");
  ExpectRejected("[.5]", "expected a value");
  ExpectRejected("[+1]", "expected a value");
  ExpectRejected("[1e]", "digit in the exponent");
  ExpectRejected("[tru]", "expected a value");
  ExpectRejected(R"(["abc)", "close the string");
  ExpectRejected(R"(["\x"])", "invalid escape");
  ExpectRejected(R"(["\u12g4"])", "hex digits");
  ExpectRejected("[\"a\tb\"]", "control character 0x09");
  ExpectRejected(std::string("[\"a\0b\"]", 6), "control character 0x00");
  ExpectRejected("\xef\xbb\xbf{}", "byte order mark");
  ExpectRejected("[\f1]", "expected a value");  // only space, tab, CR and LF are whitespace
}

TEST(WorldHashRejectionTest, DeepNestingIsAnErrorNotACrash) {
  ExpectRejected(std::string(100000, '['), "nest deeper than 512");
  ExpectRejected(std::string(100000, '{'), "expected a string key");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  ExpectRejected(objects, "nest deeper than 512");
  ExpectRejected(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'), "nest deeper");
}

TEST(IsWellFormedWorldHashTest, AcceptsOnlySixteenLowercaseHexDigits) {
  EXPECT_TRUE(IsWellFormedWorldHash("909d7942a9b8f508"));
  EXPECT_FALSE(IsWellFormedWorldHash("909D7942A9B8F508"));
  EXPECT_FALSE(IsWellFormedWorldHash("909d7942a9b8f50"));
  EXPECT_FALSE(IsWellFormedWorldHash("909d7942a9b8f5080"));
  EXPECT_FALSE(IsWellFormedWorldHash("909d7942a9b8f50g"));
  EXPECT_FALSE(IsWellFormedWorldHash("../../etc/passwd"));
  EXPECT_FALSE(IsWellFormedWorldHash(""));
}

}  // namespace
}  // namespace echelon::world
