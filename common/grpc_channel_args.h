// Channel arguments for every C++ gRPC channel to a core (the --core
// gateway link, echelon-push, the C++ client library), in one place.
//
// gRPC's default reconnect backoff starts at 1 s and grows to 120 s, so a
// channel that saw the core go away keeps failing for seconds after the core
// is back. These keep reconnect attempts at most 400 ms apart (plus gRPC's
// 20% jitter), so a restarted core is found within half a second of it
// listening; an attempt against a closed port on a LAN costs one SYN.
#pragma once

#include <grpcpp/support/channel_arguments.h>

namespace echelon {

inline constexpr int kReconnectInitialBackoffMs = 100;
inline constexpr int kReconnectMaxBackoffMs = 400;
// gRPC also uses this as the shortest connect timeout of one attempt.
inline constexpr int kReconnectMinConnectTimeoutMs = 1000;

inline void SetFastReconnect(grpc::ChannelArguments& args) {
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectInitialBackoffMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kReconnectMinConnectTimeoutMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kReconnectMaxBackoffMs);
}

}  // namespace echelon
