// The one reader of untrusted JSON in the protocol library: every codec
// (Struct, frames, push bodies, SSE event data, nav requests, replay
// documents) and the world parser read through a ParserLease, so all of them
// share one set of rules: simdjson's full validation (structure, RFC 3629
// UTF-8, escapes, numbers) and the nesting limit kMaxDocumentNestingDepth
// (json_limits.h). Only the canonicalizer of the world hash has its own
// tokenizer, for the reason given in canonical_json.h.
//
// Parsers are pooled because a DOM plus an on-demand simdjson parser sized for
// a 1-2 MB push body allocate about 20 bytes per input byte: too much to keep
// per thread (the gateway runs many), too slow to allocate per call (the page
// faults cost milliseconds). See kMaxPooledParsers in json_reader.cc.
//
//   internal::ParserLease parser;
//   ECHELON_ASSIGN_OR_RETURN(simdjson::dom::element root, parser.ParseDom(body));
//   ECHELON_ASSIGN_OR_RETURN(std::string_view frames, parser.TopLevelValueText(body, "frames"));
//   ECHELON_ASSIGN_OR_RETURN(simdjson::ondemand::document doc, parser.Iterate(world_body));
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace echelon::json::internal {

// Exclusive use of one set of simdjson parsers, taken from a small process-wide
// pool and handed back (or freed, when the pool is full or the parsers grew
// very large) on destruction.
class ParserLease {
 public:
  ParserLease();
  ~ParserLease();
  ParserLease(const ParserLease&) = delete;
  ParserLease& operator=(const ParserLease&) = delete;

  // Parses and fully validates `json`: structure, UTF-8, escapes, numbers.
  // Integers beyond 64 bits are read as the nearest double (as Python's and
  // JavaScript's readers give them a value too) instead of being rejected.
  // The element stays valid until the next ParseDom call on this lease.
  [[nodiscard]] absl::StatusOr<simdjson::dom::element> ParseDom(std::string_view json);

  // Starts an on-demand walk over a copy of `json` held by the lease (simdjson
  // needs padding after the input), for readers that pick a few fields out of
  // a large document without building a DOM. On demand validates only what is
  // walked: keys and values the caller skips are checked for structure, not
  // content. The document stays valid until the next Iterate call on this
  // lease.
  [[nodiscard]] absl::StatusOr<simdjson::ondemand::document> Iterate(std::string_view json);
  // The same without the copy, for documents too large to hold twice (replay
  // files): `json` grows its capacity (not its size) to make room for the
  // padding, and views taken from the document point into it.
  [[nodiscard]] absl::StatusOr<simdjson::ondemand::document> IterateInPlace(std::string& json);

  // The text of the array or object that is the value of `key` in the
  // top-level object `json` (the last one when the key repeats), without
  // surrounding whitespace; NotFound when absent. `json` must already have
  // passed ParseDom: the on-demand scan used here skips values unchecked.
  [[nodiscard]] absl::StatusOr<std::string_view> TopLevelValueText(std::string_view json, std::string_view key);

  // `json` without whitespace outside strings (simdjson::minify; text with an
  // unterminated string is returned as is), written into a buffer the lease
  // keeps warm, so a megabyte of output costs no fresh pages. The view is
  // valid until the next Minify, Iterate or TopLevelValueText on this lease.
  [[nodiscard]] std::string_view Minify(std::string_view json);

  struct Parsers;  // opaque; declared here so that the pool in json_reader.cc can hold it

 private:
  std::unique_ptr<Parsers> parsers_;
};

// InvalidArgument "invalid JSON: <simdjson's reason>".
absl::Status InvalidJsonError(simdjson::error_code error);

}  // namespace echelon::json::internal
