// simdjson plumbing shared by the codecs in server/json: validated DOM parsing
// with pooled parsers, the raw text of a top-level value, and minifying.
//
// Parsers are pooled because a DOM plus an on-demand simdjson parser sized for
// a 1-2 MB push body allocate about 20 bytes per input byte: too much to keep
// per thread (the gateway runs many), too slow to allocate per call (the page
// faults cost milliseconds). See kMaxPooledParsers in dom.cc.
//
//   internal::ParserLease parser;
//   ECHELON_ASSIGN_OR_RETURN(simdjson::dom::element root, parser.ParseDom(body));
//   ECHELON_ASSIGN_OR_RETURN(std::string_view frames, parser.TopLevelValueText(body, "frames"));
//   std::string compact = internal::MinifyJson(frames);
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

  // The text of the array or object that is the value of `key` in the
  // top-level object `json` (the last one when the key repeats), without
  // surrounding whitespace; NotFound when absent. `json` must already have
  // passed ParseDom: the on-demand scan used here skips values unchecked.
  [[nodiscard]] absl::StatusOr<std::string_view> TopLevelValueText(std::string_view json, std::string_view key);

  struct Parsers;  // opaque; declared here so that the pool in dom.cc can hold it

 private:
  std::unique_ptr<Parsers> parsers_;
};

// Removes the whitespace outside strings of valid JSON text.
std::string MinifyJson(std::string_view json);

// InvalidArgument "invalid JSON: <simdjson's reason>".
absl::Status InvalidJsonError(simdjson::error_code error);

}  // namespace echelon::json::internal
