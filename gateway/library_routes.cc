// /replays: the replay library (issue 14) over the core's LibraryService.
//   GET    /replays?run=&limit=&before=   newest first, `next` cursor
//   GET    /replays/{id}                  {"world","frames","meta","run"}, streamed
//   GET    /replays/{id}/chunks/{n}       one stored chunk's frames
//   POST   /replays/{id}/pin, DELETE /replays/{id}/pin, DELETE /replays/{id}
// The core decides everything (auth included); this file only translates.
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/grpc_status.h"
#include "common/gzip_stream.h"
#include "common/json_writer.h"
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "spdlog/spdlog.h"

namespace echelon::gateway {

namespace v1 = echelon::replay::v1;

namespace {

constexpr char kReplayPath[] = R"(/replays/([^/]+))";
constexpr char kPinPath[] = R"(/replays/([^/]+)/pin)";
constexpr char kChunkPath[] = R"(/replays/([^/]+)/chunks/([^/]+))";
constexpr size_t kMaxReplayIdLength = 256;

// A replay id as the library can hold it; ids never name files, but one with
// path characters is a mistake (or an attack) worth a clear 400.
absl::Status CheckReplayId(const std::string& id) {
  if (id.empty() || id.size() > kMaxReplayIdLength) {
    return absl::FailedPreconditionError(absl::StrCat("a replay id has 1 to ", kMaxReplayIdLength, " characters"));
  }
  const bool control = std::any_of(id.begin(), id.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control || id == "." || id == ".." || absl::StrContains(id, "/") || absl::StrContains(id, "\\")) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", absl::CHexEscape(id), "' is not a replay id (no path characters or control characters)"));
  }
  return absl::OkStatus();
}

// A failed LibraryService call as an HTTP answer; a core without a library
// (--no-library) does not implement the service.
void SetLibraryError(httplib::Response& res, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kUnimplemented) {
    return SetError(res, 404, "this server keeps no replay library (it runs with --no-library)");
  }
  SetError(res, status);
}

void SetLibraryError(httplib::Response& res, const grpc::Status& status) {
  SetLibraryError(res, FromGrpcStatus(status));
}

std::string IsoTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

void WriteSummary(JsonWriter& w, const v1::ReplaySummary& s) {
  w.BeginObject();
  w.Key("replay_id");
  w.String(s.replay_id());
  w.Key("world_ref");
  w.String(s.world_ref());
  w.Key("run");
  w.Raw(s.run_json().empty() ? "null" : s.run_json());
  w.Key("meta");
  w.Raw(s.meta_json().empty() ? "{}" : s.meta_json());
  w.Key("chunk_count");
  w.Int(s.chunk_count());
  w.Key("chunks_stored");
  w.Int(s.chunks_stored());
  w.Key("frames");
  w.Int(static_cast<int64_t>(s.frames()));
  w.Key("bytes");
  w.Int(static_cast<int64_t>(s.bytes()));
  w.Key("started_at");
  w.String(IsoTime(s.started_at_ms()));
  w.Key("finished_at");
  if (s.finished_at_ms() > 0) {
    w.String(IsoTime(s.finished_at_ms()));
  } else {
    w.Null();
  }
  w.Key("complete");
  w.Bool(s.complete());
  w.Key("pinned");
  w.Bool(s.pinned());
  w.Key("live");
  w.Bool(s.live());
  w.EndObject();
}

std::string SummaryJson(const v1::ReplaySummary& summary) {
  std::string body;
  JsonWriter w(body);
  WriteSummary(w, summary);
  return body;
}

// A file name for Content-Disposition: the id with anything unusual replaced.
std::string DownloadName(const std::string& replay_id) {
  std::string name;
  for (char c : replay_id) name.push_back(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ? c : '_');
  return absl::StrCat(name, ".replay.json");
}

