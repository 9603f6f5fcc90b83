#include "cluster/nats_client.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "common/endpoint_list.h"
#include "spdlog/spdlog.h"

namespace echelon::cluster {

namespace {

// While the client reconnects to another server, publishes wait in this
// buffer instead of failing; it holds a few chunks.
constexpr int kReconnectBufferBytes = 256 << 20;

// How long a starting process waits for JetStream to be ready.
constexpr absl::Duration kStartupAllowance = absl::Seconds(20);

int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

void DisconnectedCallback(natsConnection*, void*) { spdlog::warn("NATS connection lost; reconnecting"); }

void ReconnectedCallback(natsConnection* nc, void*) {
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  spdlog::info("NATS reconnected to {}", url);
}

}  // namespace

absl::Status NatsError(natsStatus status, std::string_view what, jsErrCode js_code) {
  const char* text = nats_GetLastError(nullptr);
  std::string message = absl::StrCat(std::string(what), ": ", natsStatus_GetText(status));
  if (text != nullptr && *text != '\0') absl::StrAppend(&message, " (", text, ")");
  if (js_code != 0) absl::StrAppend(&message, " [JetStream error ", static_cast<int>(js_code), "]");
  switch (status) {
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(message);
    case NATS_NOT_FOUND:
      return absl::NotFoundError(message);
    case NATS_MAX_PAYLOAD:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

std::vector<std::string> SplitUrls(std::string_view list) {
  std::vector<std::string> urls;
  for (const std::string& part : SplitEndpoints(list)) {
    urls.push_back(absl::StrContains(part, "://") ? part : absl::StrCat("nats://", part));
  }
  return urls;
}

NatsClient::NatsClient(NatsOptions options)
    : options_(std::move(options)), subjects_{options_.subject_prefix} {}

absl::StatusOr<std::shared_ptr<NatsClient>> NatsClient::Connect(NatsOptions options) {
  if (options.urls.empty()) return absl::InvalidArgumentError("no NATS server URL given");
  std::shared_ptr<NatsClient> client(new NatsClient(std::move(options)));
  if (absl::Status opened = client->Open(); !opened.ok()) return opened;
  if (absl::Status stream = client->EnsureStream(); !stream.ok()) return stream;
  if (absl::Status bucket = client->EnsureWorldBucket(); !bucket.ok()) return bucket;
  return client;
}

absl::Status NatsClient::Open() {
  std::vector<const char*> urls;
  for (const std::string& url : options_.urls) urls.push_back(url.c_str());
  natsStatus s = natsOptions_Create(&nats_options_);
  if (s == NATS_OK) s = natsOptions_SetServers(nats_options_, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(nats_options_, options_.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(nats_options_, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(nats_options_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(nats_options_, 100);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(nats_options_, kReconnectBufferBytes);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(nats_options_, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(nats_options_, 2);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(nats_options_, DisconnectedCallback, nullptr);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(nats_options_, ReconnectedCallback, nullptr);
  if (s != NATS_OK) return NatsError(s, "NATS options");
  s = natsConnection_Connect(&connection_, nats_options_);
  if (s != NATS_OK) {
    return NatsError(s, absl::StrCat("cannot connect to NATS at ", absl::StrJoin(options_.urls, ",")));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = absl::ToInt64Milliseconds(options_.request_timeout);
  js_options.PublishAsync.AckHandler = &NatsClient::OnPublishAck;
  js_options.PublishAsync.AckHandlerClosure = this;
  js_options.PublishAsync.MaxPending = 4096;
  s = natsConnection_JetStream(&js_, connection_, &js_options);
  if (s != NATS_OK) return NatsError(s, "JetStream context");
  char url[256] = {0};
  natsConnection_GetConnectedUrl(connection_, url, sizeof(url));
  spdlog::info("connected to NATS at {} (max payload {} bytes)", url, max_payload());
  return absl::OkStatus();
}

absl::Status NatsClient::EnsureStream() {
  const std::string all = subjects_.All();
  const char* subjects[] = {all.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = options_.stream.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Retention = js_LimitsPolicy;
  config.Discard = js_DiscardOld;
  config.MaxBytes = options_.max_bytes;
  config.MaxAge = Nanos(options_.max_age);
  config.Replicas = options_.replicas;
  config.Duplicates = Nanos(options_.duplicate_window);

  // A cluster that is starting has no JetStream leader for a few seconds:
  // retry within the startup allowance instead of failing the core.
  const absl::Time deadline = absl::Now() + kStartupAllowance;
  jsStreamInfo* info = nullptr;
  while (true) {
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&info, js_, &config, nullptr, &code);
    if (s == NATS_OK) break;
    const absl::Status added = NatsError(s, absl::StrCat("cannot create JetStream stream ", options_.stream), code);
    // Made before with other limits (or by another core at this moment): use
    // it as it is; changing a stream's limits is an operator's decision.
    s = js_GetStreamInfo(&info, js_, options_.stream.c_str(), nullptr, &code);
    if (s == NATS_OK) {
      spdlog::info("using the existing stream {} ({} replicas)", options_.stream, info->Config->Replicas);
      break;
    }
    if (absl::Now() > deadline) return added;
    spdlog::warn("{}; retrying", added.ToString());
    absl::SleepFor(absl::Milliseconds(250));
  }
  event_ids_ = EventIds(info->Created);
  spdlog::info("replay log: stream {} on {}, sequences {}..{}", options_.stream, all, info->State.FirstSeq,
               info->State.LastSeq);
  jsStreamInfo_Destroy(info);
  return absl::OkStatus();
}

absl::Status NatsClient::EnsureWorldBucket() {
  natsStatus s = js_KeyValue(&worlds_, js_, options_.world_bucket.c_str());
  if (s == NATS_OK) return absl::OkStatus();
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = options_.world_bucket.c_str();
  config.History = 1;
  config.StorageType = js_FileStorage;
  config.Replicas = options_.replicas;
  const absl::Time deadline = absl::Now() + kStartupAllowance;
  while (true) {
    s = js_CreateKeyValue(&worlds_, js_, &config);
    // Another core may have created it meanwhile.
    if (s != NATS_OK) s = js_KeyValue(&worlds_, js_, options_.world_bucket.c_str());
    if (s == NATS_OK || absl::Now() > deadline) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  if (s != NATS_OK) return NatsError(s, absl::StrCat("cannot open KV bucket ", options_.world_bucket));
  return absl::OkStatus();
}

NatsClient::~NatsClient() {
  if (js_ != nullptr) {
    jsPubOptions wait;
    jsPubOptions_Init(&wait);
    wait.MaxWait = 1000;
    js_PublishAsyncComplete(js_, &wait);
  }
  if (worlds_ != nullptr) kvStore_Destroy(worlds_);
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (connection_ != nullptr) {
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
  }
  if (nats_options_ != nullptr) natsOptions_Destroy(nats_options_);
  absl::MutexLock lock(&pending_mu_);
  for (auto& [msg, promise] : pending_) {
    promise.set_value(absl::UnavailableError("NATS connection closed before the acknowledgement"));
  }
  pending_.clear();
}

int64_t NatsClient::max_payload() const { return natsConnection_GetMaxPayload(connection_); }

std::shared_future<absl::StatusOr<PublishAck>> NatsClient::PublishAsync(const std::string& subject,
                                                                        const std::string& msg_id,
                                                                        std::string_view data) {
  std::promise<absl::StatusOr<PublishAck>> promise;
  std::shared_future<absl::StatusOr<PublishAck>> future = promise.get_future().share();
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) {
    promise.set_value(NatsError(s, "NATS message"));
    return future;
  }
  natsMsg* const key = msg;
  {
    absl::MutexLock lock(&pending_mu_);
    pending_.emplace(key, std::move(promise));
  }
  jsPubOptions options;
  jsPubOptions_Init(&options);
  if (!msg_id.empty()) options.MsgId = msg_id.c_str();  // empty: never a duplicate
  s = js_PublishMsgAsync(js_, &msg, &options);
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);  // still ours when the library did not take it
    Complete(key, NatsError(s, absl::StrCat("publish to ", subject)));
  }
  return future;
}

void NatsClient::OnPublishAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* self) {
  auto* client = static_cast<NatsClient*>(self);
  if (ack != nullptr) {
    client->Complete(msg, PublishAck{ack->Sequence, ack->Duplicate});
  } else {
    const natsStatus status = error != nullptr ? error->Err : NATS_ERR;
    const std::string text = error != nullptr && error->ErrText != nullptr ? error->ErrText : "no acknowledgement";
    client->Complete(msg, absl::UnavailableError(absl::StrCat("JetStream did not store the event: ",
                                                              natsStatus_GetText(status), ": ", text)));
  }
  natsMsg_Destroy(msg);
}

void NatsClient::Complete(natsMsg* msg, absl::StatusOr<PublishAck> result) {
  absl::MutexLock lock(&pending_mu_);
  auto it = pending_.find(msg);
  if (it == pending_.end()) return;
  it->second.set_value(std::move(result));
  pending_.erase(it);
}

absl::StatusOr<StreamBounds> NatsClient::Bounds() {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, options_.stream.c_str(), nullptr, &code);
  if (s != NATS_OK) return NatsError(s, absl::StrCat("stream info of ", options_.stream), code);
  StreamBounds bounds{info->State.FirstSeq, info->State.LastSeq};
  jsStreamInfo_Destroy(info);
  return bounds;
}

}  // namespace echelon::cluster
