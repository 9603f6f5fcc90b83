#include "cluster/stream_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace echelon::cluster {

namespace {
// Missed heartbeats are how an ordered consumer notices that the server
// holding it died; a short interval makes a gateway resume within seconds.
constexpr absl::Duration kHeartbeat = absl::Seconds(1);
// Next() waits in slices this long, so Cancel() takes effect promptly.
constexpr absl::Duration kCancelCheck = absl::Milliseconds(200);
}  // namespace

absl::StatusOr<std::unique_ptr<StreamReader>> StreamReader::Open(std::shared_ptr<NatsClient> nats,
                                                                 const std::string& filter,
                                                                 uint64_t start_sequence) {
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = nats->options().stream.c_str();
  options.Ordered = true;
  options.Config.Heartbeat = absl::ToInt64Nanoseconds(kHeartbeat);
  if (start_sequence == 0) {
    options.Config.DeliverPolicy = js_DeliverNew;
  } else {
    options.Config.DeliverPolicy = js_DeliverByStartSequence;
    options.Config.OptStartSeq = start_sequence;
  }
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_SubscribeSync(&sub, nats->jetstream(), filter.c_str(), nullptr, &options, &code);
  if (s != NATS_OK) return NatsError(s, absl::StrCat("cannot read the replay log (", filter, ")"), code);
  // Chunks are megabytes: bound what waits in the client by bytes, not by
  // the default message count.
  natsSubscription_SetPendingLimits(sub, -1, 512 << 20);
  return std::unique_ptr<StreamReader>(new StreamReader(std::move(nats), sub));
}

StreamReader::~StreamReader() {
  natsSubscription_Unsubscribe(sub_);
  natsSubscription_Destroy(sub_);
}

absl::StatusOr<std::optional<StreamMessage>> StreamReader::Next(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!cancelled_) {
    const absl::Duration slice = std::min(kCancelCheck, std::max(deadline - absl::Now(), absl::Milliseconds(1)));
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, sub_, absl::ToInt64Milliseconds(slice));
    if (s == NATS_TIMEOUT) {
      if (absl::Now() >= deadline) return std::nullopt;
      continue;
    }
    if (s != NATS_OK) return NatsError(s, "reading the replay log");
    StreamMessage message;
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      message.sequence = meta->Sequence.Stream;
      message.pending = meta->NumPending;
      message.stored = absl::FromUnixNanos(meta->Timestamp);
      jsMsgMetaData_Destroy(meta);
    }
    message.subject = natsMsg_GetSubject(msg);
    message.data.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
    return message;
  }
  return std::nullopt;
}

}  // namespace echelon::cluster
