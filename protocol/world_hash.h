// The world hash (PROTOCOL.md, "World hash"). Clients name a world by the
// first 16 hex digits of sha256 over the world's canonical JSON text
// (canonical_json.h: Python's sorted, compact json.dumps), and the server
// recomputes that hash on every PUT. Bodies that have no canonical text
// (invalid JSON or UTF-8, NaN, nesting too deep, ...) are InvalidArgument
// (HTTP 422) with the canonicalizer's message, which names the byte offset.
//
//   absl::StatusOr<std::string> hash = ComputeWorldHash(body);
//   if (!hash.ok()) return hash.status();                  // -> 422
//   if (*hash != hash_from_path) return MismatchError();   // -> 400
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace echelon::world {

// Length of a world hash: 16 lowercase hex characters (64 bits of sha256).
inline constexpr size_t kWorldHashLength = 16;

// sha256(json::CanonicalJson(json_text)) as lowercase hex, first
// kWorldHashLength characters.
[[nodiscard]] absl::StatusOr<std::string> ComputeWorldHash(std::string_view json_text);

// Whether `text` has the shape of a world hash (kWorldHashLength lowercase hex
// characters); for validating path parameters before any lookup.
[[nodiscard]] bool IsWellFormedWorldHash(std::string_view text);

}  // namespace echelon::world
