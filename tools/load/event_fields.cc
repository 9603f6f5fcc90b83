#include "tools/load/event_fields.h"

#include <charconv>

namespace echelon::load {
namespace {

// The string value after `"key":"` (replay ids are plain: no escapes).
std::string StringAfter(std::string_view data, std::string_view key) {
  const size_t at = data.find(key);
  if (at == std::string_view::npos) return "";
  const size_t begin = at + key.size();
  const size_t end = data.find('"', begin);
  return std::string(data.substr(begin, end == std::string_view::npos ? 0 : end - begin));
}

int64_t IntAfter(std::string_view data, std::string_view key) {
  const size_t at = data.find(key);
  if (at == std::string_view::npos) return -1;
  const size_t begin = at + key.size();
  int64_t value = -1;
  const auto [end, error] = std::from_chars(data.data() + begin, data.data() + data.size(), value);
  return error == std::errc() ? value : -1;
}

}  // namespace

EventFields ReadEventFields(std::string_view data) {
  EventFields fields;
  fields.replay_id = StringAfter(data, "{\"replay_id\":\"");
  fields.chunk_index = IntAfter(data, ",\"chunk_index\":");
  fields.chunk_count = IntAfter(data, ",\"chunk_count\":");
  return fields;
}

std::string_view ChunkFrames(std::string_view data) {
  constexpr std::string_view kKey = ",\"frames\":";
  const size_t at = data.find(kKey);
  if (at == std::string_view::npos || data.size() < at + kKey.size() + 1) return {};
  // Frames are the last field: everything up to the object's closing brace.
  return data.substr(at + kKey.size(), data.size() - at - kKey.size() - 1);
}

}  // namespace echelon::load
