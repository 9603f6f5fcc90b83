// Names in the shared replay log: the JetStream subject of each replay's
// events, the message id that makes a re-published event a duplicate, and the
// mapping between stream sequence numbers and the event ids viewers see.
//
// Layout (docs/deployment.md): `<prefix>.meta.<replay>` holds a replay's
// replay_start and replay_end, `<prefix>.chunk.<replay>` its chunks, so one
// replay reads back alone with the filter `<prefix>.*.<replay>` and the small
// start/end events read without the chunks with `<prefix>.meta.>`.
// <replay> is the replay id with every byte outside [A-Za-z0-9_-] written as
// ~XX (hex): subjects may not hold '.', '*', '>', spaces or control bytes.
// `<prefix>.library.<replay>` carries the library's pin, unpin and delete of a
// replay (server/library/library_ops.h), in the same stream so that every
// core's copy applies them in order with the chunks; viewers skip them.
//
// Event ids: id = base + stream sequence, base = the stream's creation time in
// milliseconds x 1000 (as the embedded hub starts its ids). Every gateway
// reading the same stream gives an event the same id, so a viewer that fails
// over to another gateway resumes with its Last-Event-ID, and a stream made
// anew never reuses an id of its predecessor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace echelon::cluster {

std::string EncodeSubjectToken(std::string_view replay_id);

struct ReplaySubjects {
  std::string prefix;

  std::string Meta(std::string_view replay_id) const;
  std::string Chunk(std::string_view replay_id) const;
  // Library changes of one replay (pin, unpin, delete).
  std::string Library(std::string_view replay_id) const;
  // Every event of one replay.
  std::string OneReplay(std::string_view replay_id) const;
  // Every event of every replay (the stream's subject filter).
  std::string All() const { return prefix + ".>"; }
  std::string AllMeta() const { return prefix + ".meta.>"; }

  enum class Kind { kMeta, kChunk, kLibrary, kOther };
  // Which of the above a subject read from the stream is.
  Kind KindOf(std::string_view subject) const;
  // A replay event (start, chunk, end) that viewers get.
  bool IsReplayEvent(std::string_view subject) const {
    const Kind kind = KindOf(subject);
    return kind == Kind::kMeta || kind == Kind::kChunk;
  }
};

// Nats-Msg-Id of each event kind: JetStream drops a second message with the
// same id within the stream's duplicate window, which is what makes a chunk
// pushed to two cores (a trainer failing over) land once.
std::string StartMsgId(std::string_view replay_id);
std::string ChunkMsgId(std::string_view replay_id, uint32_t chunk_index);
std::string EndMsgId(std::string_view replay_id);

class EventIds {
 public:
  // `stream_created_ns`: jsStreamInfo.Created.
  explicit EventIds(int64_t stream_created_ns)
      : base_(static_cast<uint64_t>(stream_created_ns / 1000000) * 1000) {}
  uint64_t IdOf(uint64_t sequence) const { return base_ + sequence; }
  // The sequence an id names, or nullopt for an id this stream never gave
  // (from another stream or another server).
  std::optional<uint64_t> SequenceOf(uint64_t id, uint64_t last_sequence) const;

 private:
  uint64_t base_;
};

}  // namespace echelon::cluster
