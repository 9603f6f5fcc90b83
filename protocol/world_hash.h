// The canonical world hash (PROTOCOL.md, "World hash"). Clients name a world
// by the first 16 hex digits of sha256 over Python's
// `json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))`, and
// the server recomputes that hash on every PUT, so the canonical text here has
// to match Python's byte for byte: keys sorted by code point (a later duplicate
// wins), strings re-escaped to ASCII, integers kept exactly, floats in Python's
// repr. Bodies that Python would accept but that have no portable meaning
// (NaN, Infinity, a float literal beyond a double, a lone surrogate), as well
// as invalid JSON or UTF-8 and nesting deeper than kMaxJsonDepth, are
// InvalidArgument (HTTP 422) with a message naming the byte offset.
//
//   absl::StatusOr<std::string> hash = ComputeWorldHash(body);
//   if (!hash.ok()) return hash.status();                  // -> 422
//   if (*hash != hash_from_path) return MismatchError();   // -> 400
//
//   CanonicalJson(R"({"b": 1e0, "a": [-0, "\u00E9"]})")    // {"a":[0,"\u00e9"],"b":1.0}
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace echelon::world {

// Length of a world hash: 16 lowercase hex characters (64 bits of sha256).
inline constexpr size_t kWorldHashLength = 16;

// Arrays and objects may nest this deep; deeper bodies are rejected instead of
// risking the stack (Python itself gives up near its recursion limit of 1000).
inline constexpr int kMaxJsonDepth = 512;

// The canonical JSON text of `json_text`, as described above.
[[nodiscard]] absl::StatusOr<std::string> CanonicalJson(std::string_view json_text);

// sha256(CanonicalJson(json_text)) as lowercase hex, first kWorldHashLength
// characters.
[[nodiscard]] absl::StatusOr<std::string> ComputeWorldHash(std::string_view json_text);

// Whether `text` has the shape of a world hash (kWorldHashLength lowercase hex
// characters); for validating path parameters before any lookup.
[[nodiscard]] bool IsWellFormedWorldHash(std::string_view text);

}  // namespace echelon::world
