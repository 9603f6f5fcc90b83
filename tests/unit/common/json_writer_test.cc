#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <limits>

namespace echelon {
namespace {

std::string Dbl(double v) {
  std::string out;
  AppendJsonDouble(out, v);
  return out;
}

TEST(JsonWriterTest, DoublesFollowPythonRepr) {
  EXPECT_EQ(Dbl(1.0), "1.0");
  EXPECT_EQ(Dbl(-0.0), "-0.0");
  EXPECT_EQ(Dbl(0.0), "0.0");
  EXPECT_EQ(Dbl(100.0), "100.0");
  EXPECT_EQ(Dbl(1e15), "1000000000000000.0");
  EXPECT_EQ(Dbl(1e16), "1e+16");
  EXPECT_EQ(Dbl(1e22), "1e+22");
  EXPECT_EQ(Dbl(0.0001), "0.0001");
  EXPECT_EQ(Dbl(1e-5), "1e-05");
  EXPECT_EQ(Dbl(1.5e-5), "1.5e-05");
  EXPECT_EQ(Dbl(0.1), "0.1");
  EXPECT_EQ(Dbl(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(Dbl(123456789.12345679), "123456789.12345679");
  EXPECT_EQ(Dbl(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(Dbl(5e-324), "5e-324");
  EXPECT_EQ(Dbl(2500.0), "2500.0");
  EXPECT_EQ(Dbl(1.5000000000000007), "1.5000000000000007");
  EXPECT_EQ(Dbl(std::numeric_limits<double>::quiet_NaN()), "null");
}

TEST(JsonWriterTest, StringsEscapeOnlyWhatJsonRequires) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01 caf\xc3\xa9 /");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 caf\xc3\xa9 /\"");
}

TEST(JsonWriterTest, WriterSeparatesMembers) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(1);
  w.Double(2.5);
  w.Raw("{\"x\":null}");
  w.EndArray();
  w.Key("b");
  w.Bool(true);
  w.EndObject();
  EXPECT_EQ(out, R"({"a":[1,2.5,{"x":null}],"b":true})");
}

}  // namespace
}  // namespace echelon
