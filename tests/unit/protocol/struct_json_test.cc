#include "protocol/struct_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/match.h"
#include "json_test_util.h"

namespace echelon::json {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using google::protobuf::util::MessageDifferencer;

std::string RoundTrip(std::string_view json) {
  absl::StatusOr<Value> value = ParseValueJson(json);
  EXPECT_TRUE(value.ok()) << value.status() << " for " << json;
  return value.ok() ? ValueToJson(*value) : "";
}

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(StructJsonTest, RendersCompactWithSortedKeys) {
  EXPECT_EQ(RoundTrip(R"( { "b" : [1, 2.5, "x y", true, null, {}, []], "a": {"z": 0, "c": -1} } )"),
            R"({"a":{"c":-1,"z":0},"b":[1,2.5,"x y",true,null,{},[]]})");
}

TEST(StructJsonTest, WholeNumbersBelow2To53AreIntegers) {
  EXPECT_EQ(RoundTrip("1.0"), "1");
  EXPECT_EQ(RoundTrip("-42"), "-42");
  EXPECT_EQ(RoundTrip("12.0"), "12");
  EXPECT_EQ(RoundTrip("9007199254740991"), "9007199254740991");
  EXPECT_EQ(RoundTrip("0"), "0");
}

TEST(StructJsonTest, OtherNumbersAreShortestRepr) {
  EXPECT_EQ(RoundTrip("0.1"), "0.1");
  EXPECT_EQ(RoundTrip("-0.0"), "-0.0");
  EXPECT_EQ(RoundTrip("9007199254740992"), "9007199254740992.0");
  EXPECT_EQ(RoundTrip("1e16"), "1e+16");
  EXPECT_EQ(RoundTrip("1e300"), "1e+300");
  EXPECT_EQ(RoundTrip("5e-324"), "5e-324");
  EXPECT_EQ(RoundTrip("12.750000000000046"), "12.750000000000046");
  EXPECT_EQ(RoundTrip("18446744073709551615"), "1.8446744073709552e+19");
}

TEST(StructJsonTest, IntegersBeyond64BitsBecomeDoubles) {
  EXPECT_EQ(RoundTrip("123456789012345678901234567890"), "1.2345678901234568e+29");
  EXPECT_EQ(RoundTrip("-123456789012345678901234567890"), "-1.2345678901234568e+29");
  EXPECT_EQ(RoundTrip(R"({"seed":243799254704924441050048792905230269161,"s":"12345678901234567890123"})"),
            R"({"s":"12345678901234567890123","seed":2.4379925470492442e+38})");
  // A float literal that overflows stays an error.
  EXPECT_FALSE(ParseValueJson("1e400").ok());
  EXPECT_FALSE(ParseValueJson("[123456789012345678901234567890, 1e400]").ok());
}

TEST(StructJsonTest, NonFiniteNumbersRenderAsNull) {
  Value value;
  value.set_number_value(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(ValueToJson(value), "null");
  value.set_number_value(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(ValueToJson(value), "null");
  EXPECT_EQ(ValueToJson(Value()), "null");
}

TEST(StructJsonTest, StringsKeepUnicodeAndEscapeControls) {
  EXPECT_EQ(RoundTrip(R"("caf\u00e9 🚀 \u2028 \" \\ / \n \u0000 \u001f")"),
            "\"café 🚀 \u2028 \\\" \\\\ / \\n \\u0000 \\u001f\"");
  EXPECT_EQ(RoundTrip(R"("\ud83d\ude80")"), "\"🚀\"");
}

TEST(StructJsonTest, LaterDuplicateKeyWins) {
  EXPECT_EQ(RoundTrip(R"({"a":{"x":1},"b":1,"a":{"y":2}})"), R"({"a":{"y":2},"b":1})");
  EXPECT_EQ(RoundTrip(R"({"a":[1,2],"a":[3]})"), R"({"a":[3]})");
}

TEST(StructJsonTest, StructAndListEntryPoints) {
  absl::StatusOr<Struct> object = ParseStructJson(R"({"map":"pit","n":3})");
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(object->fields().at("map").string_value(), "pit");
  EXPECT_EQ(StructToJson(*object), R"({"map":"pit","n":3})");
  EXPECT_EQ(ParseStructJson("[1]").status().message(), "JSON is not an object");

  absl::StatusOr<google::protobuf::ListValue> list = ParseListValueJson("[1,\"a\"]");
  ASSERT_TRUE(list.ok()) << list.status();
  std::string out;
  AppendListValueJson(*list, out);
  EXPECT_EQ(out, R"([1,"a"])");
  EXPECT_EQ(ParseListValueJson("{}").status().message(), "JSON is not an array");
}

TEST(StructJsonTest, StructSurvivesJsonRoundTrip) {
  absl::StatusOr<Struct> object =
      ParseStructJson(R"({"a":[0.5,-3,{"b":null,"c":[true,false]}],"d":"é","e":1e-7,"f":{}})");
  ASSERT_TRUE(object.ok()) << object.status();
  absl::StatusOr<Struct> again = ParseStructJson(StructToJson(*object));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*object, *again));
}

TEST(StructJsonTest, DepthLimit) {
  EXPECT_TRUE(ParseValueJson(Nested(kMaxStructNestingDepth)).ok());
  absl::StatusOr<Value> too_deep = ParseValueJson(Nested(kMaxStructNestingDepth + 1));
  EXPECT_EQ(too_deep.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(too_deep.status().message(), "JSON nested deeper than 30 levels");
  // Far beyond simdjson's own limit: still a clean error, no stack overflow.
  EXPECT_EQ(ParseValueJson(Nested(100000)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StructJsonTest, MaximumDepthStillDecodesAsProtobuf) {
  std::string json = "1";
  for (int i = 0; i < kMaxStructNestingDepth; ++i) json = R"({"k":)" + json + "}";
  absl::StatusOr<Struct> object = ParseStructJson(json);
  ASSERT_TRUE(object.ok()) << object.status();
  Struct decoded;
  EXPECT_TRUE(decoded.ParseFromString(object->SerializeAsString()));
}

TEST(StructJsonTest, RejectsInvalidJson) {
  for (std::string_view bad : {"", "{", "[1,]", "{\"a\" 1}", "nul", "01", "1 2", "\"\xff\"", "\"\\ud800\"",
                               "{\"a\":1}x", "NaN", "\"a\tb\""}) {
    absl::StatusOr<Value> value = ParseValueJson(bad);
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(value.status().message(), "invalid JSON: ")) << value.status();
  }
}

}  // namespace
}  // namespace echelon::json
