#include "protocol/world_hash.h"

#include "protocol/json_limits.h"

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
  constexpr int kTooDeep = json::kMaxDocumentNestingDepth + 1;
  ExpectRejected(std::string(kTooDeep, '[') + std::string(kTooDeep, ']'), "nest deeper");
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
