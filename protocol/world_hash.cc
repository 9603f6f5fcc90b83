#include "protocol/world_hash.h"

#include <openssl/evp.h>

#include <algorithm>

#include "protocol/canonical_json.h"

namespace echelon::world {

absl::StatusOr<std::string> ComputeWorldHash(std::string_view json_text) {
  absl::StatusOr<std::string> canonical = json::CanonicalJson(json_text);
  if (!canonical.ok()) return canonical.status();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(canonical->data(), canonical->size(), digest, &digest_size, EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("sha256 failed (OpenSSL EVP_Digest)");
  }
  constexpr char kHex[] = "0123456789abcdef";
  std::string hash;
  hash.reserve(kWorldHashLength);
  for (size_t i = 0; i < kWorldHashLength / 2; ++i) {
    hash.push_back(kHex[digest[i] >> 4]);
    hash.push_back(kHex[digest[i] & 0xf]);
  }
  return hash;
}

bool IsWellFormedWorldHash(std::string_view text) {
  return text.size() == kWorldHashLength &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace echelon::world
