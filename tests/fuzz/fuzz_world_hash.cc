// libFuzzer target for the world hash: any byte string must come back as a
// hash or as InvalidArgument, never as a crash, a hang or another code. For
// accepted bodies it also checks that canonical text is a fixed point
// (canonicalising it again changes nothing), which catches escaping, number
// and key-order slips that would make hashes unstable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/canonical_json.h"
#include "protocol/world_hash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<std::string> hash = echelon::world::ComputeWorldHash(body);
  if (!hash.ok()) {
    if (hash.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (!echelon::world::IsWellFormedWorldHash(*hash)) std::abort();

  const absl::StatusOr<std::string> canonical = echelon::json::CanonicalJson(body);
  if (!canonical.ok()) std::abort();
  const absl::StatusOr<std::string> again = echelon::json::CanonicalJson(*canonical);
  if (!again.ok() || *again != *canonical) std::abort();
  return 0;
}
