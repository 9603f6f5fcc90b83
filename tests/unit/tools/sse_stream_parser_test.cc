#include "tools/testing/sse_stream_parser.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <string>
#include <vector>

namespace echelon::testing {
namespace {

// A chunked SSE response as the server writes it: one HTTP chunk per event,
// a comment (keep-alive), and an event whose data spans two lines.
std::string ChunkedResponse(const std::vector<std::string>& blocks) {
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& block : blocks) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", block.size());
    wire += size + block + "\r\n";
  }
  return wire;
}

const std::string kChunkData = std::string(R"({"type":"replay_chunk","frames":[)") + std::string(3000, '7') + "]}";

std::string Response(const std::string& chunk_data = kChunkData) {
  return ChunkedResponse({": keep-alive\n\n", "id: 7\nevent: replay_start\ndata: {\"a\":1}\n\n",
                          "id: 8\nevent: replay_chunk\ndata: " + chunk_data + "\n\n",
                          "id: 9\nevent: replay_end\ndata: line one\ndata: line two\n\n"});
}

std::vector<SseEvent> Parse(const std::string& wire, SseParseOptions options, size_t piece) {
  std::vector<SseEvent> events;
  SseStreamParser parser(options, [&](SseEvent e) { events.push_back(std::move(e)); });
  for (size_t at = 0; at < wire.size(); at += piece) {
    EXPECT_TRUE(parser.Feed(wire.data() + at, std::min(piece, wire.size() - at)));
  }
  EXPECT_TRUE(parser.headers_done());
  EXPECT_EQ(parser.status(), 200);
  return events;
}

TEST(SseStreamParserTest, ReadsEventsOfAChunkedStream) {
  const std::vector<SseEvent> events = Parse(Response(), {.store = true}, 1 << 20);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].id, 7u);
  EXPECT_EQ(events[0].type, "replay_start");
  EXPECT_EQ(events[0].data, R"({"a":1})");
  EXPECT_EQ(events[1].data, kChunkData);
  EXPECT_EQ(events[2].data, "line one\nline two");
  EXPECT_EQ(events[2].size, events[2].data.size());
}

TEST(SseStreamParserTest, WithoutStoringKeepsAPrefixAndTheFullSize) {
  const std::vector<SseEvent> events = Parse(Response(), {.store = false}, 1 << 20);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].data, kChunkData.substr(0, kDataPrefixBytes));
  EXPECT_TRUE(events[1].truncated);
  EXPECT_EQ(events[1].size, kChunkData.size());
  EXPECT_EQ(events[1].data_hash, 0u) << "no digest unless asked";
}

TEST(SseStreamParserTest, DigestIsTheDataHashWhateverTheReadSizes) {
  const std::vector<SseEvent> whole = Parse(Response(), {.digest = true}, 1 << 20);
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[1].data_hash, XXH3_64bits(kChunkData.data(), kChunkData.size()));
  EXPECT_EQ(whole[2].data_hash, XXH3_64bits("line one\nline two", 17));
  for (size_t piece : {1u, 7u, 100u, 4096u}) {
    const std::vector<SseEvent> split = Parse(Response(), {.digest = true}, piece);
    ASSERT_EQ(split.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(split[i].data_hash, whole[i].data_hash) << "piece " << piece;
  }
}

TEST(SseStreamParserTest, DigestSeesOneChangedByteBeyondThePrefix) {
  std::string changed = kChunkData;
  changed[2000] = '8';
  const std::vector<SseEvent> a = Parse(Response(), {.digest = true}, 1 << 20);
  const std::vector<SseEvent> b = Parse(Response(changed), {.digest = true}, 1 << 20);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[1].data, b[1].data) << "same prefix";
  EXPECT_EQ(a[1].size, b[1].size);
  EXPECT_NE(a[1].data_hash, b[1].data_hash);
}

TEST(SseStreamParserTest, ReportsTheStatusOfARefusal) {
  SseStreamParser parser({}, [](SseEvent) { FAIL() << "no events in a 503"; });
  const std::string wire = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}";
  parser.Feed(wire.data(), wire.size());
  EXPECT_TRUE(parser.headers_done());
  EXPECT_EQ(parser.status(), 503);
}

}  // namespace
}  // namespace echelon::testing
