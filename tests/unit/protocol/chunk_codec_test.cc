#include "protocol/chunk_codec.h"

#include <gtest/gtest.h>

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/match.h"
#include "json_test_util.h"
#include "protocol/frame_codec.h"

namespace echelon::json {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::FixtureReplays;
using testing::ReadFile;
using testing::SameJson;

// As the trainer sends it: pretty-printed, meta on chunk 0, an extra "run".
constexpr std::string_view kFrames = R"([
    {"t": 0.05, "tick": 1, "mechs": {"blue_0": {"team": "blue", "pos": [1.0, 2.0, 3.0], "hp": 200.0}},
     "smoke_clouds": [], "events": [{"type": "chat", "text": "two  spaces\tand tab"}]},
    {"t": 0.1, "tick": 2, "mechs": {}, "events": []}
  ])";

std::string Body(std::string_view frames = kFrames) {
  return std::string(R"({
  "replay_id": "run-7/ep-3",
  "world_ref": "0123456789abcdef",
  "chunk_index": 0,
  "chunk_count": 12,
  "frames": )") + std::string(frames) + R"(,
  "meta": {"map": "pit", "teams": ["blue", "red"], "seed": 7},
  "run": {"name": "ppo-12", "step": 1200000, "lr": 0.0003}
}
)";
}

// `body` with the value of `key` replaced by `value` (or the key removed).
std::string With(std::string_view key, std::optional<std::string_view> value) {
  nlohmann::ordered_json body = nlohmann::ordered_json::parse(Body());
  if (value) {
    body[std::string(key)] = nlohmann::ordered_json::parse(*value);
  } else {
    body.erase(std::string(key));
  }
  return body.dump(2);
}

std::string ErrorOf(std::string_view body) {
  absl::StatusOr<ReplayChunk> chunk = ParsePushBody(body);
  EXPECT_FALSE(chunk.ok()) << body;
  if (chunk.ok()) return "";
  EXPECT_EQ(chunk.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(chunk.status().message());
}

TEST(ChunkCodecTest, ParsePushCountsTheFramesAndKeepsThemCompact) {
  absl::StatusOr<ParsedPush> push = ParsePush(Body());
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->frame_count, 2u);
  // What the core's own check would make of them: nothing left to do.
  absl::StatusOr<std::string> compact = FramesJsonFromChunk(push->chunk);
  ASSERT_TRUE(compact.ok()) << compact.status();
  EXPECT_EQ(push->chunk.frames_json(), *compact);
  EXPECT_EQ(ParsePush(Body("[]"))->frame_count, 0u);
}

TEST(ChunkCodecTest, ParsesAPrettyPrintedBody) {
  absl::StatusOr<ReplayChunk> chunk = ParsePushBody(Body());
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->replay_id(), "run-7/ep-3");
  EXPECT_EQ(chunk->world_ref(), "0123456789abcdef");
  EXPECT_EQ(chunk->chunk_index(), 0u);
  EXPECT_EQ(chunk->chunk_count(), 12u);
  EXPECT_EQ(chunk->frames_size(), 0);  // never parsed into protobuf on this path
  EXPECT_EQ(chunk->meta().fields().at("map").string_value(), "pit");
  ASSERT_EQ(chunk->extra().fields_size(), 1);
  EXPECT_EQ(chunk->extra().fields().at("run").struct_value().fields().at("step").number_value(), 1200000);

  // Compact, byte for byte otherwise: whitespace inside strings stays.
  EXPECT_EQ(chunk->frames_json(),
            R"([{"t":0.05,"tick":1,"mechs":{"blue_0":{"team":"blue","pos":[1.0,2.0,3.0],"hp":200.0}},)"
            R"("smoke_clouds":[],"events":[{"type":"chat","text":"two  spaces\tand tab"}]},)"
            R"({"t":0.1,"tick":2,"mechs":{},"events":[]}])");
  EXPECT_TRUE(SameJson(std::string(kFrames), chunk->frames_json()));
}

TEST(ChunkCodecTest, MetaIsOptional) {
  absl::StatusOr<ReplayChunk> chunk = ParsePushBody(With("meta", std::nullopt));
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_FALSE(chunk->has_meta());
  chunk = ParsePushBody(With("meta", "null"));
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_FALSE(chunk->has_meta());
  chunk = ParsePushBody(With("meta", "{}"));
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_TRUE(chunk->has_meta());
}

