#include "protocol/event_codec.h"

#include <gtest/gtest.h>

#include "json_test_util.h"
#include "protocol/struct_json.h"

namespace echelon::json {
namespace {

using echelon::replay::v1::ReplayStart;

google::protobuf::Struct StructOf(std::string_view json) {
  absl::StatusOr<google::protobuf::Struct> object = ParseStructJson(json);
  EXPECT_TRUE(object.ok()) << object.status();
  return object.ok() ? *object : google::protobuf::Struct();
}

ReplayEvent StartEvent() {
  ReplayEvent event;
  event.set_id(1);
  ReplayStart& start = *event.mutable_replay_start();
  start.set_replay_id("r1");
  start.set_world_ref("0123456789abcdef");
  start.set_chunk_count(3);
  *start.mutable_meta() = StructOf(R"({"map":"pit","seed":7})");
  start.set_world_json(R"({"size":[2,2,2],"walls":[[0,0,0,1]]})");
  *start.mutable_extra() = StructOf(R"({"run":{"name":"ppo"},"replay_id":"collides","world":"collides"})");
  return event;
}

TEST(EventCodecTest, ReplayStart) {
  const ReplayEvent event = StartEvent();
  EXPECT_EQ(EventTypeName(event), "replay_start");
  EXPECT_EQ(EventDataJson(event),
            R"({"replay_id":"r1","world_ref":"0123456789abcdef","chunk_count":3,"meta":{"map":"pit","seed":7},)"
            R"("world":{"size":[2,2,2],"walls":[[0,0,0,1]]},"run":{"name":"ppo"}})");
}

TEST(EventCodecTest, ReplayStartWithoutWorldOrMeta) {
  ReplayEvent event;
  event.mutable_replay_start()->set_replay_id("r1");
  event.mutable_replay_start()->set_world_ref("w");
  EXPECT_EQ(EventDataJson(event), R"({"replay_id":"r1","world_ref":"w","chunk_count":0,"meta":{}})");
}

TEST(EventCodecTest, ReplayChunkSplicesFramesRaw) {
  ReplayEvent event;
  event.mutable_replay_chunk()->set_replay_id("r1");
  event.mutable_replay_chunk()->set_chunk_index(2);
  // Numbers exactly as pushed: no re-encoding (1e0 and 2.50 would change).
  event.mutable_replay_chunk()->set_frames_json(R"([{"t":1e0,"hp":2.50}])");
  EXPECT_EQ(EventTypeName(event), "replay_chunk");
  EXPECT_EQ(EventDataJson(event), R"({"replay_id":"r1","chunk_index":2,"frames":[{"t":1e0,"hp":2.50}]})");

  event.mutable_replay_chunk()->clear_frames_json();
  EXPECT_EQ(EventDataJson(event), R"({"replay_id":"r1","chunk_index":2,"frames":[]})");
}

TEST(EventCodecTest, SplicedJsonWithLineBreaksIsMinified) {
  ReplayEvent event;
  event.mutable_replay_chunk()->set_replay_id("r1");
  event.mutable_replay_chunk()->set_frames_json("[\n {\"text\": \"a b\\n\"},\r\n 2\n]");
  const std::string data = EventDataJson(event);
  EXPECT_EQ(data, R"({"replay_id":"r1","chunk_index":0,"frames":[{"text":"a b\n"},2]})");
  EXPECT_EQ(data.find('\n'), std::string::npos);

  ReplayEvent start = StartEvent();
  start.mutable_replay_start()->set_world_json("{\n  \"size\": [1, 1, 1]\n}");
  const std::string start_data = EventDataJson(start);
  EXPECT_EQ(start_data.find('\n'), std::string::npos);
  EXPECT_NE(start_data.find(R"("world":{"size":[1,1,1]})"), std::string::npos);
}

TEST(EventCodecTest, ReplayEnd) {
  ReplayEvent event;
  event.mutable_replay_end()->set_replay_id("r\"1");
  EXPECT_EQ(EventTypeName(event), "replay_end");
  EXPECT_EQ(EventDataJson(event), R"({"replay_id":"r\"1"})");
}

TEST(EventCodecTest, World) {
  ReplayEvent event;
  event.mutable_world()->set_hash("0123456789abcdef");
  event.mutable_world()->set_data_json(R"({"size":[1,1,1],"walls":[]})");
  EXPECT_EQ(EventTypeName(event), "world");
  EXPECT_EQ(EventDataJson(event), R"({"hash":"0123456789abcdef","data":{"size":[1,1,1],"walls":[]}})");
  event.mutable_world()->clear_data_json();
  EXPECT_EQ(EventDataJson(event), R"({"hash":"0123456789abcdef","data":null})");
}

TEST(EventCodecTest, NoKind) {
  ReplayEvent event;
  EXPECT_EQ(EventTypeName(event), "");
  EXPECT_EQ(EventDataJson(event), "{}");
}

TEST(EventCodecTest, MetaAtTheDepthLimitStillDecodesInsideAnEvent) {
  std::string meta = "1";
  for (int i = 0; i < kMaxStructNestingDepth; ++i) meta = R"({"k":)" + meta + "}";
  ReplayEvent event = StartEvent();
  *event.mutable_replay_start()->mutable_meta() = StructOf(meta);
  ReplayEvent decoded;
  ASSERT_TRUE(decoded.ParseFromString(event.SerializeAsString()));
  EXPECT_EQ(EventDataJson(decoded), EventDataJson(event));
}

TEST(EventCodecTest, AppendsToExistingText) {
  std::string out = "data: ";
  ReplayEvent event;
  event.mutable_replay_end()->set_replay_id("r");
  AppendEventDataJson(event, out);
  EXPECT_EQ(out, R"(data: {"replay_id":"r"})");
}

}  // namespace
}  // namespace echelon::json
