#include "tools/testing/sse_stream_parser.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace echelon::testing {

std::string SseRequestText(const std::string& host, int port, const std::string& path, uint64_t last_id) {
  std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host, ":", port, "\r\nAccept: text/event-stream\r\n");
  if (last_id > 0) absl::StrAppend(&request, "Last-Event-ID: ", last_id, "\r\n");
  request += "\r\n";
  return request;
}

struct SseStreamParser::Digest {
  Digest() : state(XXH3_createState()) { XXH3_64bits_reset(state); }
  ~Digest() { XXH3_freeState(state); }
  XXH3_state_t* state;
};

SseStreamParser::SseStreamParser(SseParseOptions options, std::function<void(SseEvent)> emit)
    : options_(options), emit_(std::move(emit)), digest_(options.digest ? std::make_unique<Digest>() : nullptr) {}

SseStreamParser::~SseStreamParser() = default;

bool SseStreamParser::Feed(const char* p, size_t n) {
  if (state_ == State::kHeaders) {
    const size_t consumed = FeedHeaders(p, n);
    if (state_ == State::kHeaders || state_ == State::kError) return state_ != State::kError;
    p += consumed;
    n -= consumed;
  }
  return chunked_ ? FeedChunked(p, n) : (FeedSse(p, n), true);
}



// Returns how many bytes of p belonged to the headers.
size_t SseStreamParser::FeedHeaders(const char* p, size_t n) {
  const size_t before = headers_.size();
  headers_.append(p, n);
  const size_t end = headers_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (headers_.size() > 64 * 1024) state_ = State::kError;
    return n;
  }
  headers_.resize(end + 4);
  ParseHeaders();
  return end + 4 - before;
}

void SseStreamParser::ParseHeaders() {
  // "HTTP/1.1 200 OK"
  const size_t space = headers_.find(' ');
  if (space == std::string::npos || !absl::SimpleAtoi(headers_.substr(space + 1, 3), &status_)) {
    state_ = State::kError;
    return;
  }
  const std::string lower = absl::AsciiStrToLower(headers_);
  chunked_ = absl::StrContains(lower, "\r\ntransfer-encoding: chunked");
  state_ = State::kChunkSize;
}

bool SseStreamParser::FeedChunked(const char* p, size_t n) {
  while (n > 0 && state_ != State::kDone && state_ != State::kError) {
    switch (state_) {
      case State::kChunkSize: {
        const char c = *p++;
        --n;
        if (c != '\n') {
          size_line_.push_back(c);
          break;
        }
        // "1a2b[;extension]\r"
        const std::string hex = size_line_.substr(0, size_line_.find_first_of(";\r"));
        size_line_.clear();
        if (!absl::SimpleHexAtoi(hex, &chunk_left_)) {
          state_ = State::kError;
          break;
        }
        state_ = chunk_left_ == 0 ? State::kDone : State::kChunkData;
        break;
      }
      case State::kChunkData: {
        const size_t take = std::min<size_t>(n, chunk_left_);
        FeedSse(p, take);
        p += take;
        n -= take;
        chunk_left_ -= take;
        if (chunk_left_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd:  // the CRLF after the data
        if (*p++ == '\n') state_ = State::kChunkSize;
        --n;
        break;
      default:
        break;
    }
  }
  return state_ != State::kError;
}

void SseStreamParser::FeedSse(const char* p, size_t n) {
  const char* end = p + n;
  while (p < end) {
    if (line_ == Line::kValue) {
      // The bulk of the stream: copy up to the end of the line in one go.
      const char* nl = static_cast<const char*>(memchr(p, '\n', end - p));
      AppendValue(p, (nl ? nl : end) - p);
      if (!nl) return;
      p = nl + 1;
      EndLine();
      continue;
    }
    const char c = *p++;
    if (line_ == Line::kComment) {
      if (c == '\n') line_ = Line::kField;
      continue;
    }
    if (line_ == Line::kSkipSpace) {
      line_ = Line::kValue;
      if (c == ' ') continue;
      if (c != '\n') {
        AppendValue(&c, 1);
        continue;
      }
      EndLine();
      continue;
    }
    // Line::kField
    if (c == '\n') {
      if (field_.empty() || field_ == "\r") Dispatch();
      field_.clear();
      continue;
    }
    if (c == ':') {
      if (field_.empty()) {
        line_ = Line::kComment;
      } else {
        line_ = Line::kSkipSpace;
        BeginValue();
      }
      continue;
    }
    field_.push_back(c);
  }
}

void SseStreamParser::BeginValue() {
  in_data_ = field_ == "data";
  value_.clear();
  if (in_data_ && data_seen_) AppendValue("\n", 1);  // a second data line
  data_seen_ |= in_data_;
}

void SseStreamParser::AppendValue(const char* p, size_t n) {
  if (!in_data_) {
    value_.append(p, n);
    return;
  }
  std::string& data = event_.data;
  event_.size += n;
  if (digest_) XXH3_64bits_update(digest_->state, p, n);
  if (!options_.store && data.size() + n > kDataPrefixBytes) {
    n = kDataPrefixBytes > data.size() ? kDataPrefixBytes - data.size() : 0;
    event_.truncated = true;
  }
  data.append(p, n);
}

void SseStreamParser::EndLine() {
  if (in_data_) {
    if (!event_.data.empty() && event_.data.back() == '\r') event_.data.pop_back();
  } else {
    std::string_view value = value_;
    if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
    if (field_ == "id") {
      std::from_chars(value.data(), value.data() + value.size(), event_.id);
    } else if (field_ == "event") {
      event_.type = std::string(value);
    }
  }
  field_.clear();
  in_data_ = false;
  line_ = Line::kField;
}

// A blank line ends the event (EventSource ignores one without data).
void SseStreamParser::Dispatch() {
  if (data_seen_) {
    const size_t size = event_.data.size();
    if (digest_) {
      event_.data_hash = XXH3_64bits_digest(digest_->state);
      XXH3_64bits_reset(digest_->state);
    }
    emit_(std::move(event_));
    event_ = SseEvent{};
    // Events of one stream are alike in size: growing the next buffer in
    // one step saves the copies of doubling a megabyte string.
    if (options_.store) event_.data.reserve(size);
  }
  event_.type.clear();
  data_seen_ = false;
}

}  // namespace echelon::testing