TEST(ChunkCodecTest, MissingFields) {
  for (std::string_view key : {"replay_id", "world_ref", "chunk_index", "chunk_count", "frames"}) {
    EXPECT_EQ(ErrorOf(With(key, std::nullopt)), "missing field '" + std::string(key) + "'");
  }
}

TEST(ChunkCodecTest, WrongFieldTypes) {
  EXPECT_EQ(ErrorOf(With("replay_id", "5")), "field 'replay_id' must be a non-empty string");
  EXPECT_EQ(ErrorOf(With("replay_id", R"("")")), "field 'replay_id' must be a non-empty string");
  EXPECT_EQ(ErrorOf(With("replay_id", "null")), "field 'replay_id' must be a non-empty string");
  EXPECT_EQ(ErrorOf(With("world_ref", "[]")), "field 'world_ref' must be a string");
  for (std::string_view bad : {R"("1")", "1.5", "true", "null", "[1]", "{}"}) {
    EXPECT_EQ(ErrorOf(With("chunk_index", bad)), "field 'chunk_index' must be an integer") << bad;
    EXPECT_EQ(ErrorOf(With("chunk_count", bad)), "field 'chunk_count' must be an integer") << bad;
  }
  EXPECT_EQ(ErrorOf(With("chunk_index", "-1")), "field 'chunk_index' must not be negative");
  EXPECT_EQ(ErrorOf(With("chunk_count", "-3.0")), "field 'chunk_count' must not be negative");
  EXPECT_EQ(ErrorOf(With("chunk_index", "4294967296")), "field 'chunk_index' must be at most 4294967295");
  EXPECT_EQ(ErrorOf(With("chunk_index", "18446744073709551615")), "field 'chunk_index' must be at most 4294967295");
  EXPECT_EQ(ErrorOf(With("chunk_index", "1e300")), "field 'chunk_index' must be at most 4294967295");
  EXPECT_EQ(ErrorOf(With("frames", "{}")), "field 'frames' must be an array");
  EXPECT_EQ(ErrorOf(With("frames", R"("[]")")), "field 'frames' must be an array");
  EXPECT_EQ(ErrorOf(With("meta", "[]")), "field 'meta' must be an object");
  EXPECT_EQ(ErrorOf("[]"), "push body must be a JSON object");
  EXPECT_EQ(ErrorOf("\"x\""), "push body must be a JSON object");
}

TEST(ChunkCodecTest, BoundaryNumbers) {
  absl::StatusOr<ReplayChunk> chunk = ParsePushBody(With("chunk_index", "4294967295"));
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->chunk_index(), 4294967295u);
  chunk = ParsePushBody(With("chunk_count", "3.0"));  // a whole float is an integer, as in Python
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->chunk_count(), 3u);
  chunk = ParsePushBody(With("chunk_index", "-0"));
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->chunk_index(), 0u);
}

TEST(ChunkCodecTest, MalformedBodies) {
  const std::string body = Body();
  const std::string cut = body.substr(0, body.size() / 2);
  for (const std::string& bad : {std::string(), std::string("  "), cut, body + " x", body + "{}", body + ",",
                                 std::string("{\"replay_id\": \"a\",}"), std::string("{'replay_id': 'a'}")}) {
    EXPECT_TRUE(absl::StartsWith(ErrorOf(bad), "invalid JSON: ")) << bad.substr(0, 80);
  }
}

TEST(ChunkCodecTest, InvalidUtf8AnywhereIsRejected) {
  // Inside a frame string, inside a key, inside meta: the whole body is validated.
  for (std::string_view bad : {"\"te\xffxt\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\\ud800\""}) {
    const std::string frames = "[{\"events\":[{\"type\":" + std::string(bad) + "}]}]";
    EXPECT_TRUE(absl::StartsWith(ErrorOf(Body(frames)), "invalid JSON: ")) << bad;
  }
  std::string body = Body();
  body.replace(body.find("ppo-12"), 3, "p\xfe" "o");
  EXPECT_EQ(ErrorOf(body), "invalid JSON: The input is not valid UTF-8");
}

