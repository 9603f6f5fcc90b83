#include "cluster/replay_subjects.h"

#include "absl/strings/str_cat.h"

namespace echelon::cluster {

std::string EncodeSubjectToken(std::string_view replay_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string token;
  token.reserve(replay_id.size());
  for (const unsigned char c : replay_id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '-';
    if (plain) {
      token.push_back(static_cast<char>(c));
    } else {
      token.push_back('~');
      token.push_back(kHex[c >> 4]);
      token.push_back(kHex[c & 0xF]);
    }
  }
  return token;
}

std::string ReplaySubjects::Meta(std::string_view replay_id) const {
  return absl::StrCat(prefix, ".meta.", EncodeSubjectToken(replay_id));
}

std::string ReplaySubjects::Chunk(std::string_view replay_id) const {
  return absl::StrCat(prefix, ".chunk.", EncodeSubjectToken(replay_id));
}

std::string ReplaySubjects::Library(std::string_view replay_id) const {
  return absl::StrCat(prefix, ".library.", EncodeSubjectToken(replay_id));
}

ReplaySubjects::Kind ReplaySubjects::KindOf(std::string_view subject) const {
  if (!subject.starts_with(prefix) || subject.substr(prefix.size()).substr(0, 1) != ".") return Kind::kOther;
  subject.remove_prefix(prefix.size() + 1);
  const size_t dot = subject.find('.');
  if (dot == std::string_view::npos) return Kind::kOther;
  const std::string_view kind = subject.substr(0, dot);
  if (kind == "meta") return Kind::kMeta;
  if (kind == "chunk") return Kind::kChunk;
  if (kind == "library") return Kind::kLibrary;
  return Kind::kOther;
}

std::string ReplaySubjects::OneReplay(std::string_view replay_id) const {
  return absl::StrCat(prefix, ".*.", EncodeSubjectToken(replay_id));
}

std::string StartMsgId(std::string_view replay_id) {
  return absl::StrCat(EncodeSubjectToken(replay_id), ":start");
}

std::string ChunkMsgId(std::string_view replay_id, uint32_t chunk_index) {
  return absl::StrCat(EncodeSubjectToken(replay_id), ":", chunk_index);
}

std::string EndMsgId(std::string_view replay_id) { return absl::StrCat(EncodeSubjectToken(replay_id), ":end"); }

std::optional<uint64_t> EventIds::SequenceOf(uint64_t id, uint64_t last_sequence) const {
  if (id < base_ || id - base_ > last_sequence) return std::nullopt;
  return id - base_;
}

}  // namespace echelon::cluster
