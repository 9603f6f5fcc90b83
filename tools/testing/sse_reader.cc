#include "tools/testing/sse_reader.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/testing/net.h"

namespace echelon::testing {

// Incremental parser of one HTTP response carrying an SSE stream: headers,
// then a chunked or plain body, then SSE lines. Feed() takes whatever recv()
// returned; events come out through `emit` as soon as their blank line is in.
class SseReader::Parser {
 public:
  Parser(bool store, std::function<void(SseEvent)> emit) : store_(store), emit_(std::move(emit)) {}

  // False on a malformed response.
  bool Feed(const char* p, size_t n) {
    if (state_ == State::kHeaders) {
      const size_t consumed = FeedHeaders(p, n);
      if (state_ == State::kHeaders || state_ == State::kError) return state_ != State::kError;
      p += consumed;
      n -= consumed;
    }
    return chunked_ ? FeedChunked(p, n) : (FeedSse(p, n), true);
  }

  bool headers_done() const { return state_ != State::kHeaders; }
  int status() const { return status_; }

 private:
  enum class State { kHeaders, kChunkSize, kChunkData, kChunkDataEnd, kDone, kError };
  enum class Line { kField, kSkipSpace, kValue, kComment };

  // Returns how many bytes of p belonged to the headers.
  size_t FeedHeaders(const char* p, size_t n) {
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

  void ParseHeaders() {
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

  bool FeedChunked(const char* p, size_t n) {
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

  void FeedSse(const char* p, size_t n) {
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

  void BeginValue() {
    in_data_ = field_ == "data";
    value_.clear();
    if (in_data_ && data_seen_) AppendValue("\n", 1);  // a second data line
    data_seen_ |= in_data_;
  }

  void AppendValue(const char* p, size_t n) {
    if (!in_data_) {
      value_.append(p, n);
      return;
    }
    std::string& data = event_.data;
    event_.size += n;
    if (!store_ && data.size() + n > kDataPrefixBytes) {
      n = kDataPrefixBytes > data.size() ? kDataPrefixBytes - data.size() : 0;
      event_.truncated = true;
    }
    data.append(p, n);
  }

  void EndLine() {
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
  void Dispatch() {
    if (data_seen_) {
      const size_t size = event_.data.size();
      emit_(std::move(event_));
      event_ = SseEvent{};
      // Events of one stream are alike in size: growing the next buffer in
      // one step saves the copies of doubling a megabyte string.
      if (store_) event_.data.reserve(size);
    }
    event_.type.clear();
    data_seen_ = false;
  }

  const bool store_;
  const std::function<void(SseEvent)> emit_;
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

SseReader::SseReader(SseReaderOptions options, EventCallback on_event)
    : options_(std::move(options)), on_event_(std::move(on_event)) {}

SseReader::~SseReader() { Stop(); }

void SseReader::Start() { thread_ = std::thread([this] { Run(); }); }

void SseReader::Stop() {
  stopping_ = true;
  {
    absl::MutexLock lock(&mu_);
    const int fd = fd_.load();
    if (fd >= 0) shutdown(fd, SHUT_RDWR);  // wakes a blocked recv()
  }
  if (thread_.joinable()) thread_.join();
}

bool SseReader::WaitConnected(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto connected = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return connected_; };
  return mu_.AwaitWithTimeout(absl::Condition(&connected), timeout);
}

SseReaderStats SseReader::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void SseReader::Run() {
  // On Linux a nice value belongs to the thread: this one only.
  if (options_.thread_nice != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.thread_nice);
  while (!stopping_ && RunConnection()) {
    // Bounded: every pass either sleeps reconnect_delay or ends.
    absl::SleepFor(options_.reconnect_delay);
  }
}

bool SseReader::SendRequest(int fd) {
  std::string request = absl::StrCat("GET ", options_.path, " HTTP/1.1\r\nHost: ", options_.host, ":",
                                     options_.port, "\r\nAccept: text/event-stream\r\n");
  if (last_id_ > 0) absl::StrAppend(&request, "Last-Event-ID: ", last_id_.load(), "\r\n");
  request += "\r\n";
  return SendAll(fd, request);
}

bool SseReader::RunConnection() {
  const int fd = ConnectTcp(options_.host, options_.port);
  auto give_up_or_retry = [this](int status) {
    absl::MutexLock lock(&mu_);
    ++stats_.refused;
    stats_.last_status = status;
    return options_.reconnect_on_close;
  };
  if (fd < 0) return give_up_or_retry(0);
  {
    absl::MutexLock lock(&mu_);
    fd_ = fd;
  }
  // A receive timeout lets the loop notice Stop() and reconnect deadlines
  // even when the server sends nothing.
  SetReceiveTimeout(fd, absl::Milliseconds(200));
  const bool slow = options_.max_bytes_per_second > 0;
  std::vector<char> buffer(slow ? std::max<size_t>(1024, options_.max_bytes_per_second / 20) : 1 << 20);
  Parser parser(options_.store, [this](SseEvent e) { OnEvent(std::move(e)); });
  const absl::Time connected_at = absl::Now();
  absl::Time window_start = connected_at;
  size_t window_bytes = 0;
  bool again = false;
  bool answered = false;
  bool stalled = false;
  const bool keep_wire = options_.keep_wire && attempts_++ == 0;
  size_t body_bytes = 0;
  bool ok = SendRequest(fd);
  while (ok && !stopping_) {
    if (absl::Now() - connected_at > options_.reconnect_every) {
      again = true;  // a voluntary disconnect; come back with Last-Event-ID
      break;
    }
    const ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (got <= 0) {
      if (stopping_) break;  // our own shutdown(), not the server's doing
      absl::MutexLock lock(&mu_);
      ++stats_.closed_by_server;
      again = options_.reconnect_on_close;
      break;
    }
    {
      absl::MutexLock lock(&mu_);
      stats_.wire_bytes += got;
      if (keep_wire) wire_.append(buffer.data(), got);
    }
    ok = parser.Feed(buffer.data(), got);
    if (!answered && parser.headers_done()) {
      answered = true;
      if (parser.status() != 200) {
        again = give_up_or_retry(parser.status());
        break;
      }
      absl::MutexLock lock(&mu_);
      ++stats_.connections;
      connected_ = true;
    }
    body_bytes += got;
    if (slow) Throttle(got, window_start, window_bytes);
    if (!stalled && options_.stall_after_bytes > 0 && body_bytes >= options_.stall_after_bytes) {
      stalled = true;  // once per connection
      const absl::Time until = absl::Now() + options_.stall_for;
      while (!stopping_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(20));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    fd_ = -1;
    close(fd);
  }
  return again && !stopping_;
}

void SseReader::Throttle(size_t just_read, absl::Time& window_start, size_t& window_bytes) {
  window_bytes += just_read;
  const absl::Duration due =
      absl::Seconds(static_cast<double>(window_bytes) / options_.max_bytes_per_second);
  const absl::Duration ahead = due - (absl::Now() - window_start);
  if (ahead > absl::ZeroDuration()) absl::SleepFor(ahead);
}

void SseReader::OnEvent(SseEvent event) {
  last_id_ = event.id;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.events;
    stats_.data_bytes += event.size;
  }
  if (on_event_) on_event_(event);
  if (options_.store) events_.push_back(std::move(event));
}

}  // namespace echelon::testing
