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

// The chunk-size line changes width at 16, 256, 4096, ... bytes: the frame
// written behind room for the widest line must come out exactly as the frame
// and its line written separately.
TEST(SseEncoderTest, OneBufferChunkEqualsTheFrameWrappedAfterwards) {
  for (size_t bytes : {0, 1, 100, 150, 200, 4000, 4100, 65400, 65600, 1 << 20}) {
    const v1::ReplayEvent event = ChunkEvent(bytes);
    const SseBytes frame = EncodeSseEvent(event);
    EXPECT_EQ(*EncodeSseChunk(event), HttpChunk(*frame)) << bytes;
    EXPECT_EQ(HttpChunkPayloadSize(*EncodeSseChunk(event)), frame->size());
  }
}

TEST(SseEncoderTest, AChunkIsHexSizeFrameAndCrlf) {
  const std::string chunk = HttpChunk("retry: 1000\n\n");
  EXPECT_EQ(chunk, "d\r\nretry: 1000\n\n\r\n");
  const std::string frame = *EncodeSseEvent(ChunkEvent(1));
  EXPECT_EQ(frame.rfind("id: 42\nevent: replay_chunk\ndata: {", 0), 0u) << frame;
  EXPECT_EQ(frame.substr(frame.size() - 2), "\n\n");
}

}  // namespace
}  // namespace echelon::gateway
