// bench_nav: how fast the nav core answers, on the fixture worlds.
//
//   bench_nav [--fixtures DIR] [--world w100x100x20_s0] [--runs 15] [--rounds 20]
//
// Prints (milliseconds unless stated):
//   - cold build of one 100x100x20 world: parse + graph + JSON, median of runs
//     (what a cache miss costs), plus the one-off gzip of the JSON;
//   - cached /nav/graph bytes: NavCache lookup, and gRPC GetGraph(as_json)
//     in-process and over TCP on 127.0.0.1, p50/p99;
//   - /nav/path over all fixture queries: library (A* + JSON) and gRPC
//     FindPath(as_json) in-process and over TCP, p50/p99.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/one_process.h"
#include "common/gzip.h"
#include "server/nav/astar.h"
#include "server/nav/nav_cache.h"
#include "server/nav/nav_answer.h"
#include "server/nav/nav_service.h"

namespace {

namespace nav = echelon::nav;
namespace gateway = echelon::gateway;
using echelon::CoreOptions;
using echelon::CoreServer;
using echelon::OneProcessServer;
namespace v1 = echelon::replay::v1;
using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Query {
  std::string world_hash;
  nav::Vec3 start, goal;
};

// Fixture worlds keyed by the hash their paths goldens use, and all queries.
struct Fixtures {
  std::map<std::string, std::shared_ptr<const std::string>> worlds;  // hash -> JSON
  std::map<std::string, std::string> hash_of;                         // name -> hash
  std::vector<Query> queries;
};

nav::Vec3 ToVec3(const nlohmann::json& a) { return {a[0].get<double>(), a[1].get<double>(), a[2].get<double>()}; }

Fixtures LoadFixtures(const std::filesystem::path& dir) {
  Fixtures fixtures;
  for (const auto& file : std::filesystem::directory_iterator(dir / "worlds")) {
    const std::string name = file.path().stem().string();
    const auto paths = nlohmann::json::parse(ReadFile(dir / "nav" / (name + ".paths.json")));
    for (const auto& item : paths) {
      const auto& request = item.at("request");
      fixtures.queries.push_back({request.at("world_hash"), ToVec3(request.at("start_pos")), ToVec3(request.at("goal_pos"))});
    }
    const std::string hash = paths.at(0).at("request").at("world_hash");
    fixtures.hash_of[name] = hash;
    fixtures.worlds[hash] = std::make_shared<const std::string>(ReadFile(file.path()));
  }
  return fixtures;
}

nav::NavCache::WorldSource SourceOf(const Fixtures& fixtures) {
  return [worlds = fixtures.worlds](const std::string& hash) -> absl::StatusOr<std::shared_ptr<const std::string>> {
    auto it = worlds.find(hash);
    if (it == worlds.end()) return absl::NotFoundError(hash);
    return it->second;
  };
}

double Percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * samples.size()));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

void Report(const std::string& what, const std::vector<double>& ms) {
  std::printf("  %-44s p50 %8.4f ms   p99 %8.4f ms   (n=%zu)\n", what.c_str(), Percentile(ms, 50), Percentile(ms, 99),
              ms.size());
}

void BenchColdBuild(const std::string& world_json, int runs) {
  std::vector<double> parse, build, render, total;
  size_t json_bytes = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    absl::StatusOr<echelon::world::WorldModel> world = echelon::world::ParseWorld(world_json);
    if (!world.ok()) throw std::runtime_error(world.status().ToString());
    const auto t1 = Clock::now();
    const nav::NavGraph graph = nav::NavGraph::Build(*world);
    const auto t2 = Clock::now();
    const std::string json = nav::RenderGraphJson(graph);
    json_bytes = json.size();
    parse.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    build.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    render.push_back(MsSince(t2));
    total.push_back(MsSince(t0));
  }
  std::printf("cold build (median of %d): total %.2f ms = parse %.2f + graph %.2f + JSON %.2f (%zu bytes)\n", runs,
              Percentile(total, 50), Percentile(parse, 50), Percentile(build, 50), Percentile(render, 50), json_bytes);
}

