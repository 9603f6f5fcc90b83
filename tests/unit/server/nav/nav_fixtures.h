// Shared helpers of the nav tests: the fixture worlds and their goldens
// (tests/fixtures/worlds, tests/fixtures/nav), JSON comparison with the
// tolerances of issue 4, and world sources for NavCache.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/nav/nav_cache.h"

namespace echelon::nav::testing {

std::string ReadFile(const std::string& path);

// Names (file stems) of every world in fixtures/worlds, sorted.
std::vector<std::string> FixtureWorldNames();
std::string FixtureWorldJson(const std::string& name);
nlohmann::json GoldenGraph(const std::string& name);

struct PathCase {
  std::string world_hash;
  Vec3 start;
  Vec3 goal;
  nlohmann::json response;  // the reference's answer
};
std::vector<PathCase> GoldenPaths(const std::string& name);

// World hash (as used by the paths goldens) -> world JSON, for every fixture.
std::map<std::string, std::shared_ptr<const std::string>> FixtureWorldsByHash();

// A WorldSource over a fixed map; NotFound for other hashes.
NavCache::WorldSource MapSource(std::map<std::string, std::shared_ptr<const std::string>> worlds);

// Graph JSON equality: same nodes in the same order, same edges in the same
// order, numbers within 1e-9, floats still floats.
void ExpectGraphJsonMatches(const nlohmann::json& actual, const nlohmann::json& expected);

// Path answer equality: found/path/node_ids/length/visited exact, cost
// within 1e-9, error text exact, no extra or missing keys.
void ExpectPathJsonMatches(const nlohmann::json& actual, const nlohmann::json& expected);

}  // namespace echelon::nav::testing
