#include "protocol/frame_codec.h"

#include <gtest/gtest.h>

#include "echelon/replay/v1/replay.pb.h"
#include "absl/strings/match.h"
#include "json_test_util.h"
#include "protocol/internal/json_reader.h"
#include "protocol/struct_json.h"

namespace echelon::json {
namespace {

using echelon::replay::v1::MechState;
using echelon::replay::v1::ReplayChunk;
using testing::FixtureReplays;
using testing::ReadFile;
using testing::SameJson;

std::string Render(const Frame& frame) {
  std::string out;
  AppendFrameJson(frame, out);
  return out;
}

Frame Parse(std::string_view json) {
  absl::StatusOr<Frame> frame = ParseFrameJson(json);
  EXPECT_TRUE(frame.ok()) << frame.status() << " for " << json;
  return frame.ok() ? *frame : Frame();
}

// JSON -> Frame -> protobuf bytes -> Frame -> JSON, which is what a typed
// frame goes through between a producer and a viewer.
std::string ThroughProtobuf(std::string_view json) {
  Frame decoded;
  EXPECT_TRUE(decoded.ParseFromString(Parse(json).SerializeAsString()));
  return Render(decoded);
}

// True when every entry of `unknown` is an empty array or object, i.e. only
// the absent-vs-empty markers.
bool OnlyEmptyMarkers(const google::protobuf::Struct& unknown) {
  for (const auto& [key, value] : unknown.fields()) {
    const bool empty_list = value.has_list_value() && value.list_value().values_size() == 0;
    const bool empty_object = value.has_struct_value() && value.struct_value().fields_size() == 0;
    if (!empty_list && !empty_object) return false;
  }
  return true;
}

TEST(FrameCodecTest, EveryFieldOfFrameProtoIsMapped) { EXPECT_TRUE(internal::UnmappedFrameFields().empty()); }

TEST(FrameCodecTest, EveryFixtureFrameRoundTrips) {
  const auto replays = FixtureReplays();
  ASSERT_FALSE(replays.empty());
  for (const auto& path : replays) {
    SCOPED_TRACE(path.filename().string());
    const nlohmann::json replay = nlohmann::json::parse(ReadFile(path));
    ASSERT_GT(replay.at("frames").size(), 0u);
    for (const nlohmann::json& frame_json : replay.at("frames")) {
      const std::string text = frame_json.dump();
      ASSERT_TRUE(SameJson(text, ThroughProtobuf(text))) << "tick " << frame_json.value("tick", -1);
      // The schema really is used: fixture frames leave nothing but
      // absent-vs-empty markers in `unknown`.
      const Frame frame = Parse(text);
      ASSERT_GT(frame.mechs_size(), 0);
      EXPECT_TRUE(OnlyEmptyMarkers(frame.unknown()));
      EXPECT_EQ(frame.objective().unknown().fields_size(), 0);
      for (const MechState& mech : frame.mechs()) EXPECT_EQ(mech.unknown().fields_size(), 0) << mech.id();
    }
  }
}

TEST(FrameCodecTest, FixtureFramesArraysRoundTripFromTheRawText) {
  for (const auto& path : FixtureReplays()) {
    SCOPED_TRACE(path.filename().string());
    const std::string replay = ReadFile(path);
    internal::ParserLease parser;
    ASSERT_TRUE(parser.ParseDom(replay).ok());
    absl::StatusOr<std::string_view> frames_text = parser.TopLevelValueText(replay, "frames");
    ASSERT_TRUE(frames_text.ok()) << frames_text.status();
    const std::string frames_json(*frames_text);
    absl::StatusOr<Frames> frames = ParseFramesJson(frames_json);
    ASSERT_TRUE(frames.ok()) << frames.status();
    std::string out;
    AppendFramesJson(*frames, out);
    EXPECT_TRUE(SameJson(frames_json, out));
  }
}

TEST(FrameCodecTest, RendersTypedFieldsInProtoOrderThenUnknownSorted) {
  EXPECT_EQ(Render(Parse(R"({"zz":1,"tick":3,"t":0.5,
      "mechs":{"b_1":{"hp":200,"pos":[1,2,3.5],"team":"blue","alive":true,"aa":null}},
      "events":[{"type":"laser_hit","damage":12.0}]})")),
            R"({"t":0.5,"tick":3,"mechs":{"b_1":{"team":"blue","pos":[1.0,2.0,3.5],"hp":200.0,"alive":true,)"
            R"("aa":null}},"events":[{"damage":12,"type":"laser_hit"}],"zz":1})");
}

TEST(FrameCodecTest, UnknownKeysAtEveryLevelSurvive) {
  const std::string json = R"({
    "t": 1.5, "tick": 30, "weather": {"rain": [0.1, 0.2], "note": "wet"},
    "objective": {"zone_center": [1.0, 2.0], "zone_radius": 4.0, "bonus_zone": {"r": 3},
                  "zone_score": {"blue": 1.0, "red": 2.0, "green": 3.5}, "zone_score_to_win": 15.0},
    "mechs": {"blue_0": {"team": "blue", "pos": [1, 2, 3], "shield": 10, "loadout": ["ac20", "lrm"],
                         "id": "inner-id"}},
    "smoke_clouds": [{"pos": [4, 5, 6], "radius": 2.5, "density": 0.3}],
    "events": [{"type": "kill", "killer": "blue_0", "nested": {"deep": [1, {"x": null}]}}]
  })";
  EXPECT_TRUE(SameJson(json, ThroughProtobuf(json)));
  const Frame frame = Parse(json);
  EXPECT_TRUE(frame.unknown().fields().contains("weather"));
  EXPECT_TRUE(frame.objective().unknown().fields().contains("bonus_zone"));
  EXPECT_TRUE(frame.objective().zone_score().unknown().fields().contains("green"));
  EXPECT_DOUBLE_EQ(frame.objective().zone_score().red(), 2.0);
  ASSERT_EQ(frame.mechs_size(), 1);
  EXPECT_EQ(frame.mechs(0).id(), "blue_0");
  EXPECT_TRUE(frame.mechs(0).unknown().fields().contains("shield"));
  EXPECT_EQ(frame.mechs(0).unknown().fields().at("id").string_value(), "inner-id");
  EXPECT_TRUE(frame.smoke_clouds(0).unknown().fields().contains("density"));
  EXPECT_DOUBLE_EQ(frame.smoke_clouds(0).radius(), 2.5);
  ASSERT_EQ(frame.events_size(), 1);
  EXPECT_EQ(frame.events(0).fields().at("type").string_value(), "kill");
}

