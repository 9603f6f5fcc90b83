// libFuzzer target for the HTTP gateway: every input is sent as raw bytes on
// a fresh connection to a real gateway + in-process core (started once), as
// an arbitrary client could. The server must answer or close; it must never
// crash, hang or corrupt memory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>

#include "app/one_process.h"
#include "spdlog/spdlog.h"

namespace {

struct Target {
  std::unique_ptr<echelon::OneProcessServer> server;
  int port = 0;
};

Target& StartOnce() {
  static Target* target = [] {
    spdlog::set_level(spdlog::level::off);
    auto* t = new Target();
    echelon::CoreOptions core_options;
    core_options.grpc_address = "";  // in-process only
    core_options.hub.retention_bytes = 4u << 20;
    echelon::gateway::GatewayOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.max_body_bytes = 1u << 20;
    options.max_decompressed_bytes = 4u << 20;
    auto started = echelon::OneProcessServer::Start(core_options, options);
    if (!started.ok()) abort();
    t->server = *std::move(started);
    t->port = t->server->gateway().port();
    return t;
  }();
  return *target;
}

void SendAndDrain(int port, const uint8_t* data, size_t size) {
  const int sock = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{.tv_sec = 0, .tv_usec = 300 * 1000};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    size_t sent = 0;
    while (sent < size) {
      const ssize_t n = send(sock, data + sent, size - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    // End of request: the server answers what it got, then sees EOF. An SSE
    // stream stays open; the receive timeout ends our side of it.
    shutdown(sock, SHUT_WR);
    char buffer[65536];
    while (recv(sock, buffer, sizeof(buffer), 0) > 0) {
    }
  }
  close(sock);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SendAndDrain(StartOnce().port, data, size);
  return 0;
}
