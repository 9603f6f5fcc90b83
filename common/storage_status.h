// The one convention for "the disk is full": ResourceExhausted whose message
// starts with kInsufficientStorage. The core's library makes it, the gateway
// answers it with HTTP 507 (plain ResourceExhausted stays 413), and it
// survives a trip over gRPC, which carries only the code and the message.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace echelon {

inline constexpr std::string_view kInsufficientStorage = "insufficient storage";

inline bool IsInsufficientStorage(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted &&
         std::string_view(status.message().data(), status.message().size()).substr(0, kInsufficientStorage.size()) ==
             kInsufficientStorage;
}

}  // namespace echelon
