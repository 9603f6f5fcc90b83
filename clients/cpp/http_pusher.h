// Pushing replays over the HTTP JSON contract (PROTOCOL.md): HEAD
// /worlds/{hash}, a gzipped PUT when the world is missing, then one POST /push
// per chunk with meta (and run) on chunk 0, exactly what the trainer sends.
// Each chunk is acknowledged by its response, so a retry resumes at the chunk
// that failed; a server that lost the world (restart) gets it again. Given
// several servers ("http://a:8090,http://b:8090", the cores of a cluster), a
// failure in transit moves to the next one, so the retry goes there.
//
//   ECHELON_ASSIGN_OR_RETURN(HttpPusher pusher, HttpPusher::Create("http://127.0.0.1:8090"));
//   ECHELON_ASSIGN_OR_RETURN(PushResult pushed, pusher.PushReplay(replay, options));
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/cpp/push_options.h"
#include "clients/cpp/replay.h"

namespace httplib {
class Client;
}

namespace echelon::client {

class HttpPusher {
 public:
  // "http://host:port" or "https://host:port", optionally ending in "/push"
  // as trainers write it, or several of them separated by commas (tried in
  // order, failing over). InvalidArgument for anything else. `push_token`:
  // the server's push token, sent as `Authorization: Bearer <token>` (empty:
  // none). `ca_file`: for https, a PEM file of the CA that signed the
  // server's certificate (empty: the system's trusted CAs).
  [[nodiscard]] static absl::StatusOr<HttpPusher> Create(std::string_view url, const std::string& push_token = "",
                                                         const std::string& ca_file = "");

  HttpPusher(HttpPusher&&) noexcept;
  HttpPusher& operator=(HttpPusher&&) noexcept;
  ~HttpPusher();

  // Stores the world unless the server has it; returns its hash.
  [[nodiscard]] absl::StatusOr<std::string> EnsureWorld(std::string_view world_json);

  [[nodiscard]] absl::StatusOr<PushResult> PushReplay(const Replay& replay, const PushOptions& options);

  // The server in use.
  const std::string& base_url() const { return base_urls_[current_]; }

 private:
  class Transport;

  explicit HttpPusher(std::vector<std::string> base_urls);

  std::vector<std::string> base_urls_;
  std::vector<std::unique_ptr<httplib::Client>> clients_;  // one per base URL
  size_t current_ = 0;
};

// "http://h:p/push/" -> "http://h:p"; InvalidArgument unless
// http[s]://host[:port].
[[nodiscard]] absl::StatusOr<std::string> HttpBaseUrl(std::string_view url);

}  // namespace echelon::client