TEST(FrameCodecTest, KnownKeysWithValuesThatDoNotFitStayVerbatimInUnknown) {
  const std::string json = R"({
    "t": "soon", "tick": 1.5,
    "objective": {"zone_center": "middle", "zone_radius": null, "zone_score": [1, 2], "zone_score_to_win": "15"},
    "mechs": {"a": {"team": 5, "class": ["heavy"], "pos": [1, 2], "vel": [1, 2, 3, 4], "yaw": "north",
                    "hp": null, "alive": 1, "fallen": "no", "heat": true},
              "b": {"pos": [1, "2", 3]}},
    "smoke_clouds": [1, 2],
    "events": [{"type": "x"}, 7]
  })";
  EXPECT_TRUE(SameJson(json, ThroughProtobuf(json)));
  const Frame frame = Parse(json);
  EXPECT_FALSE(frame.has_t());
  EXPECT_FALSE(frame.has_tick());
  EXPECT_EQ(frame.unknown().fields().at("tick").number_value(), 1.5);
  EXPECT_EQ(frame.objective().zone_center_size(), 0);
  EXPECT_FALSE(frame.objective().has_zone_score());
  EXPECT_EQ(frame.objective().unknown().fields_size(), 4);
  const MechState& a = frame.mechs(0);
  EXPECT_FALSE(a.has_team() || a.has_class_() || a.has_pos() || a.has_vel() || a.has_yaw() || a.has_hp() ||
               a.has_alive() || a.has_fallen() || a.has_heat());
  EXPECT_EQ(a.unknown().fields_size(), 9);
  EXPECT_FALSE(frame.mechs(1).has_pos());
  EXPECT_EQ(frame.smoke_clouds_size(), 0);
  EXPECT_EQ(frame.events_size(), 0);
  EXPECT_TRUE(frame.unknown().fields().contains("smoke_clouds"));
  EXPECT_TRUE(frame.unknown().fields().contains("events"));
}

