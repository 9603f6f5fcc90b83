// Outbox: one consumer's queue of shared, immutable events.
//
// Fan-out encodes each event once and hands the same std::shared_ptr to every
// consumer's outbox, so a 2 MB chunk costs 2 MB however many viewers there
// are. Like Redis's client output buffers, every outbox counts the bytes it
// refers to and enforces limits on each append: past `max_bytes`, or when an
// event has waited longer than `max_wait` without the consumer taking
// anything meanwhile, the outbox closes itself and the producer moves on. The producer never blocks on a consumer.
//
// Threads: any number of producers call Push(); exactly one consumer pops,
// either blocking (PopWait, an SSE worker thread) or edge-triggered
// (PopOrIdle + the Push() result, a gRPC reactor that must not block).
//
//   Outbox<std::string> box({.max_bytes = 32 << 20, .max_wait = absl::Seconds(1)});
//   if (box.Push(bytes, bytes->size(), id) == PushResult::kWokeIdleConsumer) Kick();
//   while (auto item = box.PopWait(absl::Seconds(15))) Write(*item->value);
#pragma once

#include <cstdint>
#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace echelon {

struct OutboxLimits {
  size_t max_bytes = 64u << 20;
  absl::Duration max_wait = absl::Seconds(1);
};

enum class PushResult {
  kQueued,            // the consumer is busy and will find the item
  kWokeIdleConsumer,  // the consumer was idle (PopOrIdle found nothing): kick it
  kOverflowed,        // this push closed the outbox (too slow or too far behind)
  kClosed,            // already closed; the item was dropped
};

template <typename T>
class Outbox {
 public:
  struct Item {
    std::shared_ptr<const T> value;
    size_t bytes = 0;
    uint64_t id = 0;
    absl::Time queued_at;
  };

  explicit Outbox(OutboxLimits limits) : limits_(limits) {}

  PushResult Push(std::shared_ptr<const T> value, size_t bytes, uint64_t id) {
    absl::MutexLock lock(&mu_);
    if (closed_) return PushResult::kClosed;
    const absl::Time now = absl::Now();
    if (queued_bytes_ + bytes > limits_.max_bytes) {
      CloseLocked("send queue over its byte limit");
      return PushResult::kOverflowed;
    }
    if (!items_.empty() && now - std::max(items_.front().queued_at, last_pop_) > limits_.max_wait) {
      CloseLocked("did not take an event within the broadcast timeout");
      return PushResult::kOverflowed;
    }
    queued_bytes_ += bytes;
    items_.push_back(Item{std::move(value), bytes, id, now});
    const bool was_idle = consumer_idle_;
    consumer_idle_ = false;
    return was_idle ? PushResult::kWokeIdleConsumer : PushResult::kQueued;
  }

  // Queues catch-up items (a late joiner's backlog) outside the limits: the
  // backlog is as large as the retention buffer by design, and the consumer
  // has not had a chance to read any of it yet.
  void Prefill(std::shared_ptr<const T> value, uint64_t id) {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    items_.push_back(Item{std::move(value), 0, id, absl::InfiniteFuture()});
  }

  // Blocking pop for a consumer thread. nullopt on timeout or when closed;
  // tell the two apart with closed().
  std::optional<Item> PopWait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() { return closed_ || !items_.empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (closed_ || items_.empty()) return std::nullopt;
    return PopLocked();
  }

  // Non-blocking pop. When empty, marks the consumer idle so that the next
  // Push() answers kWokeIdleConsumer: no event can slip between the two.
  std::optional<Item> PopOrIdle() {
    absl::MutexLock lock(&mu_);
    if (closed_ || items_.empty()) {
      consumer_idle_ = true;
      return std::nullopt;
    }
    return PopLocked();
  }

  // For a consumer that pops an item and then writes it out slowly (a big
  // event to a slow socket): each time it makes progress it says so, and the
  // broadcast timeout counts from then. A consumer that keeps taking bytes is
  // never stalled, however long one event takes.
  void NoteProgress() {
    absl::MutexLock lock(&mu_);
    last_pop_ = absl::Now();
  }

  // The producer-independent check of the stall rule, for a timer: closes
  // the outbox when an event has waited longer than max_wait without the
  // consumer taking anything meanwhile. True when it closed it.
  bool CloseIfStalled() {
    absl::MutexLock lock(&mu_);
    if (closed_ || items_.empty()) return false;
    if (absl::Now() - std::max(items_.front().queued_at, last_pop_) <= limits_.max_wait) return false;
    CloseLocked("did not take an event within the broadcast timeout");
    return true;
  }

  void Close(std::string reason) {
    absl::MutexLock lock(&mu_);
    CloseLocked(std::move(reason));
  }

  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  std::string close_reason() const {
    absl::MutexLock lock(&mu_);
    return close_reason_;
  }
  size_t queued_bytes() const {
    absl::MutexLock lock(&mu_);
    return queued_bytes_;
  }

 private:
  Item PopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Item item = std::move(items_.front());
    items_.pop_front();
    last_pop_ = absl::Now();
    queued_bytes_ -= item.bytes;
    return item;
  }

  void CloseLocked(std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (closed_) return;
    closed_ = true;
    close_reason_ = std::move(reason);
    items_.clear();
    queued_bytes_ = 0;
  }

  const OutboxLimits limits_;
  mutable absl::Mutex mu_;
  std::deque<Item> items_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool consumer_idle_ ABSL_GUARDED_BY(mu_) = true;
  // A consumer that keeps taking events (or bytes, NoteProgress) is not
  // stalled, however far behind it is (its bytes are bounded by max_bytes);
  // one that took nothing for max_wait while an event waited is.
  absl::Time last_pop_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::string close_reason_ ABSL_GUARDED_BY(mu_);
};

}  // namespace echelon
