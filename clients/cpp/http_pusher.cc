#include "clients/cpp/http_pusher.h"

#include <httplib.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "clients/cpp/push_job.h"
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

class HttpPusher::Transport final : public internal::PushTransport {
 public:
  Transport(httplib::Client& http, absl::Duration timeout) : http_(http) {
    http_.set_read_timeout(ToChrono(timeout));
    http_.set_write_timeout(ToChrono(timeout));
  }

  absl::StatusOr<bool> HasWorld(const std::string& hash) override {
    httplib::Result result = http_.Head(absl::StrCat("/worlds/", hash).c_str());
    if (result && result->status == 404) return false;
    ECHELON_RETURN_IF_ERROR(HttpStatus(result, "HEAD world"));
    return true;
  }

  // Worlds are ~0.5 MB of very repetitive JSON: gzip, as the trainer does.
  absl::Status PutWorld(std::string_view world_json, const std::string& hash) override {
    const std::string body = GzipCompress(world_json);
    httplib::Headers headers = {{"Content-Encoding", "gzip"}};
    return HttpStatus(http_.Put(absl::StrCat("/worlds/", hash).c_str(), headers, body, kJson), "PUT world");
  }

  // The body is the project's one rendering of a chunk as push JSON, frames
  // spliced in as they are.
  absl::Status PushChunk(const replay::v1::ReplayChunk& chunk, bool& duplicate) override {
    httplib::Result result = http_.Post("/push", json::ChunkToPushJson(chunk), kJson);
    ECHELON_RETURN_IF_ERROR(HttpStatus(result, absl::StrCat("POST /push chunk ", chunk.chunk_index())));
    duplicate = json::PushAckIsDuplicate(result->body);
    return absl::OkStatus();
  }

 private:
  httplib::Client& http_;
};

HttpPusher::HttpPusher(std::string base_url)
    : base_url_(std::move(base_url)), http_(std::make_unique<httplib::Client>(base_url_)) {
  http_->set_connection_timeout(std::chrono::seconds(5));
  http_->set_keep_alive(true);
}

HttpPusher::HttpPusher(HttpPusher&&) noexcept = default;
HttpPusher& HttpPusher::operator=(HttpPusher&&) noexcept = default;
HttpPusher::~HttpPusher() = default;

absl::StatusOr<HttpPusher> HttpPusher::Create(std::string_view url, const std::string& push_token,
                                              const std::string& ca_file) {
  ECHELON_ASSIGN_OR_RETURN(std::string base, HttpBaseUrl(url));
  const bool https = base.starts_with("https://");
  if (!ca_file.empty() && !https) {
    return absl::InvalidArgumentError(absl::StrCat("a CA file is for https:// URLs, got ", std::string(url)));
  }
  HttpPusher pusher(std::move(base));
  if (!pusher.http_->is_valid()) return absl::InvalidArgumentError(absl::StrCat("bad URL ", std::string(url)));
  if (!ca_file.empty()) pusher.http_->set_ca_cert_path(ca_file.c_str());
  if (!push_token.empty()) pusher.http_->set_bearer_token_auth(push_token.c_str());
  return pusher;
}

absl::StatusOr<std::string> HttpPusher::EnsureWorld(std::string_view world_json) {
  auto hash = world::ComputeWorldHash(world_json);
  if (!hash.ok()) return hash.status();
  Transport transport(*http_, PushOptions{}.timeout);
  ECHELON_RETURN_IF_ERROR(internal::EnsureWorld(transport, world_json, *hash));
  return *hash;
}

absl::StatusOr<PushResult> HttpPusher::PushReplay(const Replay& replay, const PushOptions& options) {
  ECHELON_ASSIGN_OR_RETURN(internal::PushJob job, internal::PushJob::Start(replay, options));
  Transport transport(*http_, options.timeout);
  return internal::PushChunkByChunk(transport, job);
}

}  // namespace echelon::client
