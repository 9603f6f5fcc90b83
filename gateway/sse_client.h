// SseClient: one browser's /events stream.
//
// Ownership: shared by the SseHub (which queues live events into its outbox
// from the upstream thread) and the one thread that writes the stream: the
// SseWriter's thread (sse_writer.h; it reads the catch-up in the request's
// worker, TakeCatchUp, before taking the client over), or, when the request
// did not come through the connection front (TLS), the HTTP worker serving
// it (WriteNext). That thread alone reads the catch-up stream and touches
// last_sent_id_. Close() and Wake() may come from any thread: catch_up_mu_
// makes cancelling the catch-up stream safe while it is being started.
//
// A viewer first gets its catch-up events (a backlog-only Subscribe on the
// core: the current replay's start and retained chunks, or what it missed
// since Last-Event-ID), then its live outbox. Live events that overlap the
// catch-up are skipped by id, so nothing is shown twice or lost.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/outbox.h"
#include "absl/synchronization/mutex.h"
#include "protocol/replay_link.h"
#include "gateway/sse_encoder.h"

namespace echelon::gateway {

class SseClient {
 public:
  SseClient(uint64_t serial, bool omit_world, OutboxLimits limits)
      : serial_(serial),
        omit_world_(omit_world),
        write_timeout_(limits.max_wait),
        outbox_(limits) {}

  uint64_t serial() const { return serial_; }
  bool omit_world() const { return omit_world_; }
  Outbox<SseFrame>& outbox() { return outbox_; }

  // Starts the catch-up stream (called once, before the first WriteNext).
  void StartCatchUp(protocol::ReplayLink& core, uint64_t after_id, const std::string& auth_metadata);

  // Writes the next piece of the stream into `sink`: a catch-up event, a live
  // event or, after `keepalive` of silence, a keepalive comment. Always writes
  // something unless it returns false (the stream is over: closed by the hub,
  // or the socket failed).
  bool WriteNext(httplib::DataSink& sink, absl::Duration keepalive);

  // Ends the stream from another thread (shutdown, hub closing).
  void Close(const std::string& reason);

  // For the SseWriter: the whole catch-up as frames, read now (from the
  // core's retained events: in-process these are shared, not copied).
  std::deque<SseBytes> TakeCatchUp();
  // The next live event not already sent during the catch-up, or nullopt
  // when the outbox is empty (the next Push() then wakes the consumer) or
  // closed.
  std::optional<SseBytes> NextLive();
  void CountSent(size_t sse_bytes) { bytes_sent_.fetch_add(sse_bytes, std::memory_order_relaxed); }
  // The SseWriter's callback for "something to do" (a live event after an
  // empty outbox, or the outbox closed); Wake() runs it from any thread.
  void SetWaker(std::function<void()> waker);
  void Wake();

  uint64_t bytes_sent() const { return bytes_sent_.load(std::memory_order_relaxed); }
  // True when the stream ended because the viewer stopped taking data: its
  // outbox overflowed, or a socket write timed out.
  bool dropped_as_slow() const { return dropped_as_slow_.load(); }
  void MarkDroppedAsSlow() { dropped_as_slow_ = true; }

 private:
  bool WriteCatchUpEvent(httplib::DataSink& sink);
  // Writes one HTTP chunk (sse_encoder.h) of SSE text.
  bool Write(httplib::DataSink& sink, const SseFrame& chunk);

  const uint64_t serial_;
  const bool omit_world_;
  const absl::Duration write_timeout_;
  Outbox<SseFrame> outbox_;
  std::atomic<bool> dropped_as_slow_ = false;

  // Set once by the worker (StartCatchUp), kept until the client is gone so
  // that Close() never races with its destruction.
  absl::Mutex catch_up_mu_;
  std::unique_ptr<protocol::EventStream> catch_up_ ABSL_GUARDED_BY(catch_up_mu_);
  bool closed_ ABSL_GUARDED_BY(catch_up_mu_) = false;
  absl::Mutex waker_mu_;
  std::function<void()> waker_ ABSL_GUARDED_BY(waker_mu_);
  // Worker-thread state.
  protocol::EventStream* catching_up_ = nullptr;  // catch_up_ until it has ended
  bool greeted_ = false;
  uint64_t last_sent_id_ = 0;
  // When something other than a liveness probe was last written.
  absl::Time last_write_ = absl::Now();
  std::atomic<uint64_t> bytes_sent_ = 0;
};

}  // namespace echelon::gateway
