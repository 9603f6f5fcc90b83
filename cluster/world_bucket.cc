#include "cluster/world_bucket.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace echelon::cluster {

namespace {
constexpr absl::string_view kPartsPrefix = "parts:";
// Room for the message headers and the KV subject within max_payload.
constexpr int64_t kHeaderAllowance = 4096;
}  // namespace

absl::StatusOr<std::string> WorldBucket::Get(const std::string& key) {
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, nats_->world_bucket(), key.c_str());
  if (s == NATS_NOT_FOUND) return absl::NotFoundError(absl::StrCat("world ", key, " is not stored"));
  if (s != NATS_OK) return NatsError(s, absl::StrCat("KV get ", key));
  std::string value(static_cast<const char*>(kvEntry_Value(entry)), kvEntry_ValueLen(entry));
  kvEntry_Destroy(entry);
  return value;
}

absl::Status WorldBucket::Put(const std::string& key, absl::string_view value) {
  uint64_t revision = 0;
  natsStatus s = kvStore_Put(&revision, nats_->world_bucket(), key.c_str(), value.data(),
                             static_cast<int>(value.size()));
  if (s != NATS_OK) return NatsError(s, absl::StrCat("KV put ", key));
  return absl::OkStatus();
}

absl::Status WorldBucket::Save(const std::string& hash, const std::string& json) {
  const size_t part_size = static_cast<size_t>(std::max<int64_t>(nats_->max_payload() - kHeaderAllowance, 1024));
  if (json.size() <= part_size) return Put(hash, json);
  const size_t parts = (json.size() + part_size - 1) / part_size;
  for (size_t i = 0; i < parts; ++i) {
    if (absl::Status put = Put(absl::StrCat(hash, ".", i), absl::string_view(json).substr(i * part_size, part_size));
        !put.ok()) {
      return put;
    }
  }
  return Put(hash, absl::StrCat(kPartsPrefix, parts));
}

absl::StatusOr<std::string> WorldBucket::Load(const std::string& hash) {
  absl::StatusOr<std::string> head = Get(hash);
  if (!head.ok() || !absl::StartsWith(*head, kPartsPrefix)) return head;
  size_t parts = 0;
  if (!absl::SimpleAtoi(absl::string_view(*head).substr(kPartsPrefix.size()), &parts)) {
    return absl::DataLossError(absl::StrCat("world ", hash, " has a damaged parts record: ", *head));
  }
  std::string json;
  for (size_t i = 0; i < parts; ++i) {
    absl::StatusOr<std::string> part = Get(absl::StrCat(hash, ".", i));
    if (!part.ok()) return part.status();
    json += *part;
  }
  return json;
}

}  // namespace echelon::cluster