TEST(FrameCodecTest, MechsThatAreNotAnObjectOfObjectsStayInUnknown) {
  for (std::string_view json : {R"({"mechs":[{"id":"a"}]})", R"({"mechs":{"a":5}})", R"({"mechs":null})",
                                R"({"mechs":{"a":{"hp":1},"b":[]}})"}) {
    EXPECT_TRUE(SameJson(std::string(json), ThroughProtobuf(json)));
    const Frame frame = Parse(json);
    EXPECT_EQ(frame.mechs_size(), 0) << json;
    EXPECT_TRUE(frame.unknown().fields().contains("mechs")) << json;
  }
}

TEST(FrameCodecTest, EmptyAndAbsentStayDistinct) {
  const std::string empty = R"({"t":0.0,"mechs":{},"smoke_clouds":[],"events":[],
                                "objective":{"zone_center":[],"zone_score":{}}})";
  EXPECT_TRUE(SameJson(empty, ThroughProtobuf(empty)));
  const Frame frame = Parse(empty);
  EXPECT_TRUE(frame.has_objective());
  EXPECT_TRUE(frame.objective().has_zone_score());
  EXPECT_EQ(Render(frame), R"({"t":0.0,"objective":{"zone_score":{},"zone_center":[]},)"
                           R"("events":[],"mechs":{},"smoke_clouds":[]})");

  const std::string absent = R"({"t":0.0,"objective":{}})";
  EXPECT_EQ(ThroughProtobuf(absent), absent);
  EXPECT_EQ(ThroughProtobuf("{}"), "{}");
}

TEST(FrameCodecTest, UnicodeStrings) {
  const std::string json = R"({"mechs":{"ブルー_0":{"team":"红","class":"caf\u00e9","callsign":"🚀 \"x\"\n\\"}},
      "events":[{"type":"chat","text":"\u2028 line \u0000 nul \ud83d\ude00"}],"名前":"値"})";
  EXPECT_TRUE(SameJson(json, ThroughProtobuf(json)));
  const Frame frame = Parse(json);
  EXPECT_EQ(frame.mechs(0).id(), "ブルー_0");
  EXPECT_EQ(frame.mechs(0).class_(), "café");
}

TEST(FrameCodecTest, BigAndSpecialNumbers) {
  const std::string json = R"({"t":1e308,"tick":9223372036854775807,
      "mechs":{"a":{"hp":18446744073709551615,"heat":-0.0,"yaw":5e-324,"pos":[1e-7,-1e21,123456789012345678901234567890]}},
      "objective":{"zone_radius":12345678901234567890123},
      "seed":123456789012345678901234567890,"exact":9007199254740993,"neg_tick":-9223372036854775808})";
  EXPECT_TRUE(SameJson(json, ThroughProtobuf(json)));
  const Frame frame = Parse(json);
  EXPECT_EQ(frame.tick(), 9223372036854775807);
  EXPECT_TRUE(frame.mechs(0).has_pos());
  EXPECT_TRUE(std::signbit(frame.mechs(0).heat()));
  EXPECT_NE(Render(frame).find(R"("heat":-0.0)"), std::string::npos);

  // A tick beyond int64 does not fit the int64 field: kept as a number.
  const Frame big_tick = Parse(R"({"tick":9223372036854775808})");
  EXPECT_FALSE(big_tick.has_tick());
  EXPECT_TRUE(SameJson(R"({"tick":9223372036854775808})", Render(big_tick)));
  EXPECT_EQ(Parse(R"({"tick":-5})").tick(), -5);
}