void BenchCacheMiss(const Fixtures& fixtures, const std::string& hash, int runs) {
  std::vector<double> miss, gzip;
  size_t gzip_bytes = 0;
  for (int i = 0; i < runs; ++i) {
    nav::NavCache cache(SourceOf(fixtures));
    auto t0 = Clock::now();
    auto entry = cache.Get(hash);
    miss.push_back(MsSince(t0));
    t0 = Clock::now();
    gzip_bytes = (*entry)->graph_json_gzip()->size();
    gzip.push_back(MsSince(t0));
  }
  std::printf("cold NavCache miss, end to end (median of %d): %.2f ms; first gzip %.2f ms (%zu bytes)\n", runs,
              Percentile(miss, 50), Percentile(gzip, 50), gzip_bytes);
}

struct Server {
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::NavService::Stub> inproc, tcp;
};

Server StartServer(nav::NavServiceImpl& service) {
  Server s;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxSendMessageSize(64 << 20);
  s.server = builder.BuildAndStart();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  s.inproc = v1::NavService::NewStub(s.server->InProcessChannel(args));
  s.tcp = v1::NavService::NewStub(
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
  return s;
}

template <typename Call>
std::vector<double> Time(int n, Call&& call) {
  std::vector<double> ms;
  ms.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    call(i);
    ms.push_back(MsSince(t0));
  }
  return ms;
}

void BenchCachedGraph(nav::NavCache& cache, Server& server, const std::string& hash, int n) {
  std::printf("cached graph JSON (%s):\n", hash.c_str());
  Report("NavCache::Get -> JSON bytes", Time(n, [&](int) {
           if (!cache.Get(hash).ok()) throw std::runtime_error("lookup failed");
         }));
  for (bool gzip : {false, true}) {
    for (auto* stub : {server.inproc.get(), server.tcp.get()}) {
      v1::GetGraphRequest request;
      request.set_world_hash(hash);
      request.set_as_json(true);
      request.set_gzip(gzip);
      size_t bytes = 0;
      const auto ms = Time(n, [&](int) {
        v1::GetGraphResponse response;
        grpc::ClientContext context;
        if (!stub->GetGraph(&context, request, &response).ok()) throw std::runtime_error("GetGraph failed");
        bytes = response.graph_json().size();
      });
      Report(std::string("gRPC GetGraph ") + (stub == server.inproc.get() ? "in-process" : "TCP") +
                 (gzip ? " gzip " : " ") + std::to_string(bytes / 1024) + " KB",
             ms);
    }
  }
}

void BenchPaths(nav::NavCache& cache, Server& server, const std::vector<Query>& queries, int rounds) {
  std::printf("paths over %zu fixture queries x %d rounds (graphs cached):\n", queries.size(), rounds);
  const int n = static_cast<int>(queries.size()) * rounds;
  Report("library FindPath + RenderPathJson", Time(n, [&](int i) {
           const Query& q = queries[i % queries.size()];
           auto entry = cache.Get(q.world_hash);
           const nav::NavGraph& graph = (*entry)->graph();
           const std::string json = nav::RenderPathJson(graph, nav::FindPath(graph, q.start, q.goal));
           if (json.empty()) throw std::runtime_error("empty path JSON");
         }));
  for (auto* stub : {server.inproc.get(), server.tcp.get()}) {
    Report(std::string("gRPC FindPath(as_json) ") + (stub == server.inproc.get() ? "in-process" : "TCP"),
           Time(n, [&](int i) {
             const Query& q = queries[i % queries.size()];
             v1::FindPathRequest request;
             request.set_world_hash(q.world_hash);
             request.set_as_json(true);
             auto* s = request.mutable_start_pos();
             s->set_x(q.start.x), s->set_y(q.start.y), s->set_z(q.start.z);
             auto* g = request.mutable_goal_pos();
             g->set_x(q.goal.x), g->set_y(q.goal.y), g->set_z(q.goal.z);
             v1::FindPathResponse response;
             grpc::ClientContext context;
             if (!stub->FindPath(&context, request, &response).ok()) throw std::runtime_error("FindPath failed");
           }));
  }
  // The slowest single query, to see what the 5000-visit cap costs.
  std::vector<double> worst = Time(static_cast<int>(queries.size()), [&](int i) {
    const Query& q = queries[i];
    nav::FindPath((*cache.Get(q.world_hash))->graph(), q.start, q.goal);
  });
  std::printf("  slowest single A* query: %.3f ms\n", *std::max_element(worst.begin(), worst.end()));
}

