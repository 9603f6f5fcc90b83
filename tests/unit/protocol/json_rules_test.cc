// The two readers of untrusted JSON in protocol/ must apply the same rules:
// the canonicalizer of the world hash (its own tokenizer, which keeps number
// literals as text) and the simdjson reader behind every codec. A document one
// accepts and the other refuses would hash but not parse, or the other way
// round. These cases pin the shared limits (json_limits.h) and the UTF-8,
// escape, number and structure rules on both.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/canonical_json.h"
#include "protocol/internal/json_reader.h"
#include "protocol/json_limits.h"

namespace echelon::json {
namespace {

std::string NestedArrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string NestedObjects(int depth) {
  std::string json = "1";
  for (int i = 0; i < depth; ++i) json = R"({"k":)" + json + "}";
  return json;
}

struct Verdicts {
  bool canonical = false;
  bool reader = false;
};

Verdicts Judge(const std::string& json) {
  internal::ParserLease parser;
  return {CanonicalJson(json).ok(), parser.ParseDom(json).ok()};
}

void ExpectBothAccept(const std::vector<std::string>& documents) {
  for (const std::string& json : documents) {
    const Verdicts v = Judge(json);
    EXPECT_TRUE(v.canonical && v.reader) << "canonical " << v.canonical << ", reader " << v.reader << ": "
                                         << json.substr(0, 60);
  }
}

void ExpectBothReject(const std::vector<std::string>& documents) {
  for (const std::string& json : documents) {
    const Verdicts v = Judge(json);
    EXPECT_TRUE(!v.canonical && !v.reader) << "canonical " << v.canonical << ", reader " << v.reader << ": "
                                           << json.substr(0, 60);
  }
}

TEST(JsonRulesTest, SameDocumentNestingLimit) {
  // NestedObjects(n) holds a number at depth n + 1.
  ExpectBothAccept({NestedArrays(kMaxDocumentNestingDepth), NestedObjects(kMaxDocumentNestingDepth - 1),
                    "[" + NestedArrays(kMaxDocumentNestingDepth - 1) + ",1]"});
  ExpectBothReject({NestedArrays(kMaxDocumentNestingDepth + 1), NestedObjects(kMaxDocumentNestingDepth),
                    std::string(kMaxDocumentNestingDepth, '[') + "1" + std::string(kMaxDocumentNestingDepth, ']'),
                    std::string(100000, '[')});
}

TEST(JsonRulesTest, SameUtf8Rules) {
  ExpectBothAccept({"\"\xc3\xa9\"", "\"\xe6\x97\xa5\"", "\"\xf0\x9f\x9a\x80\"", "\"\xf4\x8f\xbf\xbf\"",
                    "\"\xed\x9f\xbf\"", "\"\xee\x80\x80\"", R"("\ud83d\ude80")"});
  ExpectBothReject({"\"\xff\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"",
                    "\"\xf4\x90\x80\x80\"", "\"\x80\"", "\xef\xbb\xbf{}", R"(["\ud800"])", R"(["\udc00"])",
                    R"(["\ud800x"])", R"(["\ud800\u0041"])"});
}

TEST(JsonRulesTest, SameNumberRules) {
  // Integers beyond 64 bits are numbers to both (Python reads them), a float
  // that underflows is zero; one that overflows a double, and the
  // non-standard words, are errors.
  ExpectBothAccept({"123456789012345678901234567890", "[-123456789012345678901234567890]", "1e-400", "-0", "0.5E+3"});
  ExpectBothReject({"1e400", "[-1.7976931348623159e308]", "NaN", "Infinity", "[-Infinity]", "01", "1.", ".5", "+1",
                    "[1e]"});
}

TEST(JsonRulesTest, SameStructureRules) {
  ExpectBothAccept({" {\"a\" : [ ] }\n", "\"\"", "null", "{\"a\":1,\"a\":2}"});
  ExpectBothReject({"", " ", "{}{}", "[1,]", "{\"a\":1,}", "{a:1}", "[\f1]", "\"a\tb\"", "[\"\\x\"]",
                    "[\"\\u12g4\"]", "[tru]", "[1 2]"});
}

}  // namespace
}  // namespace echelon::json