// The state of one download, owned by the response's content provider and
// used only by the HTTP worker that writes it.
struct Download {
  std::unique_ptr<protocol::StoredReplayReader> chunks;
  std::string opening;       // {"world":...,"frames":[ until it is written
  std::string frames;        // the chunk being written; its capacity is reused
  std::unique_ptr<GzipStream> gzip;  // null: identity
  std::string meta_json;
  std::string run_json;
  bool any_frames = false;
  bool finished = false;

  // Writes `text` (compressed when gzip) as one HTTP chunk.
  bool Write(httplib::DataSink& sink, std::string_view text) {
    std::string compressed;
    if (gzip) {
      compressed = gzip->Add(text);
      text = compressed;
    }
    return WriteRaw(sink, text);
  }
  static bool WriteRaw(httplib::DataSink& sink, std::string_view bytes) {
    if (bytes.empty()) return true;
    const std::string head = absl::StrFormat("%x\r\n", bytes.size());
    return sink.write(head.data(), head.size()) && sink.write(bytes.data(), bytes.size()) && sink.write("\r\n", 2);
  }

  // One step of the stream: the opening, the next chunk's frames, or the end.
  bool Next(httplib::DataSink& sink) {
    if (finished) return false;
    if (!opening.empty()) {
      const bool ok = Write(sink, opening);
      opening.clear();
      return ok;
    }
    if (std::optional<std::string_view> chunk = chunks->Next(frames)) {
      // The chunk's array without its brackets, joined to the others.
      std::string_view inner = *chunk;
      if (inner.size() < 2) return true;
      inner = inner.substr(1, inner.size() - 2);
      if (inner.empty()) return true;
      if (any_frames && !Write(sink, ",")) return false;
      any_frames = true;
      return Write(sink, inner);
    }
    finished = true;
    if (absl::Status status = chunks->Finish(); !status.ok()) {
      // Too late for an error status: cut the response short, so the client
      // sees an incomplete transfer rather than a document missing frames.
      spdlog::warn("replay download failed mid-way: {}", status.ToString());
      return false;
    }
    std::string tail = absl::StrCat("],\"meta\":", meta_json, ",\"run\":", run_json, "}");
    if (!Write(sink, tail)) return false;
    if (gzip && !WriteRaw(sink, gzip->Finish())) return false;
    if (!sink.write("0\r\n\r\n", 5)) return false;
    sink.done();
    return true;
  }
};

}  // namespace