TEST(FrameCodecTest, LaterDuplicateKeyWins) {
  const Frame frame = Parse(R"({"t":1,"t":"late","tick":"x","tick":4,
      "mechs":{"a":{"pos":[1,2],"pos":[1,2,3]}},"smoke_clouds":[{"radius":1}],"smoke_clouds":[]})");
  EXPECT_FALSE(frame.has_t());
  EXPECT_EQ(frame.unknown().fields().at("t").string_value(), "late");
  EXPECT_EQ(frame.tick(), 4);
  EXPECT_FALSE(frame.unknown().fields().contains("tick"));
  EXPECT_TRUE(frame.mechs(0).has_pos());
  EXPECT_FALSE(frame.mechs(0).unknown().fields().contains("pos"));
  EXPECT_EQ(frame.smoke_clouds_size(), 0);
  EXPECT_EQ(Render(frame), R"({"tick":4,"mechs":{"a":{"pos":[1.0,2.0,3.0]}},"smoke_clouds":[],"t":"late"})");
}

TEST(FrameCodecTest, TypedFieldWinsOverUnknownKeyOfTheSameName) {
  Frame frame;
  frame.set_t(1.0);
  (*frame.mutable_unknown()->mutable_fields())["t"].set_number_value(5);
  (*frame.mutable_unknown()->mutable_fields())["smoke_clouds"].mutable_list_value();
  EXPECT_EQ(Render(frame), R"({"t":1.0,"smoke_clouds":[]})");
}

TEST(FrameCodecTest, ParseFramesJson) {
  absl::StatusOr<Frames> frames = ParseFramesJson(R"([{"tick":1},{"tick":2}])");
  ASSERT_TRUE(frames.ok()) << frames.status();
  ASSERT_EQ(frames->size(), 2);
  EXPECT_EQ(frames->Get(1).tick(), 2);
  std::string out;
  AppendFramesJson(*frames, out);
  EXPECT_EQ(out, R"([{"tick":1},{"tick":2}])");

  std::string empty;
  AppendFramesJson(Frames(), empty);
  EXPECT_EQ(empty, "[]");

  EXPECT_EQ(ParseFramesJson(R"({"tick":1})").status().message(), "frames JSON is not an array");
  EXPECT_EQ(ParseFramesJson(R"([{"tick":1},3])").status().message(), "frame 1: a frame is not a JSON object");
  EXPECT_TRUE(absl::StartsWith(ParseFramesJson("[{]").status().message(), "invalid JSON: "));
  EXPECT_EQ(ParseFrameJson("[]").status().message(), "a frame is not a JSON object");
}

TEST(FrameCodecTest, DepthLimitAndProtobufSafety) {
  // A frame whose deepest value sits at the limit, inside a mech's unknown
  // key (the deepest place a frame puts a Struct), still decodes as protobuf
  // inside a ReplayChunk.
  std::string deep = "1";
  for (int i = 0; i < kMaxStructNestingDepth - 3; ++i) deep = "[" + deep + "]";
  const std::string json = R"({"mechs":{"a":{"x":)" + deep + "}}}";
  absl::StatusOr<Frame> frame = ParseFrameJson(json);
  ASSERT_TRUE(frame.ok()) << frame.status();
  ReplayChunk chunk;
  *chunk.add_frames() = *frame;
  ReplayChunk decoded;
  ASSERT_TRUE(decoded.ParseFromString(chunk.SerializeAsString()));
  EXPECT_TRUE(SameJson(json, Render(decoded.frames(0))));

  const std::string too_deep = R"({"mechs":{"a":{"x":[)" + deep + "]}}}";
  EXPECT_EQ(ParseFrameJson(too_deep).status().message(), "JSON nested deeper than 30 levels");
  const std::string deep_event = R"({"events":[)" + std::string(40, '[') + std::string(40, ']') + "]}";
  EXPECT_EQ(ParseFrameJson(deep_event).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace echelon::json
