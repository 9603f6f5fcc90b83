// echelon-pull: downloads a replay from an Echelon replay server's library
// (GET /replays/{id}) into a file, as the one JSON document
// {"world","frames","meta","run"} that echelon-push reads back.
//
//   echelon-pull 2026-11-30-ppo-update-400 -o run.replay.json --http http://127.0.0.1:8090
//
// The body is streamed to FILE.part and renamed when complete, so a broken
// download never leaves a file that looks whole. Exit codes: 0 pulled, 2
// usage, 3 cannot write the file, 4 server unreachable, 5 not found or
// refused, 6 server error or an incomplete transfer.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <httplib.h>

#include "absl/strings/str_cat.h"

namespace {

enum ExitCode { kExitOk = 0, kExitUsage = 2, kExitOutput = 3, kExitUnreachable = 4, kExitRefused = 5, kExitServer = 6 };

std::string PercentEncode(const std::string& id) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string replay_id, output, server = "http://127.0.0.1:8090", token;
  CLI::App app{"echelon-pull: download a stored replay as {\"world\",\"frames\",\"meta\",\"run\"}"};
  app.add_option("replay_id", replay_id, "The replay to download (see GET /replays)")->required();
  app.add_option("-o,--output", output, "File to write")->required();
  app.add_option("--http", server, "Server base URL")->envname("ECHELON_HTTP")->capture_default_str();
  app.add_option("--token", token, "Bearer token (the view or push token)")->envname("ECHELON_VIEW_TOKEN");
  CLI11_PARSE(app, argc, argv);

  const std::string partial = output + ".part";
  std::FILE* out = std::fopen(partial.c_str(), "wb");
  if (out == nullptr) {
    std::fprintf(stderr, "echelon-pull: cannot write %s\n", partial.c_str());
    return kExitOutput;
  }
  httplib::Client client(server);
  client.set_read_timeout(60, 0);
  client.set_decompress(true);
  httplib::Headers headers = {{"Accept-Encoding", "gzip"}};
  if (!token.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token));
  std::string error_body;
  int status = 0;
  bool write_failed = false;
  size_t bytes = 0;
  auto result = client.Get(
      absl::StrCat("/replays/", PercentEncode(replay_id)), headers,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status != 200) {
          error_body.append(data, size);
          return true;
        }
        bytes += size;
        write_failed = write_failed || std::fwrite(data, 1, size, out) != size;
        return !write_failed;
      });
  const bool closed = std::fclose(out) == 0;
  if (!result || status != 200 || write_failed || !closed) std::remove(partial.c_str());
  if (!result && status == 0) {
    std::fprintf(stderr, "echelon-pull: cannot reach %s: %s\n", server.c_str(), httplib::to_string(result.error()).c_str());
    return kExitUnreachable;
  }
  if (status != 200) {
    std::fprintf(stderr, "echelon-pull: HTTP %d: %s\n", status, error_body.c_str());
    return status >= 500 ? kExitServer : kExitRefused;
  }
  if (write_failed || !closed) {
    std::fprintf(stderr, "echelon-pull: cannot write %s\n", partial.c_str());
    return kExitOutput;
  }
  if (!result) {
    std::fprintf(stderr, "echelon-pull: the transfer broke off: %s\n", httplib::to_string(result.error()).c_str());
    return kExitServer;
  }
  if (std::rename(partial.c_str(), output.c_str()) != 0) {
    std::fprintf(stderr, "echelon-pull: cannot rename %s\n", partial.c_str());
    return kExitOutput;
  }
  std::printf("pulled %s: %.2f MB to %s\n", replay_id.c_str(), bytes / 1e6, output.c_str());
  return kExitOk;
}