// The whole product path: HTTP client -> gateway -> in-process gRPC core, as
// the viewer's toggles use it (issue 4's cached graph and path targets).
void BenchHttp(const Fixtures& fixtures, const std::string& hash, int lookups, int rounds) {
  CoreOptions core_options;
  core_options.grpc_address = "";
  gateway::GatewayOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  auto started = OneProcessServer::Start(core_options, options);
  if (!started.ok()) throw std::runtime_error("cannot start the server: " + started.status().ToString());
  OneProcessServer& server = **started;
  for (const auto& [h, json] : fixtures.worlds) {
    if (!server.core().worlds().Put(*json, h).ok()) throw std::runtime_error("put failed: " + h);
  }

  httplib::Client client("127.0.0.1", server.gateway().port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // as browsers do; else Nagle + delayed ACK add 40 ms
  const std::string graph_body = "{\"world_hash\":\"" + hash + "\"}";
  for (bool gzip : {false, true}) {
    httplib::Headers headers;
    if (gzip) headers.emplace("Accept-Encoding", "gzip");
    client.set_decompress(false);
    client.Post("/nav/graph", headers, graph_body, "application/json");  // warm: build + gzip
    size_t bytes = 0;
    const auto ms = Time(lookups, [&](int) {
      auto res = client.Post("/nav/graph", headers, graph_body, "application/json");
      if (!res || res->status != 200) throw std::runtime_error("POST /nav/graph failed");
      bytes = res->body.size();
    });
    Report(std::string("HTTP POST /nav/graph (cached)") + (gzip ? " gzip " : " ") +
               std::to_string(bytes / 1024) + " KB",
           ms);
  }
  const int n = static_cast<int>(fixtures.queries.size()) * rounds;
  Report("HTTP POST /nav/path", Time(n, [&](int i) {
           const Query& q = fixtures.queries[i % fixtures.queries.size()];
           char body[512];
           std::snprintf(body, sizeof(body),
                         "{\"world_hash\":\"%s\",\"start_pos\":[%.17g,%.17g,%.17g],\"goal_pos\":[%.17g,%.17g,%.17g]}",
                         q.world_hash.c_str(), q.start.x, q.start.y, q.start.z, q.goal.x, q.goal.y, q.goal.z);
           auto res = client.Post("/nav/path", body, "application/json");
           if (!res || res->status != 200) throw std::runtime_error("POST /nav/path failed");
         }));
  server.Shutdown(absl::Milliseconds(100));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Nav benchmark: cold build, cached graph lookups, path queries"};
  std::string fixtures_dir = ECHELON_FIXTURES;
  std::string world = "w100x100x20_s0";
  int runs = 15;
  int rounds = 20;
  int lookups = 500;
  app.add_option("--fixtures", fixtures_dir, "tests/fixtures directory");
  app.add_option("--world", world, "fixture world for the cold build and graph lookups");
  app.add_option("--runs", runs, "cold builds to take the median of");
  app.add_option("--lookups", lookups, "cached graph requests per variant");
  app.add_option("--rounds", rounds, "passes over the fixture path queries");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);  // no per-build log lines in the figures

  const Fixtures fixtures = LoadFixtures(fixtures_dir);
  if (!fixtures.hash_of.count(world)) {
    std::cerr << "no fixture world " << world << "\n";
    return 1;
  }
  const std::string hash = fixtures.hash_of.at(world);
  std::printf("world %s (%zu bytes of JSON)\n", world.c_str(), fixtures.worlds.at(hash)->size());

  BenchColdBuild(*fixtures.worlds.at(hash), runs);
  BenchCacheMiss(fixtures, hash, runs);

  auto cache = std::make_shared<nav::NavCache>(SourceOf(fixtures));
  nav::NavServiceImpl service(cache);
  Server server = StartServer(service);
  for (const auto& [h, json] : fixtures.worlds) {
    if (!cache->Get(h, /*need_gzip=*/true).ok()) throw std::runtime_error("build failed: " + h);
  }
  BenchCachedGraph(*cache, server, hash, lookups);
  BenchPaths(*cache, server, fixtures.queries, rounds);
  server.server->Shutdown();
  std::printf("over HTTP (gateway + in-process core, keep-alive client):\n");
  BenchHttp(fixtures, hash, lookups, rounds);
  return 0;
}
