// Canonical JSON text as the world hash defines it (PROTOCOL.md, "World
// hash"): exactly what Python writes with
// `json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))`, byte
// for byte: keys sorted by code point (a later duplicate wins), strings
// re-escaped to ASCII, integers kept exactly, floats in Python's repr.
//
// Why this file has its own tokenizer instead of using the simdjson reader
// that every other codec shares (internal/json_reader.h): it must read number
// literals as text. Python keeps integers of any size exactly
// (123456789012345678901234567890 hashes as those 30 digits), and simdjson
// 3.0.1's DOM can only give such a literal as an approximate double. The rules
// are otherwise the shared ones: the same nesting limit
// (kMaxDocumentNestingDepth in json_limits.h) and the same UTF-8 rules
// (RFC 3629: no overlong forms, no encoded surrogates, nothing above
// U+10FFFF); tests/unit/protocol/json_rules_test.cc checks that both readers
// accept and reject alike.
//
// Bodies that Python would accept but that have no portable meaning (NaN,
// Infinity, a float literal beyond a double, a lone surrogate), as well as
// invalid JSON or UTF-8 and nesting deeper than kMaxDocumentNestingDepth, are
// InvalidArgument with a message naming the byte offset.
//
//   CanonicalJson(R"({"b": 1e0, "a": [-0, "\u00E9"]})")    // {"a":[0,"\u00e9"],"b":1.0}
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace echelon::json {

// The canonical JSON text of `json_text`, as described above.
[[nodiscard]] absl::StatusOr<std::string> CanonicalJson(std::string_view json_text);

}  // namespace echelon::json
