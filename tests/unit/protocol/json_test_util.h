// Helpers for the protocol/ tests: fixture loading and JSON content
// comparison (keys in any order, numbers equal as doubles), which is what
// "the same JSON content" means for the codecs.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace echelon::json::testing {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::filesystem::path> FixtureReplays() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(ECHELON_FIXTURES) + "/replays")) {
    if (entry.path().string().ends_with(".replay.json")) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Empty when equal, else the JSON pointer of the first difference.
inline std::string FirstDifference(const nlohmann::json& a, const nlohmann::json& b, const std::string& path = "") {
  if (a.is_number() && b.is_number()) {
    return a.get<double>() == b.get<double>() ? "" : path + ": " + a.dump() + " vs " + b.dump();
  }
  if (a.type() != b.type()) return path + ": " + a.dump() + " vs " + b.dump();
  if (a.is_object()) {
    if (a.size() != b.size()) return path + ": " + std::to_string(a.size()) + " keys vs " + std::to_string(b.size());
    for (const auto& [key, value] : a.items()) {
      if (!b.contains(key)) return path + "/" + key + ": missing";
      std::string diff = FirstDifference(value, b.at(key), path + "/" + key);
      if (!diff.empty()) return diff;
    }
    return "";
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return path + ": " + std::to_string(a.size()) + " items vs " + std::to_string(b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      std::string diff = FirstDifference(a[i], b[i], path + "/" + std::to_string(i));
      if (!diff.empty()) return diff;
    }
    return "";
  }
  return a == b ? "" : path + ": " + a.dump() + " vs " + b.dump();
}

inline ::testing::AssertionResult SameJson(const std::string& expected, const std::string& actual) {
  nlohmann::json a;
  nlohmann::json b;
  try {
    a = nlohmann::json::parse(expected);
    b = nlohmann::json::parse(actual);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "not JSON: " << e.what() << "\n" << actual.substr(0, 500);
  }
  const std::string diff = FirstDifference(a, b);
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "JSON differs at " << diff << "\nexpected: " << expected.substr(0, 500)
                                       << "\nactual:   " << actual.substr(0, 500);
}

}  // namespace echelon::json::testing
