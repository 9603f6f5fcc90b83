// /health, /push and /events: the replay path of the gateway.
#include <charconv>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json_writer.h"
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "gateway/request_body.h"
#include "protocol/chunk_codec.h"
#include "protocol/http_answer_codec.h"
#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

// The resume point of a reconnecting viewer: the Last-Event-ID header that
// EventSource sends by itself, or `?last_event_id=` for a viewer that opens
// a new EventSource after a failure (EventSource cannot set headers).
uint64_t ResumeAfterId(const httplib::Request& req) {
  std::string text = req.get_header_value("Last-Event-ID");
  if (text.empty()) text = req.get_param_value("last_event_id");
  uint64_t id = 0;
  if (!absl::SimpleAtoi(text, &id)) return 0;
  return id;
}

bool WantsWorldInline(const httplib::Request& req) {
  const std::string world = req.get_param_value("world");
  return !(world == "0" || world == "false" || world == "no");
}

}  // namespace

void Gateway::RegisterHealthRoutes() {
  http_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    const SseHubStats sse = sse_->stats();
    std::string body;
    JsonWriter w(body);
    w.BeginObject();
    w.Key("status");
    w.String("ok");
    w.Key("clients");
    w.Int(static_cast<int64_t>(sse.clients));
    w.Key("uptime_s");
    w.Double(absl::ToDoubleSeconds(absl::Now() - started_));
    w.Key("core_connected");
    w.Bool(sse.upstream_connected);
    w.EndObject();
    SetJson(res, std::move(body));
  });
}

void Gateway::RegisterReplayRoutes() {
  http_.Post("/push", [this](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) {
    const absl::Time started = absl::Now();
    std::optional<Caller> caller = Authorize(req, res, TokenRole::kPush);
    if (!caller) {
      ++pushes_rejected_;
      return;
    }
    absl::StatusOr<std::string> body = ReadBody(req, reader, body_limits());
    if (!body.ok()) {
      ++pushes_rejected_;
      return SetError(res, body.status());
    }
    const size_t body_bytes = body->size();
    absl::StatusOr<json::ParsedPush> push = json::ParsePush(*std::move(body));
    if (!push.ok()) {
      ++pushes_rejected_;
      return SetError(res, push.status());
    }
    const std::string replay_id = push->chunk.replay_id();
    const uint32_t chunk_index = push->chunk.chunk_index();
    const uint32_t chunk_count = push->chunk.chunk_count();

    absl::StatusOr<v1::PushAck> ack =
        replay_->Push(*std::move(push), caller->authorization);
    if (!ack.ok()) {
      spdlog::warn("push {} chunk {} rejected: {}", replay_id, chunk_index,
                   std::string(ack.status().message()));
      ++pushes_rejected_;
      return SetError(res, ack.status());
    }
    ++pushes_accepted_;
    push_latency_.Record(absl::Now() - started);
    const size_t viewers = sse_->client_count();
    spdlog::info("push {} chunk {}/{} by {}: {:.2f} MB, {} viewers, {:.1f} ms{}", replay_id, chunk_index + 1,
                 chunk_count, caller->name, body_bytes / 1e6, viewers,
                 absl::ToDoubleMilliseconds(absl::Now() - started), ack->duplicate() ? " (re-sent)" : "");
    SetJson(res, json::RenderPushAckJson(*ack, viewers));
  });

  http_.Get("/events", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res, TokenRole::kView)) return;
    absl::StatusOr<std::shared_ptr<SseClient>> client =
        sse_->Join(!WantsWorldInline(req), ResumeAfterId(req));
    if (!client.ok()) {
      if (client.status().code() == absl::StatusCode::kResourceExhausted) {
        res.set_header("Retry-After", "5");
        return SetError(res, 503, std::string(client.status().message()));
      }
      return SetError(res, client.status());
    }
    spdlog::info("viewer {} connected from {} ({} viewers)", (*client)->serial(), req.remote_addr,
                 sse_->client_count());
    if (HttpConnection* connection = HttpConnection::Current(); connection != nullptr && sse_writer_) {
      return StreamFromWriter(*connection, *std::move(client));
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    const absl::Duration keepalive = options_.keepalive;
    // The gateway does the chunked encoding itself, once per event for all
    // viewers (sse_encoder.h), and hands cpp-httplib a provider without a
    // length, whose bytes it writes as they are. Its chunked provider would
    // copy every write twice per viewer to frame it: 30% of the server's CPU
    // with 16 viewers.
    res.set_header("Transfer-Encoding", "chunked");
    res.set_content_provider(
        "text/event-stream",
        [client = *client, keepalive](size_t, httplib::DataSink& sink) {
          return client->WriteNext(sink, keepalive);
        },
        [this, client = *client](bool) { ViewerLeft(client); });
  });
}

void Gateway::ViewerLeft(const std::shared_ptr<SseClient>& client) {
  sse_->Leave(client);
  const std::string reason = client->outbox().close_reason();
  spdlog::info("viewer {} disconnected ({} viewers, {:.1f} MB sent{})", client->serial(), sse_->client_count(),
               client->bytes_sent() / 1e6, reason.empty() ? std::string() : absl::StrCat(": ", reason));
}

void Gateway::StreamFromWriter(HttpConnection& connection, std::shared_ptr<SseClient> client) {
  // The writer sends the answer itself: the head, the greeting (which tells
  // EventSource how soon to reconnect), the catch-up, then live events. The
  // catch-up is read here, on the worker, from the core's retained events.
  static const std::string kHead =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Connection: keep-alive\r\n\r\n";
  std::deque<SseBytes> first;
  auto head = std::make_shared<SseFrame>();
  head->head = kHead;
  first.push_back(std::move(head));
  first.push_back(std::make_shared<const SseFrame>(HttpChunk(kSseGreeting)));
  for (SseBytes& frame : client->TakeCatchUp()) first.push_back(std::move(frame));
  connection.Detach([this, client = std::move(client), first = std::move(first)](
                        std::unique_ptr<OwnedSocket> socket) mutable {
    sse_writer_->Adopt(std::move(socket), std::move(client), std::move(first));
  });
}

}  // namespace echelon::gateway
