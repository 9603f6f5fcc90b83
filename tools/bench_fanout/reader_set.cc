#include "tools/bench_fanout/reader_set.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/load/event_fields.h"

namespace echelon::tools {

namespace {

// Problems with a stored stream; empty when it is exactly the push.
std::string CheckStream(const std::vector<testing::SseEvent>& events, const load::PushableReplay& replay,
                        const std::string& replay_id) {
  const size_t chunks = replay.chunks.size();
  if (events.size() != chunks + 2) return absl::StrCat(events.size(), " events, expected ", chunks + 2);
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].id != events[i - 1].id + 1) return absl::StrCat("id break before event ", i);
  }
  if (events.front().type != "replay_start" || load::ReadEventFields(events.front().data).replay_id != replay_id) {
    return "first event is not this replay's replay_start";
  }
  if (events.back().type != "replay_end") return "last event is not replay_end";
  for (size_t i = 0; i < chunks; ++i) {
    const testing::SseEvent& e = events[i + 1];
    if (e.type != "replay_chunk" || load::ReadEventFields(e.data).chunk_index != static_cast<int64_t>(i)) {
      return absl::StrCat("event ", i + 1, " is not chunk ", i);
    }
    if (load::ChunkFrames(e.data) != replay.chunks[i].frames_json) return absl::StrCat("chunk ", i, " frames differ");
  }
  return "";
}

// Problems with a digested stream against the checked reference; empty when
// every event has the same id, type, size and data digest.
std::string CompareDigests(const std::vector<testing::SseEvent>& events,
                           const std::vector<testing::SseEvent>& reference) {
  if (events.size() != reference.size()) {
    return absl::StrCat(events.size(), " events, reader 0 got ", reference.size());
  }
  for (size_t i = 0; i < events.size(); ++i) {
    const testing::SseEvent& a = events[i];
    const testing::SseEvent& b = reference[i];
    if (a.id != b.id || a.type != b.type || a.size != b.size || a.data_hash != b.data_hash) {
      return absl::StrCat("event ", i, " differs from reader 0's");
    }
  }
  return "";
}

}  // namespace

ReaderSet::ReaderSet(const ReaderSpec& spec, const std::function<int(int)>& port_of) : spec_(spec) {
  ends_.resize(spec.count);
  auto reader_options = [&](int i) {
    testing::SseReaderOptions options;
    options.port = port_of(i);
    options.store = i == 0 || !spec.digest;
    options.digest = spec.digest;
    options.keep_wire = i == 0 && spec.keep_first_wire;
    options.thread_nice = spec.thread_nice;
    return options;
  };
  auto on_end = [this](int i) {
    return [this, i](const testing::SseEvent& e) {
      if (e.type == "replay_end") Ended(i);
    };
  };
  first_ = std::make_unique<testing::SseReader>(reader_options(0), on_end(0));
  if (spec.shared_threads > 0 && spec.count > 1) {
    testing::SseReaderGroupOptions options;
    options.count = spec.count - 1;
    options.port_of = [port_of](int i) { return port_of(i + 1); };
    options.parse = {.store = !spec.digest, .digest = spec.digest};
    options.threads = spec.shared_threads;
    options.thread_nice = spec.thread_nice;
    group_ = std::make_unique<testing::SseReaderGroup>(options, [this](int i, const testing::SseEvent& e) {
      if (e.type == "replay_end") Ended(i + 1);
    });
    return;
  }
  for (int i = 1; i < spec.count; ++i) {
    threaded_.push_back(std::make_unique<testing::SseReader>(reader_options(i), on_end(i)));
  }
}

ReaderSet::~ReaderSet() { Stop(); }

void ReaderSet::Start() {
  first_->Start();
  for (auto& r : threaded_) r->Start();
  if (group_) group_->Start();
}

absl::Status ReaderSet::WaitConnected(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  bool connected = first_->WaitConnected(timeout);
  for (auto& r : threaded_) connected = connected && r->WaitConnected(deadline - absl::Now());
  if (group_) connected = connected && group_->WaitConnected(deadline - absl::Now());
  return connected ? absl::OkStatus() : absl::UnavailableError("a reader could not connect");
}

std::optional<absl::Time> ReaderSet::WaitAllEnded(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ended_ == static_cast<int>(ends_.size()); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&all), timeout)) return std::nullopt;
  return *std::max_element(ends_.begin(), ends_.end());
}

void ReaderSet::Stop() {
  first_->Stop();
  for (auto& r : threaded_) r->Stop();
  if (group_) group_->Stop();
}

std::vector<const std::vector<testing::SseEvent>*> ReaderSet::AllEvents() const {
  std::vector<const std::vector<testing::SseEvent>*> all = {&first_->events()};
  for (const auto& r : threaded_) all.push_back(&r->events());
  for (int i = 0; group_ && i < group_->count(); ++i) all.push_back(&group_->events(i));
  return all;
}

std::string ReaderSet::Verify(const load::PushableReplay& replay, const std::string& replay_id, bool& failed) const {
  const std::vector<const std::vector<testing::SseEvent>*> all = AllEvents();
  int good = 0;
  std::string first_problem;
  for (size_t i = 0; i < all.size(); ++i) {
    // Reader 0 against the push; the others the same way, or by digest against reader 0.
    std::string problem = i == 0 || !spec_.digest ? CheckStream(*all[i], replay, replay_id)
                                                  : CompareDigests(*all[i], *all[0]);
    if (problem.empty()) {
      ++good;
    } else if (first_problem.empty()) {
      first_problem = absl::StrCat("reader ", i, ": ", problem);
    }
  }
  failed = good != static_cast<int>(all.size());
  std::string verdict = absl::StrCat(good, "/", all.size(), spec_.digest ? " exact (digests)" : " exact");
  if (failed) absl::StrAppend(&verdict, " (", first_problem, ")");
  return verdict;
}

uint64_t ReaderSet::wire_bytes() const {
  uint64_t total = first_->stats().wire_bytes;
  for (const auto& r : threaded_) total += r->stats().wire_bytes;
  if (group_) total += group_->wire_bytes();
  return total;
}

void ReaderSet::Ended(int reader) {
  absl::MutexLock lock(&mu_);
  ends_[reader] = absl::Now();
  ++ended_;
}

}  // namespace echelon::tools
