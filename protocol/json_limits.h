// The limits on untrusted JSON, in one place, each named after what it bounds.
// Every reader of JSON from outside (HTTP bodies, gRPC string fields carrying
// JSON, replay files, uploaded worlds) applies them: the canonicalizer behind
// the world hash (canonical_json.h) and the simdjson readers behind every
// codec (internal/json_reader.h) reject the same documents for nesting, and
// the JSON -> google.protobuf.Struct mapping (struct_json.h) adds the tighter
// bound protobuf needs.
//
// Depth of a value: the root value is at depth 1, and a value inside an array
// or object is one deeper than that container. So `1` and `[]` are 1 deep,
// `[1]` and `[[]]` 2. This is simdjson's count (its max_depth), which the
// canonicalizer follows too, so both refuse exactly the same documents.
//
//   if (depth > kMaxDocumentNestingDepth) return TooDeep();
#pragma once

namespace echelon::json {

// Deepest value of a whole JSON document (a world, a push body, a nav
// request), counted as above. Deeper documents are rejected before they can take the stack of a
// recursive reader; Python, whose json.loads defines the world hash, itself
// gives up near its recursion limit of 1000, so no world that hashes in Python
// and is shallower than this is refused.
inline constexpr int kMaxDocumentNestingDepth = 512;

// Deepest nesting of arrays and objects in one free-form value that becomes a
// protobuf Struct (a frame's events, a replay's meta or run), counted from
// that value, which is level 1 when it is an array or object; scalars add no
// level here (protobuf's own limit counts messages, not numbers). Each JSON
// level costs up to three protobuf message levels (Struct, map entry, Value),
// and protobuf refuses to decode messages nested deeper than 100, so deeper
// JSON would be accepted here and then fail on the gRPC receiver.
inline constexpr int kMaxStructNestingDepth = 30;

static_assert(kMaxStructNestingDepth < kMaxDocumentNestingDepth);

}  // namespace echelon::json
