// EventLog: the recent events the hub retains for late joiners and resumes,
// bounded by bytes (the oldest go first). Not thread-safe: the hub owns it and
// touches it only under its own mutex.
#pragma once

#include <cstdint>
#include <deque>

#include "server/replay/hub_event.h"

namespace echelon::replay {

class EventLog {
 public:
  explicit EventLog(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends and evicts from the front until within budget. The newest event
  // always stays, even when it alone is over the budget.
  void Append(HubEventPtr event) {
    bytes_ += event->retained_bytes();
    last_id_ = event->id;
    events_.push_back(std::move(event));
    while (events_.size() > 1 && bytes_ > max_bytes_) {
      bytes_ -= events_.front()->retained_bytes();
      events_.pop_front();
    }
  }

  // True when every event after `after_id` is still here (nothing was missed).
  bool Covers(uint64_t after_id) const {
    if (after_id == last_id_) return true;
    if (after_id > last_id_ || events_.empty()) return false;
    return after_id + 1 >= events_.front()->id;
  }

  template <typename Fn>
  void ForEachAfter(uint64_t after_id, Fn&& fn) const {
    for (const HubEventPtr& event : events_) {
      if (event->id > after_id) fn(event);
    }
  }

  size_t bytes() const { return bytes_; }
  size_t size() const { return events_.size(); }

 private:
  const size_t max_bytes_;
  std::deque<HubEventPtr> events_;
  size_t bytes_ = 0;
  uint64_t last_id_ = 0;
};

}  // namespace echelon::replay
