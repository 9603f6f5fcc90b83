#include "tests/unit/server/nav/nav_fixtures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace echelon::nav::testing {
namespace {

const std::string kFixtures = ECHELON_FIXTURES;

Vec3 ToVec3(const nlohmann::json& array) {
  return {array.at(0).get<double>(), array.at(1).get<double>(), array.at(2).get<double>()};
}

// Recursive comparison; `where` names the spot of a mismatch.
void ExpectJsonNear(const nlohmann::json& actual, const nlohmann::json& expected, double tolerance,
                    const std::string& where) {
  if (expected.is_number_float() || actual.is_number_float()) {
    ASSERT_EQ(actual.is_number_float(), expected.is_number_float()) << where << ": " << actual << " vs " << expected;
    EXPECT_NEAR(actual.get<double>(), expected.get<double>(), tolerance) << where;
    return;
  }
  if (expected.is_number_integer()) {  // signed or unsigned alike
    ASSERT_TRUE(actual.is_number_integer()) << where << ": " << actual << " vs " << expected;
    EXPECT_EQ(actual.get<int64_t>(), expected.get<int64_t>()) << where;
    return;
  }
  ASSERT_EQ(actual.type(), expected.type()) << where << ": " << actual << " vs " << expected;
  if (expected.is_array()) {
    ASSERT_EQ(actual.size(), expected.size()) << where;
    for (size_t i = 0; i < expected.size(); ++i) {
      ExpectJsonNear(actual[i], expected[i], tolerance, where + "[" + std::to_string(i) + "]");
    }
  } else if (expected.is_object()) {
    ASSERT_EQ(actual.size(), expected.size()) << where << ": " << actual.dump().substr(0, 200);
    for (const auto& [key, value] : expected.items()) {
      ASSERT_TRUE(actual.contains(key)) << where << ": missing " << key;
      ExpectJsonNear(actual[key], value, tolerance, where + "." + key);
    }
  } else {
    EXPECT_EQ(actual, expected) << where;
  }
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> FixtureWorldNames() {
  std::vector<std::string> names;
  for (const auto& file : std::filesystem::directory_iterator(kFixtures + "/worlds")) {
    if (file.path().extension() == ".json") names.push_back(file.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string FixtureWorldJson(const std::string& name) { return ReadFile(kFixtures + "/worlds/" + name + ".json"); }

nlohmann::json GoldenGraph(const std::string& name) {
  return nlohmann::json::parse(ReadFile(kFixtures + "/nav/" + name + ".graph.json"));
}

std::vector<PathCase> GoldenPaths(const std::string& name) {
  std::vector<PathCase> cases;
  for (const auto& item : nlohmann::json::parse(ReadFile(kFixtures + "/nav/" + name + ".paths.json"))) {
    const auto& request = item.at("request");
    cases.push_back({request.at("world_hash").get<std::string>(), ToVec3(request.at("start_pos")),
                     ToVec3(request.at("goal_pos")), item.at("response")});
  }
  return cases;
}

std::map<std::string, std::shared_ptr<const std::string>> FixtureWorldsByHash() {
  std::map<std::string, std::shared_ptr<const std::string>> worlds;
  for (const std::string& name : FixtureWorldNames()) {
    const std::vector<PathCase> cases = GoldenPaths(name);
    if (cases.empty()) continue;
    worlds[cases.front().world_hash] = std::make_shared<const std::string>(FixtureWorldJson(name));
  }
  return worlds;
}

NavCache::WorldSource MapSource(std::map<std::string, std::shared_ptr<const std::string>> worlds) {
  return [worlds = std::move(worlds)](const std::string& hash) -> absl::StatusOr<std::shared_ptr<const std::string>> {
    auto it = worlds.find(hash);
    if (it == worlds.end()) return absl::NotFoundError("world " + hash + " not stored");
    return it->second;
  };
}

void ExpectGraphJsonMatches(const nlohmann::json& actual, const nlohmann::json& expected) {
  ExpectJsonNear(actual, expected, 1e-9, "graph");
}

void ExpectPathJsonMatches(const nlohmann::json& actual, const nlohmann::json& expected) {
  // Everything exact except the cost.
  nlohmann::json actual_rest = actual;
  nlohmann::json expected_rest = expected;
  if (expected.contains("stats")) {
    ASSERT_TRUE(actual.contains("stats")) << actual;
    ASSERT_TRUE(actual["stats"]["cost"].is_number_float()) << actual;
    EXPECT_NEAR(actual["stats"]["cost"].get<double>(), expected["stats"]["cost"].get<double>(), 1e-9);
    actual_rest["stats"].erase("cost");
    expected_rest["stats"].erase("cost");
  }
  ExpectJsonNear(actual_rest, expected_rest, 0.0, "path");
}

}  // namespace echelon::nav::testing
