// Bearer-token checks shared by the core (gRPC metadata) and the gateway
// (HTTP header): `authorization: Bearer <token>`, compared in constant time
// so that the time taken says nothing about how much of a guess was right.
// Tokens are never logged.
#pragma once

#include <openssl/crypto.h>

#include <string>
#include <string_view>

namespace echelon {

// True when `authorization` is exactly "Bearer <token>".
inline bool BearerMatches(std::string_view authorization, std::string_view token) {
  const std::string expected = "Bearer " + std::string(token);
  return authorization.size() == expected.size() &&
         CRYPTO_memcmp(authorization.data(), expected.data(), expected.size()) == 0;
}

// True when `value` may travel as gRPC metadata: printable ASCII only. gRPC
// aborts the process on any other byte in a metadata value, so a header from
// a client is checked with this before it is forwarded to the core.
inline bool IsValidMetadataValue(std::string_view value) {
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace echelon