TEST(ChunkCodecTest, InvalidNumbersInsideFramesAreRejected) {
  for (std::string_view bad : {"01", "1.", "-", "1e", "NaN", "Infinity", "1e400", "+1", ".5"}) {
    const std::string frames = "[{\"t\":" + std::string(bad) + "}]";
    EXPECT_TRUE(absl::StartsWith(ErrorOf(Body(frames)), "invalid JSON: ")) << bad;
  }
}

TEST(ChunkCodecTest, BigIntegersPassThroughUntouched) {
  const std::string frames = R"([{"seed": 123456789012345678901234567890, "tick": 1}])";
  std::string body = Body(frames);
  body.replace(body.find("1200000"), 7, "243799254704924441050048792905230269161");
  absl::StatusOr<ReplayChunk> chunk = ParsePushBody(body);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->frames_json(), R"([{"seed":123456789012345678901234567890,"tick":1}])");
  EXPECT_DOUBLE_EQ(chunk->extra().fields().at("run").struct_value().fields().at("step").number_value(),
                   2.4379925470492442e+38);
}

TEST(ChunkCodecTest, LaterDuplicateKeysWin) {
  const std::string body = R"({"replay_id":"a","frames":"not yet","world_ref":"w","chunk_index":0,
      "chunk_count":1,"replay_id":"b","frames":[{"tick":2}],"run":1,"run":{"x":1},"fr\u0061mes":[ {"tick" : 3} ]})";
  absl::StatusOr<ReplayChunk> chunk = ParsePushBody(body);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->replay_id(), "b");
  EXPECT_EQ(chunk->frames_json(), R"([{"tick":3}])");
  EXPECT_TRUE(chunk->extra().fields().at("run").has_struct_value());
}

TEST(ChunkCodecTest, ChunkToPushJsonRoundTrips) {
  absl::StatusOr<ReplayChunk> chunk = ParsePushBody(Body());
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  const std::string rendered = ChunkToPushJson(*chunk);
  EXPECT_EQ(rendered.find('\n'), std::string::npos);
  EXPECT_TRUE(SameJson(Body(), rendered));
  absl::StatusOr<ReplayChunk> again = ParsePushBody(rendered);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*chunk, *again));
}

TEST(ChunkCodecTest, ChunkToPushJsonRendersTypedFramesAndSkipsCollidingExtras) {
  ReplayChunk chunk;
  chunk.set_replay_id("r");
  chunk.set_world_ref("w");
  chunk.set_chunk_index(1);
  chunk.set_chunk_count(2);
  chunk.add_frames()->set_tick(7);
  (*chunk.mutable_extra()->mutable_fields())["run"].set_string_value("x");
  (*chunk.mutable_extra()->mutable_fields())["replay_id"].set_string_value("collides");
  EXPECT_EQ(ChunkToPushJson(chunk),
            R"({"replay_id":"r","world_ref":"w","chunk_index":1,"chunk_count":2,"frames":[{"tick":7}],"run":"x"})");
}

