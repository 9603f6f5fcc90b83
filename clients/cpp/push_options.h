// What both transports (ReplayClient over gRPC, HttpPusher over HTTP) take and
// give back when pushing a replay, so the CLI and tests treat them alike.
//
//   PushOptions options;
//   options.chunk_frames = 100;
//   options.on_progress = [](const PushProgress& p) { Draw(p.chunks_done, p.chunk_count); };
//   absl::StatusOr<PushResult> result = client.PushReplay(replay, options);
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "clients/cpp/retry.h"

namespace echelon::client {

struct PushProgress {
  int chunks_done = 0;  // in the current attempt
  int chunk_count = 0;
  int64_t bytes_done = 0;  // frame JSON bytes
  int64_t bytes_total = 0;
  int attempt = 0;  // 0 for the first pass; a stream re-sent after a failure counts up
};

struct PushOptions {
  int chunk_frames = 100;
  // Empty: a random 12-hex-digit id, like the trainer's uuid4().hex[:12].
  std::string replay_id;
  RetryPolicy retry;
  // Deadline of one request (a unary call, an HTTP request, the stream's
  // per-chunk share).
  absl::Duration timeout = absl::Seconds(30);
  // gRPC only: push chunk by chunk with the unary Push (one ack per chunk)
  // instead of the PushChunks stream. Slower, but a retry resumes at the
  // first unacknowledged chunk, so even a restarted server (which has
  // forgotten what it saw) never broadcasts a chunk twice.
  bool ack_each_chunk = false;
  std::function<void(const PushProgress&)> on_progress;
  // Called before each retry with why and how long it waits.
  RetryObserver on_retry;
};

struct PushResult {
  std::string replay_id;
  std::string world_hash;
  int chunk_count = 0;
  int chunks_accepted = 0;   // new chunks, broadcast by the server
  int chunks_duplicate = 0;  // re-sends the server had seen already
  int64_t frame_bytes = 0;   // frame JSON bytes of one full pass
  int retries = 0;
  absl::Duration elapsed;
};

// A fresh random replay id (12 lowercase hex digits).
std::string NewReplayId();

}  // namespace echelon::client
