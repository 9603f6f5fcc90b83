// Codec costs on a real chunk: the first 100 frames of a fixture replay as a
// push body (about 0.85 MB with Python's default separators), parsed the way
// the HTTP path does it (pass-through frames_json), and through the typed
// Frame path for comparison.
//
//   ./bench_codec [--replay=w100x100x20_s4_p2] [google-benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/chunk_codec.h"
#include "protocol/event_codec.h"
#include "protocol/frame_codec.h"
#include "protocol/internal/json_reader.h"
#include "protocol/json_text.h"

namespace echelon::json {
namespace {

constexpr size_t kFramesPerChunk = 100;

std::string g_replay = "w100x100x20_s4_p2";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compact JSON with Python's json.dumps default separators (", " and ": "),
// which is what the trainer sends.
std::string WithPythonSeparators(const std::string& compact) {
  std::string out;
  out.reserve(compact.size() * 11 / 10);
  bool in_string = false;
  for (size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    out.push_back(c);
    if (in_string) {
      if (c == '\\') out.push_back(compact[++i]);
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',' || c == ':') {
      out.push_back(' ');
    }
  }
  return out;
}

enum class Layout { kCompact, kPython, kPretty };

struct Chunk {
  std::string frames_compact;
  std::string body[3];  // by Layout
};

const Chunk& TheChunk() {
  static const Chunk* chunk = [] {
    const nlohmann::json replay =
        nlohmann::json::parse(ReadFile(std::string(ECHELON_FIXTURES) + "/replays/" + g_replay + ".replay.json"));
    nlohmann::json frames = nlohmann::json::array();
    for (size_t i = 0; i < kFramesPerChunk && i < replay.at("frames").size(); ++i) {
      frames.push_back(replay.at("frames")[i]);
    }
    nlohmann::json body = {{"replay_id", "bench-replay"}, {"world_ref", "0123456789abcdef"}, {"chunk_index", 0},
                           {"chunk_count", 5},           {"frames", frames},
                           {"meta", {{"map", g_replay}, {"teams", {"blue", "red"}}}},
                           {"run", {{"name", "ppo-12"}, {"step", 1200000}}}};
    auto* result = new Chunk();
    result->frames_compact = frames.dump();
    result->body[static_cast<int>(Layout::kCompact)] = body.dump();
    result->body[static_cast<int>(Layout::kPython)] = WithPythonSeparators(body.dump());
    result->body[static_cast<int>(Layout::kPretty)] = body.dump(2);
    return result;
  }();
  return *chunk;
}

const std::string& Body(const benchmark::State& state) { return TheChunk().body[state.range(0)]; }

void SetLayoutLabel(benchmark::State& state) {
  static const char* kNames[] = {"compact", "python separators", "pretty indent=2"};
  state.SetLabel(std::string(kNames[state.range(0)]) + ", " + std::to_string(Body(state).size() / 1024) + " KiB");
}

template <typename T>
void Check(const T& result) {
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
    std::exit(1);
  }
}

// ---- The HTTP push path ----

void BM_ParsePushBody(benchmark::State& state) {
  const std::string& body = Body(state);
  for (auto _ : state) {
    absl::StatusOr<ReplayChunk> chunk = ParsePushBody(body);
    Check(chunk);
    benchmark::DoNotOptimize(chunk);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  SetLayoutLabel(state);
}
BENCHMARK(BM_ParsePushBody)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

// Everything the protocol codecs do for one chunk pushed over HTTP: gateway parse,
// core validation of frames_json, SSE data rendering.
void BM_PushPathCodecs(benchmark::State& state) {
  const std::string& body = Body(state);
  for (auto _ : state) {
    absl::StatusOr<ReplayChunk> chunk = ParsePushBody(body);
    Check(chunk);
    absl::StatusOr<std::string> frames = FramesJsonFromChunk(*chunk);
    Check(frames);
    ReplayEvent event;
    event.mutable_replay_chunk()->set_replay_id(chunk->replay_id());
    event.mutable_replay_chunk()->set_frames_json(std::move(*frames));
    std::string data = EventDataJson(event);
    benchmark::DoNotOptimize(data);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  SetLayoutLabel(state);
}
BENCHMARK(BM_PushPathCodecs)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

// Stages of ParsePushBody, to see where the time goes.
void BM_Stage_DomValidate(benchmark::State& state) {
  const std::string& body = Body(state);
  internal::ParserLease parser;
  for (auto _ : state) {
    auto root = parser.ParseDom(body);
    Check(root);
    benchmark::DoNotOptimize(root);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  SetLayoutLabel(state);
}
BENCHMARK(BM_Stage_DomValidate)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void BM_Stage_FindFramesText(benchmark::State& state) {
  const std::string& body = Body(state);
  internal::ParserLease parser;
  for (auto _ : state) {
    auto text = parser.TopLevelValueText(body, "frames");
    Check(text);
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  SetLayoutLabel(state);
}
BENCHMARK(BM_Stage_FindFramesText)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void BM_Stage_Minify(benchmark::State& state) {
  const std::string& body = Body(state);
  for (auto _ : state) {
    std::string compact = json::MinifyJson(body);
    benchmark::DoNotOptimize(compact);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  SetLayoutLabel(state);
}
BENCHMARK(BM_Stage_Minify)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void BM_FramesJsonFromChunk(benchmark::State& state) {
  ReplayChunk chunk;
  chunk.set_frames_json(TheChunk().frames_compact);
  for (auto _ : state) {
    absl::StatusOr<std::string> frames = FramesJsonFromChunk(chunk);
    Check(frames);
    benchmark::DoNotOptimize(frames);
  }
  state.SetBytesProcessed(state.iterations() * chunk.frames_json().size());
}
BENCHMARK(BM_FramesJsonFromChunk)->Unit(benchmark::kMillisecond);

void BM_EventDataReplayChunk(benchmark::State& state) {
  ReplayEvent event;
  event.mutable_replay_chunk()->set_replay_id("bench-replay");
  event.mutable_replay_chunk()->set_frames_json(TheChunk().frames_compact);
  for (auto _ : state) {
    std::string data = EventDataJson(event);
    benchmark::DoNotOptimize(data);
  }
  state.SetBytesProcessed(state.iterations() * TheChunk().frames_compact.size());
}
BENCHMARK(BM_EventDataReplayChunk)->Unit(benchmark::kMillisecond);

// ---- The typed Frame path, for comparison ----

void BM_TypedParseFrames(benchmark::State& state) {
  const std::string& frames_json = TheChunk().frames_compact;
  for (auto _ : state) {
    absl::StatusOr<Frames> frames = ParseFramesJson(frames_json);
    Check(frames);
    benchmark::DoNotOptimize(frames);
  }
  state.SetBytesProcessed(state.iterations() * frames_json.size());
}
BENCHMARK(BM_TypedParseFrames)->Unit(benchmark::kMillisecond);

void BM_TypedRenderFrames(benchmark::State& state) {
  absl::StatusOr<Frames> frames = ParseFramesJson(TheChunk().frames_compact);
  Check(frames);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    out.reserve(TheChunk().frames_compact.size());
    AppendFramesJson(*frames, out);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_TypedRenderFrames)->Unit(benchmark::kMillisecond);

void BM_TypedParseAndRenderFrames(benchmark::State& state) {
  const std::string& frames_json = TheChunk().frames_compact;
  for (auto _ : state) {
    absl::StatusOr<Frames> frames = ParseFramesJson(frames_json);
    Check(frames);
    std::string out;
    AppendFramesJson(*frames, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * frames_json.size());
}
BENCHMARK(BM_TypedParseAndRenderFrames)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace echelon::json

int main(int argc, char** argv) {
  // Our own flag first; everything else goes to Google Benchmark.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--replay=", 0) == 0) {
      echelon::json::g_replay = arg.substr(9);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
