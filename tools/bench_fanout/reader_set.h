// ReaderSet: the N SSE readers of one bench_fanout pass (server or floor), when
// each got replay_end, and whether each got exactly what was pushed.
//
// Reader 0 always stores every event (and, for the floor's recording, the raw
// stream) and is checked against the pushed replay. The others store too
// (the default), or with `digest` keep only a digest of each event and are
// compared with reader 0: byte-exact either way, without 50 MB per reader.
// With `shared_threads` > 0 the readers after the first share that many
// epoll threads (SseReaderGroup) instead of a thread each: a thousand reader
// threads on two cores wait seconds for a core, and the server drops a viewer
// that takes no bytes for its broadcast timeout.
//
//   ReaderSet readers(spec, [&](int i) { return port; });
//   readers.Start();
//   ECHELON_RETURN_IF_ERROR(readers.WaitConnected(absl::Seconds(10)));
//   ... push ...
//   std::optional<absl::Time> last = readers.WaitAllEnded(absl::Seconds(120));
//   readers.Stop();
//   bool failed; std::string verdict = readers.Verify(replay, replay_id, failed);
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/load/replay_source.h"
#include "tools/testing/sse_reader.h"
#include "tools/testing/sse_reader_group.h"

namespace echelon::tools {

struct ReaderSpec {
  int count = 1;
  // Readers after the first keep a digest of each event instead of its data.
  bool digest = false;
  // 0: a thread per reader; else the readers after the first share this many threads.
  int shared_threads = 0;
  int thread_nice = 0;
  // Reader 0 keeps the raw stream (wire()).
  bool keep_first_wire = false;
};

class ReaderSet {
 public:
  ReaderSet(const ReaderSpec& spec, const std::function<int(int)>& port_of);
  ~ReaderSet();

  // Starts connecting (without waiting: the floor accepts meanwhile).
  void Start();
  [[nodiscard]] absl::Status WaitConnected(absl::Duration timeout);
  // Waits until every reader has replay_end; returns the last arrival.
  std::optional<absl::Time> WaitAllEnded(absl::Duration timeout);
  void Stop();

  // After Stop(): "N/N exact", or what was wrong with the first bad reader
  // (then `failed`).
  std::string Verify(const load::PushableReplay& replay, const std::string& replay_id, bool& failed) const;
  uint64_t wire_bytes() const;
  const std::string& first_wire() const { return first_->wire(); }

 private:
  void Ended(int reader);
  // Every reader's events, reader 0 first (after Stop()).
  std::vector<const std::vector<testing::SseEvent>*> AllEvents() const;

  const ReaderSpec spec_;
  std::unique_ptr<testing::SseReader> first_;
  std::vector<std::unique_ptr<testing::SseReader>> threaded_;  // readers 1.. with a thread each
  std::unique_ptr<testing::SseReaderGroup> group_;             // or readers 1.. on shared threads
  absl::Mutex mu_;
  std::vector<absl::Time> ends_ ABSL_GUARDED_BY(mu_);
  int ended_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace echelon::tools