void Gateway::RegisterLibraryRoutes() {
  http_.Get("/replays", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res, TokenRole::kView)) return;
    v1::ListReplaysRequest request;
    request.set_run(req.get_param_value("run"));
    request.set_before(req.get_param_value("before"));
    if (req.has_param("limit")) {
      uint32_t limit = 0;
      if (!absl::SimpleAtoi(req.get_param_value("limit"), &limit) || limit == 0 || limit > 1000) {
        return SetError(res, 400, "limit must be an integer from 1 to 1000");
      }
      request.set_limit(limit);
    }
    v1::ListReplaysResponse response;
    auto context = CoreContext(req);
    const grpc::Status status = library_->List(context.get(), request, &response);
    if (!status.ok()) {
      // A malformed cursor is the caller's mistake.
      if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) return SetError(res, 400, status.error_message());
      return SetLibraryError(res, status);
    }
    std::string body;
    JsonWriter w(body);
    w.BeginObject();
    w.Key("replays");
    w.BeginArray();
    for (const v1::ReplaySummary& summary : response.replays()) WriteSummary(w, summary);
    w.EndArray();
    w.Key("next");
    if (response.next().empty()) {
      w.Null();
    } else {
      w.String(response.next());
    }
    w.EndObject();
    SetJson(res, std::move(body));
  });

  http_.Get(kReplayPath, [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res, TokenRole::kView)) return;
    const std::string replay_id = req.matches[1];
    if (absl::Status valid = CheckReplayId(replay_id); !valid.ok()) return SetError(res, valid);
    absl::StatusOr<protocol::OpenedReplay> opened = downloads_->OpenReplay(replay_id, CallerAuthorization(req));
    if (!opened.ok()) return SetLibraryError(res, opened.status());
    const v1::GetReplayResponse::Header& header = opened->header;
    auto download = std::make_shared<Download>();
    download->chunks = std::move(opened->chunks);
    download->opening = absl::StrCat("{\"world\":", header.world_json(), ",\"frames\":[");
    download->meta_json = header.summary().meta_json().empty() ? "{}" : header.summary().meta_json();
    download->run_json = header.summary().run_json().empty() ? "null" : header.summary().run_json();
    if (absl::StrContains(req.get_header_value("Accept-Encoding"), "gzip")) {
      download->gzip = std::make_unique<GzipStream>();
      res.set_header("Content-Encoding", "gzip");
    }
    res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"", DownloadName(replay_id), "\""));
    res.set_header("X-Replay-Complete", header.summary().complete() ? "true" : "false");
    res.set_header("Vary", "Accept-Encoding");
    // Chunked by hand, like /events: cpp-httplib's chunked provider would pick
    // its own compression (brotli at its slowest setting for browsers).
    res.set_header("Transfer-Encoding", "chunked");
    res.set_content_provider(kJsonContentType,
                             [download](size_t, httplib::DataSink& sink) { return download->Next(sink); });
  });

  http_.Get(kChunkPath, [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res, TokenRole::kView)) return;
    const std::string replay_id = req.matches[1];
    if (absl::Status valid = CheckReplayId(replay_id); !valid.ok()) return SetError(res, valid);
    uint32_t index = 0;
    if (!absl::SimpleAtoi(std::string(req.matches[2]), &index)) {
      return SetError(res, 400, "a chunk index is a non-negative integer");
    }
    v1::GetChunkRequest request;
    request.set_replay_id(replay_id);
    request.set_chunk_index(index);
    v1::StoredChunk response;
    auto context = CoreContext(req);
    const grpc::Status status = library_->GetChunk(context.get(), request, &response);
    if (!status.ok()) return SetLibraryError(res, status);
    std::string body;
    JsonWriter w(body);
    w.BeginObject();
    w.Key("replay_id");
    w.String(replay_id);
    w.Key("chunk_index");
    w.Int(index);
    w.Key("frames");
    w.Raw(response.frames_json());
    w.EndObject();
    SetJson(res, std::move(body));
  });

  auto set_pinned = [this](bool pinned) {
    return [this, pinned](const httplib::Request& req, httplib::Response& res) {
      const std::string replay_id = req.matches[1];
      if (absl::Status valid = CheckReplayId(replay_id); !valid.ok()) return SetError(res, valid);
      v1::ReplayRef request;
      request.set_replay_id(replay_id);
      v1::ReplaySummary response;
      auto context = CoreContext(req);
      const grpc::Status status = pinned ? library_->Pin(context.get(), request, &response)
                                         : library_->Unpin(context.get(), request, &response);
      if (!status.ok()) return SetLibraryError(res, status);
      SetJson(res, SummaryJson(response));
    };
  };
  http_.Post(kPinPath, set_pinned(true));
  http_.Delete(kPinPath, set_pinned(false));

  http_.Delete(kReplayPath, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string replay_id = req.matches[1];
    if (absl::Status valid = CheckReplayId(replay_id); !valid.ok()) return SetError(res, valid);
    v1::ReplayRef request;
    request.set_replay_id(replay_id);
    v1::DeleteReplayResponse response;
    auto context = CoreContext(req);
    const grpc::Status status = library_->Delete(context.get(), request, &response);
    if (!status.ok()) return SetLibraryError(res, status);
    std::string body;
    JsonWriter w(body);
    w.BeginObject();
    w.Key("status");
    w.String("deleted");
    w.Key("replay_id");
    w.String(replay_id);
    w.EndObject();
    SetJson(res, std::move(body));
  });
}

}  // namespace echelon::gateway
