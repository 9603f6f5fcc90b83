#include "clients/cpp/http_pusher.h"

#include <httplib.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "clients/cpp/push_job.h"
#include "common/endpoint_list.h"
#include "common/gzip.h"
#include "common/status_util.h"
#include "protocol/chunk_codec.h"
#include "protocol/http_answer_codec.h"
#include "protocol/world_hash.h"

namespace echelon::client {
namespace {

constexpr char kJson[] = "application/json";

std::chrono::microseconds ToChrono(absl::Duration d) { return absl::ToChronoMicroseconds(d); }

// The server's {"detail": ...} when there is one, else the body itself.
std::string Detail(const httplib::Response& response) {
  std::optional<std::string> detail = json::ErrorDetail(response.body);
  return detail ? *std::move(detail) : response.body.substr(0, 200);
}

// HTTP outcome -> absl::Status, with the same meaning gRPC codes have, so one
// retry rule and one exit-code table serve both transports.
absl::Status HttpStatus(const httplib::Result& result, const std::string& what) {
  if (!result) {
    if (result.error() == httplib::Error::SSLServerVerification) {
      // Not worth a retry: the certificate will not become trusted.
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": the server's TLS certificate is not trusted (give the CA that signed it: --tls-ca)"));
    }
    if (result.error() == httplib::Error::SSLConnection) {
      return absl::UnavailableError(
          absl::StrCat(what, ": TLS handshake failed (is the server serving HTTPS on this port?)"));
    }
    return absl::UnavailableError(absl::StrCat(what, ": ", httplib::to_string(result.error())));
  }
  const int code = result->status;
  if (code >= 200 && code < 300) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": HTTP ", code, ": ", Detail(*result));
  switch (code) {
    case 400:
    case 422:
      return absl::InvalidArgumentError(message);
    case 404:
      return absl::NotFoundError(message);
    case 408:
      return absl::DeadlineExceededError(message);
    case 413:
      return absl::ResourceExhaustedError(message);
    case 429:
    case 502:
    case 503:
    case 504:
      return absl::UnavailableError(message);
    default:
      return code >= 500 ? absl::InternalError(message) : absl::FailedPreconditionError(message);
  }
}

}  // namespace

absl::StatusOr<std::string> HttpBaseUrl(std::string_view url) {
  const std::string original(url);
  const std::string_view scheme = url.starts_with("https://") ? "https://" : "http://";
  if (!url.starts_with(scheme)) {
    return absl::InvalidArgumentError(absl::StrCat("not an http:// or https:// URL: ", original));
  }
  std::string_view rest = url.substr(scheme.size());
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.ends_with("/push")) rest.remove_suffix(5);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("expected http[s]://host:port[/push], got ", original));
  }
  return std::string(url.substr(0, scheme.size() + rest.size()));
}

// Requests to the pusher's current server; a failure in transit (Unavailable)
// moves the pusher on to its next server for the retry.
class HttpPusher::Transport final : public internal::PushTransport {
 public:
  Transport(HttpPusher& pusher, absl::Duration timeout) : pusher_(pusher) {
    for (auto& client : pusher_.clients_) {
      client->set_read_timeout(ToChrono(timeout));
      client->set_write_timeout(ToChrono(timeout));
    }
  }

  absl::StatusOr<bool> HasWorld(const std::string& hash) override {
    httplib::Result result = http().Head(absl::StrCat("/worlds/", hash).c_str());
    if (result && result->status == 404) return false;
    ECHELON_RETURN_IF_ERROR(Checked(result, "HEAD world"));
    return true;
  }

  // Worlds are ~0.5 MB of very repetitive JSON: gzip, as the trainer does.
  absl::Status PutWorld(std::string_view world_json, const std::string& hash) override {
    const std::string body = GzipCompress(world_json);
    httplib::Headers headers = {{"Content-Encoding", "gzip"}};
    return Checked(http().Put(absl::StrCat("/worlds/", hash).c_str(), headers, body, kJson), "PUT world");
  }

  // The body is the project's one rendering of a chunk as push JSON, frames
  // spliced in as they are.
  absl::Status PushChunk(const replay::v1::ReplayChunk& chunk, bool& duplicate) override {
    httplib::Result result = http().Post("/push", json::ChunkToPushJson(chunk), kJson);
    ECHELON_RETURN_IF_ERROR(Checked(result, absl::StrCat("POST /push chunk ", chunk.chunk_index())));
    duplicate = json::PushAckIsDuplicate(result->body);
    return absl::OkStatus();
  }

 private:
  httplib::Client& http() { return *pusher_.clients_[pusher_.current_]; }

  absl::Status Checked(const httplib::Result& result, const std::string& what) {
    absl::Status status = HttpStatus(result, absl::StrCat(pusher_.base_url(), ": ", what));
    if (absl::IsUnavailable(status)) pusher_.current_ = (pusher_.current_ + 1) % pusher_.clients_.size();
    return status;
  }

  HttpPusher& pusher_;
};

HttpPusher::HttpPusher(std::vector<std::string> base_urls) : base_urls_(std::move(base_urls)) {
  for (const std::string& base : base_urls_) {
    auto client = std::make_unique<httplib::Client>(base);
    client->set_connection_timeout(std::chrono::seconds(5));
    client->set_keep_alive(true);
    clients_.push_back(std::move(client));
  }
}

HttpPusher::HttpPusher(HttpPusher&&) noexcept = default;
HttpPusher& HttpPusher::operator=(HttpPusher&&) noexcept = default;
HttpPusher::~HttpPusher() = default;

absl::StatusOr<HttpPusher> HttpPusher::Create(std::string_view url, const std::string& push_token,
                                              const std::string& ca_file) {
  std::vector<std::string> bases;
  for (const std::string& one : SplitEndpoints(url)) {
    ECHELON_ASSIGN_OR_RETURN(std::string base, HttpBaseUrl(one));
    if (!ca_file.empty() && !base.starts_with("https://")) {
      return absl::InvalidArgumentError(absl::StrCat("a CA file is for https:// URLs, got ", one));
    }
    bases.push_back(std::move(base));
  }
  if (bases.empty()) return absl::InvalidArgumentError("no server URL given");
  HttpPusher pusher(std::move(bases));
  for (auto& client : pusher.clients_) {
    if (!client->is_valid()) return absl::InvalidArgumentError(absl::StrCat("bad URL ", std::string(url)));
    if (!ca_file.empty()) client->set_ca_cert_path(ca_file.c_str());
    if (!push_token.empty()) client->set_bearer_token_auth(push_token.c_str());
  }
  return pusher;
}

absl::StatusOr<std::string> HttpPusher::EnsureWorld(std::string_view world_json) {
  auto hash = world::ComputeWorldHash(world_json);
  if (!hash.ok()) return hash.status();
  Transport transport(*this, PushOptions{}.timeout);
  ECHELON_RETURN_IF_ERROR(internal::EnsureWorld(transport, world_json, *hash));
  return *hash;
}

absl::StatusOr<PushResult> HttpPusher::PushReplay(const Replay& replay, const PushOptions& options) {
  ECHELON_ASSIGN_OR_RETURN(internal::PushJob job, internal::PushJob::Start(replay, options));
  Transport transport(*this, options.timeout);
  return internal::PushChunkByChunk(transport, job);
}

}  // namespace echelon::client
