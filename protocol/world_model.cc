#include "protocol/world_model.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "protocol/internal/json_reader.h"

namespace echelon::world {
namespace {

namespace od = simdjson::ondemand;

// simdjson's On-Demand API only parses what we touch: keys we do not know
// (a huge "seed", free-form "meta") are skipped without being converted,
// so integers beyond 64 bits elsewhere in the world never cause a rejection.

// (Debian's abseil has its own string_view type, hence std::string here.)
absl::Status FieldError(std::string_view field, std::string_view what) {
  std::string message(field);
  message.append(": ").append(what);
  return absl::InvalidArgumentError(message);
}

// Reads an integral JSON number: an integer, or a float whose value is whole
// ("3.0"). `field` is only evaluated on error, so the hot wall loop never
// formats strings.
template <typename FieldName>
absl::StatusOr<int64_t> ReadIntegral(od::value value, const FieldName& field) {
  // The type is asked first and the value read with the matching getter:
  // simdjson 3.0's get_number() yields 0.0 for floats of 19+ significant
  // digits ("199999999999999999999.0"), which would turn them into wall 0.
  od::number_type type;
  if (value.get_number_type().get(type) != simdjson::SUCCESS) {
    return FieldError(field(), "expected an integer");
  }
  switch (type) {
    case od::number_type::signed_integer: {
      int64_t integer = 0;
      if (value.get_int64().get(integer) != simdjson::SUCCESS) {
        return FieldError(field(), "integer out of range");
      }
      return integer;
    }
    case od::number_type::unsigned_integer:
      return FieldError(field(), "integer out of range");
    case od::number_type::floating_point_number:
      break;
  }
  double d = 0;
  if (value.get_double().get(d) != simdjson::SUCCESS) return FieldError(field(), "expected an integer");
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  constexpr double kLimit = 9223372036854775808.0;
  if (!std::isfinite(d) || d != std::floor(d)) return FieldError(field(), "expected an integer");
  if (d >= kLimit || d < -kLimit) return FieldError(field(), "integer out of range");
  return static_cast<int64_t>(d);
}

absl::Status ParseSize(od::value value, const WorldLimits& limits, WorldModel& world) {
  constexpr std::string_view kShape = "expected an array of 3 positive integers";
  od::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return FieldError("size", kShape);
  int64_t dims[3] = {0, 0, 0};
  int count = 0;
  for (auto element : array) {
    od::value item;
    if (element.get(item) != simdjson::SUCCESS || count == 3) return FieldError("size", kShape);
    const int index = count;
    absl::StatusOr<int64_t> dim = ReadIntegral(item, [&] { return absl::StrCat("size[", index, "]"); });
    if (!dim.ok()) return dim.status();
    if (*dim <= 0) return FieldError(absl::StrCat("size[", index, "]"), "must be positive");
    if (*dim > limits.max_dimension) {
      return FieldError(absl::StrCat("size[", index, "]"),
                        absl::StrCat(*dim, " exceeds the limit of ", limits.max_dimension));
    }
    dims[count++] = *dim;
  }
  if (count != 3) return FieldError("size", kShape);
  const int64_t cells = dims[0] * dims[1] * dims[2];  // each <= max_dimension: no overflow
  if (cells > limits.max_cells) {
    return FieldError("size", absl::StrCat(cells, " cells exceed the limit of ", limits.max_cells));
  }
  world.size_x = static_cast<int>(dims[0]);
  world.size_y = static_cast<int>(dims[1]);
  world.size_z = static_cast<int>(dims[2]);
  return absl::OkStatus();
}

absl::Status ParseWall(od::value value, size_t index, Wall& wall) {
  auto field = [&] { return absl::StrCat("walls[", index, "]"); };
  constexpr std::string_view kShape = "expected 3 or 4 integral numbers";
  od::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return FieldError(field(), kShape);
  int64_t numbers[4] = {0, 0, 0, 1};  // a wall of 3 numbers has type 1
  int count = 0;
  for (auto element : array) {
    od::value item;
    if (element.get(item) != simdjson::SUCCESS || count == 4) return FieldError(field(), kShape);
    absl::StatusOr<int64_t> number = ReadIntegral(item, field);
    if (!number.ok()) return number.status();
    numbers[count++] = *number;
  }
  if (count < 3) return FieldError(field(), kShape);
  if (numbers[3] < 0 || numbers[3] > 255) {
    return FieldError(field(), absl::StrCat("voxel type ", numbers[3], " outside 0-255"));
  }
  wall = Wall{numbers[0], numbers[1], numbers[2], static_cast<int>(numbers[3])};
  return absl::OkStatus();
}

absl::Status ParseWalls(od::value value, const WorldLimits& limits, WorldModel& world) {
  od::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return FieldError("walls", "expected an array");
  }
  world.walls.clear();  // a later duplicate "walls" key wins
  for (auto element : array) {
    od::value item;
    if (element.get(item) != simdjson::SUCCESS) return FieldError("walls", "malformed array");
    if (static_cast<int64_t>(world.walls.size()) >= limits.max_walls) {
      return FieldError("walls", absl::StrCat("more than ", limits.max_walls, " walls"));
    }
    Wall wall;
    if (absl::Status status = ParseWall(item, world.walls.size(), wall); !status.ok()) return status;
    world.walls.push_back(wall);
  }
  return absl::OkStatus();
}

absl::Status ParseVoxelSize(od::value value, WorldModel& world) {
  double size = 0;
  if (value.get_double().get(size) != simdjson::SUCCESS || !std::isfinite(size) || size <= 0) {
    return FieldError("voxel_size_m", "expected a positive number");
  }
  world.voxel_size = size;
  return absl::OkStatus();
}

// meta is free-form: only meta.validator.clearance_z is read, and only when
// meta and validator are objects. A later "meta" or "validator" replaces an
// earlier one, as in Python's json.loads: one without clearance_z brings the
// default back.
absl::Status ParseMeta(od::value value, WorldModel& world) {
  world.clearance_z = WorldModel{}.clearance_z;
  od::object meta;
  if (value.get_object().get(meta) != simdjson::SUCCESS) return absl::OkStatus();
  for (auto meta_field : meta) {
    std::string_view key;
    if (meta_field.unescaped_key().get(key) != simdjson::SUCCESS) return FieldError("meta", "malformed");
    if (key != "validator") continue;
    world.clearance_z = WorldModel{}.clearance_z;
    od::object validator;
    if (meta_field.value().get_object().get(validator) != simdjson::SUCCESS) continue;
    for (auto validator_field : validator) {
      if (validator_field.unescaped_key().get(key) != simdjson::SUCCESS) {
        return FieldError("meta.validator", "malformed");
      }
      if (key != "clearance_z") continue;
      constexpr std::string_view kField = "meta.validator.clearance_z";
      absl::StatusOr<int64_t> clearance =
          ReadIntegral(validator_field.value(), [&] { return std::string(kField); });
      if (!clearance.ok()) return clearance.status();
      if (*clearance < std::numeric_limits<int>::min() || *clearance > std::numeric_limits<int>::max()) {
        return FieldError(kField, "integer out of range");
      }
      world.clearance_z = static_cast<int>(*clearance);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WorldModel> ParseWorld(std::string_view json, const WorldLimits& limits) {
  // The shared reader: same depth limit and UTF-8 rules as every codec, and
  // parser buffers pooled across worlds.
  json::internal::ParserLease parser;
  absl::StatusOr<od::document> iterated = parser.Iterate(json);
  if (!iterated.ok()) return FieldError("world", std::string(iterated.status().message()));
  od::document& doc = *iterated;
  od::object root;
  if (auto error = doc.get_object().get(root); error != simdjson::SUCCESS) {
    if (error == simdjson::INCORRECT_TYPE) return FieldError("world", "expected a JSON object");
    return FieldError("world", absl::StrCat("invalid JSON (", simdjson::error_message(error), ")"));
  }

  WorldModel world;
  bool have_size = false;
  bool have_walls = false;
  // Iterating the fields in order (rather than looking keys up) makes a later
  // duplicate key win, as in Python's json.loads.
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError("world: malformed JSON object");
    }
    absl::Status status;
    if (key == "size") {
      status = ParseSize(field.value(), limits, world);
      have_size = true;
    } else if (key == "walls") {
      status = ParseWalls(field.value(), limits, world);
      have_walls = true;
    } else if (key == "voxel_size_m") {
      status = ParseVoxelSize(field.value(), world);
    } else if (key == "meta") {
      status = ParseMeta(field.value(), world);
    }
    if (!status.ok()) return status;
  }
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) return absl::InvalidArgumentError("world: malformed JSON (trailing content)");
  if (!have_size) return FieldError("size", "required");
  if (!have_walls) return FieldError("walls", "required");
  return world;
}

}  // namespace echelon::world
