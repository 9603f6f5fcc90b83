// SseStreamParser: incremental parser of one HTTP response that carries an SSE
// stream, shared by SseReader (a thread per viewer) and SseReaderGroup (many
// viewers on a few epoll threads). It takes whatever recv() returned: the
// status line and headers, then a chunked or plain body, then `id:` /
// `event:` / `data:` lines as EventSource reads them; each event comes out
// through `emit` as soon as its blank line is in.
//
//   SseStreamParser parser({.store = false, .digest = true}, [](SseEvent e) { Count(e); });
//   if (!parser.Feed(buffer, got)) Fail("malformed response");
//   if (parser.headers_done() && parser.status() != 200) Refused();
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tools/testing/sse_event.h"

namespace echelon::testing {

struct SseParseOptions {
  // Keep every event's full data; otherwise its first kDataPrefixBytes.
  bool store = false;
  // Set each event's data_hash (XXH3-64 of the whole data field), so that
  // readers that do not store can still be compared byte for byte.
  bool digest = false;
};

// The request of a viewer: GET `path` for text/event-stream, with
// Last-Event-ID when `last_id` > 0.
std::string SseRequestText(const std::string& host, int port, const std::string& path, uint64_t last_id);

class SseStreamParser {
 public:
  SseStreamParser(SseParseOptions options, std::function<void(SseEvent)> emit);
  ~SseStreamParser();
  SseStreamParser(const SseStreamParser&) = delete;
  SseStreamParser& operator=(const SseStreamParser&) = delete;

  // False on a malformed response.
  bool Feed(const char* p, size_t n);

  bool headers_done() const { return state_ != State::kHeaders; }
  int status() const { return status_; }

 private:
  enum class State { kHeaders, kChunkSize, kChunkData, kChunkDataEnd, kDone, kError };
  enum class Line { kField, kSkipSpace, kValue, kComment };
  struct Digest;  // the XXH3 streaming state

  size_t FeedHeaders(const char* p, size_t n);
  void ParseHeaders();
  bool FeedChunked(const char* p, size_t n);
  void FeedSse(const char* p, size_t n);
  void BeginValue();
  void AppendValue(const char* p, size_t n);
  void EndLine();
  void Dispatch();

  const SseParseOptions options_;
  const std::function<void(SseEvent)> emit_;
  std::unique_ptr<Digest> digest_;  // null unless options_.digest
  State state_ = State::kHeaders;
  std::string headers_;
  int status_ = 0;
  bool chunked_ = false;
  std::string size_line_;
  uint64_t chunk_left_ = 0;

  Line line_ = Line::kField;
  std::string field_;
  std::string value_;
  bool in_data_ = false;
  bool data_seen_ = false;
  SseEvent event_;
};

}  // namespace echelon::testing