TEST(ChunkCodecTest, FramesJsonFromChunk) {
  ReplayChunk chunk;
  EXPECT_EQ(*FramesJsonFromChunk(chunk), "[]");

  chunk.add_frames()->set_t(0.5);
  EXPECT_EQ(*FramesJsonFromChunk(chunk), R"([{"t":0.5}])");

  chunk.set_frames_json("[]");
  EXPECT_EQ(FramesJsonFromChunk(chunk).status().message(),
            "a chunk sets either 'frames' or 'frames_json', not both");

  chunk.clear_frames();
  chunk.set_frames_json("[\n  {\"tick\": 1,\r\n \"text\": \"a  b\"}\n]\n");
  absl::StatusOr<std::string> compact = FramesJsonFromChunk(chunk);
  ASSERT_TRUE(compact.ok()) << compact.status();
  EXPECT_EQ(*compact, R"([{"tick":1,"text":"a  b"}])");
  EXPECT_TRUE(SameJson(chunk.frames_json(), *compact));

  chunk.set_frames_json(R"({"tick":1})");
  EXPECT_EQ(FramesJsonFromChunk(chunk).status().message(), "frames_json is not a JSON array");
  chunk.set_frames_json("[1,");
  EXPECT_TRUE(absl::StartsWith(FramesJsonFromChunk(chunk).status().message(), "frames_json: invalid JSON: "));
  chunk.set_frames_json("[\"\xff\"]");
  EXPECT_EQ(FramesJsonFromChunk(chunk).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ChunkCodecTest, TakeFramesJsonMovesTheBufferOut) {
  ReplayChunk chunk;
  chunk.set_frames_json(R"([{"tick":1,"text":"a  b"},{"tick":2,"pad":")" + std::string(4000, 'x') + R"("}])");
  const std::string expected = chunk.frames_json();
  const char* buffer = chunk.frames_json().data();
  absl::StatusOr<std::string> taken = TakeFramesJson(chunk, 10);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(*taken, expected);
  EXPECT_EQ(taken->data(), buffer) << "compact frames are not copied";
  EXPECT_TRUE(chunk.frames_json().empty());

  // Whitespace outside strings goes, inside strings it stays.
  chunk.set_frames_json("[\n  {\"tick\": 1,\r\n \"text\": \"a  b\"}\n]\n");
  EXPECT_EQ(*TakeFramesJson(chunk, 10), R"([{"tick":1,"text":"a  b"}])");

  // The same checks as FramesJsonFromChunk.
  chunk.set_frames_json("[1,2,3]");
  EXPECT_EQ(TakeFramesJson(chunk, 2).status().message(), "a chunk may hold at most 2 frames, this one has 3");
  chunk.set_frames_json(R"({"tick":1})");
  EXPECT_EQ(TakeFramesJson(chunk, 10).status().message(), "frames_json is not a JSON array");
  chunk.set_frames_json("[]");
  chunk.add_frames()->set_tick(1);
  EXPECT_EQ(TakeFramesJson(chunk, 10).status().message(),
            "a chunk sets either 'frames' or 'frames_json', not both");
  chunk.clear_frames_json();
  EXPECT_EQ(*TakeFramesJson(chunk, 10), R"([{"tick":1}])");
}

TEST(ChunkCodecTest, ParsePushKeepsCompactFramesInTheBodysBuffer) {
  const std::string frames = R"([{"tick":1,"pad":")" + std::string(100000, 'y') + R"("}])";
  std::string body = Body(frames);
  body.shrink_to_fit();  // as read: ReadBody reserves the announced length
  const char* buffer = body.data();
  absl::StatusOr<ParsedPush> push = ParsePush(std::move(body));
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->chunk.frames_json(), frames);
  EXPECT_EQ(push->chunk.frames_json().data(), buffer) << "a new buffer would be faulted in again";
  EXPECT_EQ(push->frame_count, 1u);

  // Pretty frames with much whitespace: an exact-size copy, not the body's
  // mostly empty buffer.
  const std::string airy = "[" + std::string(400000, ' ') + "1]";
  absl::StatusOr<ParsedPush> pretty = ParsePush(Body(airy));
  ASSERT_TRUE(pretty.ok()) << pretty.status();
  EXPECT_EQ(pretty->chunk.frames_json(), "[1]");
  EXPECT_LT(pretty->chunk.frames_json().capacity(), 1000u);
}

TEST(ChunkCodecTest, FixtureReplayChunksKeepTheirFrames) {
  for (const auto& path : FixtureReplays()) {
    SCOPED_TRACE(path.filename().string());
    const nlohmann::json replay = nlohmann::json::parse(ReadFile(path));
    const nlohmann::json& frames = replay.at("frames");
    nlohmann::json chunk_frames = nlohmann::json::array();
    for (size_t i = 0; i < frames.size() && i < 100; ++i) chunk_frames.push_back(frames[i]);
    const std::string frames_text = chunk_frames.dump(1);  // pretty: there is whitespace to strip
    absl::StatusOr<ReplayChunk> chunk = ParsePushBody(Body(frames_text));
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    EXPECT_TRUE(SameJson(frames_text, chunk->frames_json()));
    EXPECT_EQ(*FramesJsonFromChunk(*chunk), chunk->frames_json());
    // And the typed path gives the same content as the pass-through one.
    absl::StatusOr<Frames> typed = ParseFramesJson(chunk->frames_json());
    ASSERT_TRUE(typed.ok()) << typed.status();
    ReplayChunk typed_chunk;
    *typed_chunk.mutable_frames() = *typed;
    EXPECT_TRUE(SameJson(chunk->frames_json(), *FramesJsonFromChunk(typed_chunk)));
  }
}

}  // namespace
}  // namespace echelon::json
