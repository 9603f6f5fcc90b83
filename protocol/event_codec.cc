#include "protocol/event_codec.h"

#include <cstring>

#include "common/json_writer.h"
#include "protocol/internal/json_reader.h"
#include "protocol/json_text.h"
#include "protocol/internal/dom_struct.h"

namespace echelon::json {
namespace {

using echelon::replay::v1::ReplayChunkEvent;
using echelon::replay::v1::ReplayEnd;
using echelon::replay::v1::ReplayStart;
using echelon::replay::v1::WorldEvent;

bool HasLineBreak(std::string_view text) {
  return std::memchr(text.data(), '\n', text.size()) != nullptr ||
         std::memchr(text.data(), '\r', text.size()) != nullptr;
}

// Splices already-encoded JSON, keeping the event on one line.
void WriteRaw(std::string_view json, std::string_view if_empty, JsonWriter& writer) {
  if (json.empty()) {
    writer.Raw(if_empty);
  } else if (HasLineBreak(json)) {
    writer.Raw(MinifyJson(json));
  } else {
    writer.Raw(json);
  }
}

bool IsReplayStartKey(std::string_view key) {
  return key == "replay_id" || key == "world_ref" || key == "chunk_count" || key == "meta" || key == "world";
}

void WriteStart(const ReplayStart& start, JsonWriter& writer) {
  writer.Key("replay_id");
  writer.String(start.replay_id());
  writer.Key("world_ref");
  writer.String(start.world_ref());
  writer.Key("chunk_count");
  writer.Int(start.chunk_count());
  writer.Key("meta");
  internal::WriteStruct(start.meta(), writer);  // an unset Struct renders as {}
  if (!start.world_json().empty()) {
    writer.Key("world");
    WriteRaw(start.world_json(), "null", writer);
  }
  internal::WriteStructFields(start.extra(), writer, IsReplayStartKey);
}

// Everything of a replay_chunk's object up to the value of "frames", its last key.
void WriteChunkUpToFrames(const ReplayChunkEvent& chunk, JsonWriter& writer) {
  writer.Key("replay_id");
  writer.String(chunk.replay_id());
  writer.Key("chunk_index");
  writer.Int(chunk.chunk_index());
  writer.Key("frames");
}

void WriteChunk(const ReplayChunkEvent& chunk, JsonWriter& writer) {
  WriteChunkUpToFrames(chunk, writer);
  WriteRaw(chunk.frames_json(), "[]", writer);
}

void WriteEnd(const ReplayEnd& end, JsonWriter& writer) {
  writer.Key("replay_id");
  writer.String(end.replay_id());
}

void WriteWorld(const WorldEvent& world, JsonWriter& writer) {
  writer.Key("hash");
  writer.String(world.hash());
  writer.Key("data");
  WriteRaw(world.data_json(), "null", writer);
}

}  // namespace

std::string_view EventTypeName(const ReplayEvent& event) {
  switch (event.kind_case()) {
    case ReplayEvent::kReplayStart: return "replay_start";
    case ReplayEvent::kReplayChunk: return "replay_chunk";
    case ReplayEvent::kReplayEnd: return "replay_end";
    case ReplayEvent::kWorld: return "world";
    case ReplayEvent::KIND_NOT_SET: break;
  }
  return "";
}

void AppendEventDataJson(const ReplayEvent& event, std::string& out) {
  JsonWriter writer(out);
  writer.BeginObject();
  switch (event.kind_case()) {
    case ReplayEvent::kReplayStart: WriteStart(event.replay_start(), writer); break;
    case ReplayEvent::kReplayChunk: WriteChunk(event.replay_chunk(), writer); break;
    case ReplayEvent::kReplayEnd: WriteEnd(event.replay_end(), writer); break;
    case ReplayEvent::kWorld: WriteWorld(event.world(), writer); break;
    case ReplayEvent::KIND_NOT_SET: break;
  }
  writer.EndObject();
}

bool AppendChunkDataJsonAroundFrames(const ReplayEvent& event, std::string& before, std::string& after) {
  if (!event.has_replay_chunk()) return false;
  const std::string& frames = event.replay_chunk().frames_json();
  if (frames.empty() || HasLineBreak(frames)) return false;
  JsonWriter writer(before);
  writer.BeginObject();
  WriteChunkUpToFrames(event.replay_chunk(), writer);
  after.push_back('}');
  return true;
}

std::string EventDataJson(const ReplayEvent& event) {
  std::string out;
  const size_t raw_size = event.replay_chunk().frames_json().size() + event.replay_start().world_json().size() +
                          event.world().data_json().size();
  out.reserve(raw_size + 256);
  AppendEventDataJson(event, out);
  return out;
}

}  // namespace echelon::json
