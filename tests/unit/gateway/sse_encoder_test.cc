#include "gateway/sse_encoder.h"

#include <gtest/gtest.h>

#include <string>

namespace echelon::gateway {
namespace {

namespace v1 = echelon::replay::v1;

v1::ReplayEvent ChunkEvent(size_t frames_bytes) {
  v1::ReplayEvent event;
  event.set_id(42);
  auto* chunk = event.mutable_replay_chunk();
  chunk->set_replay_id("r");
  chunk->set_chunk_index(3);
  chunk->set_frames_json("[\"" + std::string(frames_bytes, 'x') + "\"]");
  return event;
}

// The chunk-size line changes width at 16, 256, 4096, ... bytes: the chunk
// made around the event's own frames must come out exactly as the SSE text
// and its size line written separately.
TEST(SseEncoderTest, ChunkAroundTheFramesEqualsTheTextWrappedAfterwards) {
  for (size_t bytes : {0, 1, 100, 150, 200, 4000, 4100, 65400, 65600, 1 << 20}) {
    auto event = std::make_shared<const v1::ReplayEvent>(ChunkEvent(bytes));
    const std::string sse = EncodeSseEvent(*event);
    const SseBytes chunk = EncodeSseChunk(event);
    EXPECT_EQ(chunk->Flatten(), HttpChunk(sse).Flatten()) << bytes;
    EXPECT_EQ(chunk->sse_size, sse.size());
    // The frames are the event's own bytes, not a copy.
    EXPECT_EQ(chunk->body.data(), event->replay_chunk().frames_json().data());
  }
}

TEST(SseEncoderTest, AChunkIsHexSizeFrameAndCrlf) {
  EXPECT_EQ(HttpChunk("retry: 1000\n\n").Flatten(), "d\r\nretry: 1000\n\n\r\n");
  const std::string frame = EncodeSseEvent(ChunkEvent(1));
  EXPECT_EQ(frame.rfind("id: 42\nevent: replay_chunk\ndata: {", 0), 0u) << frame;
  EXPECT_EQ(frame.substr(frame.size() - 2), "\n\n");
}

// Events without frames to share, and frames that must be minified to stay
// on one line, are written into one buffer.
TEST(SseEncoderTest, OtherEventsAreOneBuffer) {
  v1::ReplayEvent end;
  end.set_id(7);
  end.mutable_replay_end()->set_replay_id("r");
  v1::ReplayEvent pretty = ChunkEvent(0);
  pretty.mutable_replay_chunk()->set_frames_json("[\n  1,\n  2\n]");
  for (const v1::ReplayEvent& event : {end, pretty}) {
    const SseBytes chunk = EncodeSseChunk(std::make_shared<const v1::ReplayEvent>(event));
    EXPECT_TRUE(chunk->body.empty());
    EXPECT_EQ(chunk->Flatten(), HttpChunk(EncodeSseEvent(event)).Flatten());
  }
  EXPECT_NE(EncodeSseEvent(pretty).find("\"frames\":[1,2]}"), std::string::npos);
}

}  // namespace
}  // namespace echelon::gateway
