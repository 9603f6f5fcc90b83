#include "protocol/json_text.h"

#include <gtest/gtest.h>

namespace echelon::json {
namespace {

TEST(MinifyJsonTest, RemovesWhitespaceOutsideStringsOnly) {
  EXPECT_EQ(MinifyJson(" [ {\"a b\" :\t1.50 ,\n \"c\": \" x \\\" y \"} ]\r\n"), R"([{"a b":1.50,"c":" x \" y "}])");
}

TEST(MinifyJsonTest, KeepsNumbersAndEscapesAsWritten) {
  EXPECT_EQ(MinifyJson("[1E+2, -0.0, 123456789012345678901234567890, \"\\u00e9\"]"),
            R"([1E+2,-0.0,123456789012345678901234567890,"\u00e9"])");
}

TEST(MinifyJsonTest, LeavesTextWithAnOpenStringUnchanged) {
  EXPECT_EQ(MinifyJson("[\"a , b"), "[\"a , b");
  EXPECT_EQ(MinifyJson(""), "");
}

TEST(CountArrayElementsTest, CountsTopLevelElementsOnly) {
  EXPECT_EQ(CountArrayElements("[]"), 0u);
  EXPECT_EQ(CountArrayElements("[1]"), 1u);
  EXPECT_EQ(CountArrayElements(R"([{"a":[1,2,3]},{"b":"x,y]"},[4,5]])"), 3u);
  EXPECT_EQ(CountArrayElements(R"(["a\"b,c",2])"), 2u);
  EXPECT_EQ(CountArrayElements(R"(["x"])"), 1u);
}

}  // namespace
}  // namespace echelon::json
