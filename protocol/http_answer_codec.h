// The small JSON answers of the HTTP front (PROTOCOL.md, "Push" and
// "Errors"): the acknowledgement of POST /push and the {"detail": ...} body of
// every failure. The gateway renders them; the C++ client reads them back.
//
//   std::string body = json::RenderPushAckJson(ack, viewers);  // {"status":"ok",...}
//   bool resent = json::PushAckIsDuplicate(body);              // false
//   std::string error = json::RenderErrorJson("world hash mismatch");
//   std::optional<std::string> detail = json::ErrorDetail(error);  // "world hash mismatch"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "echelon/replay/v1/replay.pb.h"

namespace echelon::json {

// {"status":"ok","replay_id":s,"chunk_index":n,"clients_notified":n} and, for
// a re-sent chunk, "duplicate":true (clients_notified is then 0).
std::string RenderPushAckJson(const replay::v1::PushAck& ack, uint64_t clients_notified);

// Whether a push acknowledgement says "duplicate": true. Anything that is not
// such an object (an older server's answer included) reads as false.
bool PushAckIsDuplicate(std::string_view body);

// {"detail":"..."}
std::string RenderErrorJson(std::string_view detail);

// The "detail" string of an error body; nullopt when the body is not a JSON
// object with a string "detail" (a proxy's HTML page, say).
std::optional<std::string> ErrorDetail(std::string_view body);

}  // namespace echelon::json
