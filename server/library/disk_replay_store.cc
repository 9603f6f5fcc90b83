#include "server/library/disk_replay_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_util.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace echelon::library {

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS replays(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  replay_id TEXT NOT NULL UNIQUE,
  world_ref TEXT NOT NULL,
  chunk_count INTEGER NOT NULL,
  meta_json TEXT NOT NULL,
  extra_json TEXT NOT NULL,
  run_json TEXT NOT NULL,
  run_key TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER NOT NULL DEFAULT 0,
  chunks_stored INTEGER NOT NULL DEFAULT 0,
  frames INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  pinned INTEGER NOT NULL DEFAULT 0,
  start_event_id INTEGER NOT NULL,
  end_event_id INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS replays_run ON replays(run_key, seq);
CREATE INDEX IF NOT EXISTS replays_start_event ON replays(start_event_id);
CREATE INDEX IF NOT EXISTS replays_end_event ON replays(end_event_id);
CREATE TABLE IF NOT EXISTS chunks(
  replay_id TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  frames INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY(replay_id, chunk_index)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunks_event ON chunks(event_id);
CREATE INDEX IF NOT EXISTS chunks_segment ON chunks(segment, offset);
)sql";

constexpr char kReplayColumns[] =
    "replay_id, world_ref, chunk_count, meta_json, extra_json, run_json, started_at_ms, finished_at_ms, "
    "chunks_stored, frames, bytes, pinned, start_event_id, end_event_id, seq";

ReplayInfo ReplayFromRow(const SqliteStatement& row) {
  ReplayInfo info;
  info.replay_id = row.Text(0);
  info.world_ref = row.Text(1);
  info.chunk_count = static_cast<uint32_t>(row.Int(2));
  info.meta_json = row.Text(3);
  info.extra_json = row.Text(4);
  info.run_json = row.Text(5);
  info.started_at_ms = row.Int(6);
  info.finished_at_ms = row.Int(7);
  info.chunks_stored = static_cast<uint32_t>(row.Int(8));
  info.frames = static_cast<uint64_t>(row.Int(9));
  info.bytes = static_cast<uint64_t>(row.Int(10));
  info.pinned = row.Int(11) != 0;
  info.start_event_id = static_cast<uint64_t>(row.Int(12));
  info.end_event_id = static_cast<uint64_t>(row.Int(13));
  return info;
}

// The record head: every field of the chunk but its frames, as a length-
// prefixed JSON object, so that the index can be rebuilt from the segments.
std::string EncodeHead(const ChunkToStore& c, int64_t now_ms) {
  nlohmann::json head = {{"r", c.replay_id},    {"w", c.world_ref},   {"i", c.chunk_index},
                         {"n", c.chunk_count},  {"f", c.frame_count}, {"e", c.event_id},
                         {"s", c.start_event_id}, {"t", now_ms},      {"m", c.meta_json},
                         {"x", c.extra_json}};
  const std::string text = head.dump();
  std::string out(4, '\0');
  const uint32_t size = static_cast<uint32_t>(text.size());
  std::memcpy(out.data(), &size, 4);
  out += text;
  return out;
}

struct DecodedHead {
  nlohmann::json fields;
  size_t head_bytes = 0;  // prefix + JSON; the frames follow
};

absl::StatusOr<DecodedHead> DecodeHead(std::string_view payload) {
  uint32_t size = 0;
  if (payload.size() < 4) return absl::DataLossError("record too short");
  std::memcpy(&size, payload.data(), 4);
  if (payload.size() < 4 + size) return absl::DataLossError("record head overruns the record");
  DecodedHead decoded;
  decoded.fields = nlohmann::json::parse(payload.substr(4, size), nullptr, false);
  if (decoded.fields.is_discarded() || !decoded.fields.is_object() || !decoded.fields.contains("r")) {
    return absl::DataLossError("record head is not readable");
  }
  decoded.head_bytes = 4 + size;
  return decoded;
}

// The run a replay belongs to, for ?run=: the "run" value itself when it is
// a string or number, or its "id", "name" or "run_id" field.
void RunOf(std::string_view extra_json, std::string* run_json, std::string* run_key) {
  *run_json = "null";
  run_key->clear();
  const nlohmann::json extra = nlohmann::json::parse(extra_json, nullptr, false);
  if (!extra.is_object() || !extra.contains("run")) return;
  const nlohmann::json& run = extra["run"];
  *run_json = run.dump();
  auto key_of = [](const nlohmann::json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number()) return v.dump();
    return "";
  };
  *run_key = key_of(run);
  if (run_key->empty() && run.is_object()) {
    for (const char* field : {"id", "name", "run_id"}) {
      if (run.contains(field) && !(*run_key = key_of(run[field])).empty()) break;
    }
  }
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

absl::Status MakeDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool IsWorldHash(std::string_view hash) {
  if (hash.size() != 16) return false;
  for (char c : hash) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Durability> ParseDurability(std::string_view text) {
  if (text == "never") return Durability::kNever;
  if (text == "interval") return Durability::kInterval;
  if (text == "always") return Durability::kAlways;
  return absl::InvalidArgumentError(absl::StrCat("--fsync must be never, interval or always, not '", std::string(text), "'"));
}

absl::StatusOr<std::unique_ptr<DiskReplayStore>> DiskReplayStore::Open(DiskStoreOptions options) {
  const absl::Time started = absl::Now();
  ECHELON_RETURN_IF_ERROR(MakeDirectory(options.data_dir));
  std::unique_ptr<DiskReplayStore> store(new DiskReplayStore(std::move(options)));
  const std::string& dir = store->options_.data_dir;
  ECHELON_ASSIGN_OR_RETURN(store->lock_, DataDirLock::Acquire(dir));
  ECHELON_RETURN_IF_ERROR(MakeDirectory(dir + "/worlds"));
  {
    absl::MutexLock lock(&store->mu_);
    ECHELON_ASSIGN_OR_RETURN(store->log_, SegmentLog::Open(dir + "/segments", store->options_.max_segment_bytes));
  }
  ECHELON_RETURN_IF_ERROR(store->OpenIndex());
  {
    absl::MutexLock lock(&store->mu_);
    ECHELON_RETURN_IF_ERROR(store->Recover());
  }
  if (store->options_.durability == Durability::kInterval) {
    store->syncer_ = std::thread([raw = store.get()] { raw->RunSyncer(); });
  }
  spdlog::info("library {}: {} replays, {:.1f} MB, opened in {:.0f} ms", dir, store->replay_count(),
               store->stored_bytes() / 1e6, absl::ToDoubleMilliseconds(absl::Now() - started));
  return store;
}

DiskReplayStore::~DiskReplayStore() {
  stopping_.Notify();
  if (syncer_.joinable()) syncer_.join();
  absl::MutexLock lock(&mu_);
  if (dirty_ && options_.durability != Durability::kNever) (void)log_->Sync();
}

absl::Status DiskReplayStore::OpenIndex() {
  absl::MutexLock lock(&mu_);
  const std::string path = options_.data_dir + "/index.db";
  auto open = [&]() -> absl::Status {
    ECHELON_ASSIGN_OR_RETURN(db_, SqliteDb::Open(path));
    const char* sync = options_.durability == Durability::kAlways ? "FULL"
                       : options_.durability == Durability::kNever ? "OFF"
                                                                    : "NORMAL";
    ECHELON_RETURN_IF_ERROR(db_->Exec(absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=", sync, ";")));
    ECHELON_RETURN_IF_ERROR(db_->Exec(kSchema));
    ECHELON_ASSIGN_OR_RETURN(SqliteStatement check, db_->Prepare("SELECT COUNT(*) FROM replays"));
    check.Step();
    return check.status();
  };
  absl::Status opened = open();
  if (opened.ok()) return opened;
  // The segments hold everything: an unreadable index is moved aside and
  // rebuilt from them (Recover scans every segment from its start).
  const std::string aside = absl::StrCat(path, ".damaged-", NowMs());
  spdlog::error("library index {} is unreadable ({}); moved to {} and rebuilt from the segments", path,
                opened.ToString(), aside);
  db_.reset();
  std::rename(path.c_str(), aside.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  recovery_.index_rebuilt = true;
  return open();
}

absl::Status DiskReplayStore::Recover() {
  const std::vector<uint32_t> segments = log_->Segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    ECHELON_RETURN_IF_ERROR(RecoverSegment(segments[i], i + 1 == segments.size()));
  }
  if (recovery_.chunks_lost > 0) {
    // Recount what the lost chunks took with them.
    ECHELON_RETURN_IF_ERROR(db_->Exec(R"sql(
      UPDATE replays SET
        chunks_stored = (SELECT COUNT(*) FROM chunks c WHERE c.replay_id = replays.replay_id),
        frames = (SELECT COALESCE(SUM(frames), 0) FROM chunks c WHERE c.replay_id = replays.replay_id),
        bytes = (SELECT COALESCE(SUM(bytes), 0) FROM chunks c WHERE c.replay_id = replays.replay_id);
      UPDATE replays SET finished_at_ms = 0 WHERE chunks_stored < chunk_count;)sql"));
  }
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement totals, db_->Prepare(R"sql(
      SELECT (SELECT COALESCE(SUM(bytes), 0) FROM replays),
             MAX((SELECT COALESCE(MAX(event_id), 0) FROM chunks),
                 (SELECT COALESCE(MAX(MAX(start_event_id, end_event_id)), 0) FROM replays)))sql"));
  if (totals.Step()) {
    total_bytes_ = static_cast<uint64_t>(totals.Int(0));
    last_event_id_ = static_cast<uint64_t>(totals.Int(1));
  }
  ECHELON_RETURN_IF_ERROR(totals.status());
  if (recovery_.records_indexed > 0 || recovery_.bytes_cut > 0 || recovery_.chunks_lost > 0) {
    spdlog::warn("library recovery: {} records indexed from the segments, {} torn bytes cut, {} chunks lost",
                 recovery_.records_indexed, recovery_.bytes_cut, recovery_.chunks_lost);
  }
  return absl::OkStatus();
}

absl::Status DiskReplayStore::RecoverSegment(uint32_t segment, bool last) {
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement extent,
                           db_->Prepare("SELECT COALESCE(MAX(offset + length), 0) FROM chunks WHERE segment = ?"));
  extent.Bind(1, static_cast<int64_t>(segment));
  uint64_t indexed_end = extent.Step() ? static_cast<uint64_t>(extent.Int(0)) : 0;
  ECHELON_RETURN_IF_ERROR(extent.status());

  const uint64_t size = log_->SegmentSize(segment);
  if (size < indexed_end) {
    // The file lost bytes the index points at (truncated behind our back).
    ECHELON_ASSIGN_OR_RETURN(SqliteStatement lost,
                             db_->Prepare("DELETE FROM chunks WHERE segment = ? AND offset + length > ?"));
    ECHELON_RETURN_IF_ERROR(lost.Bind(1, static_cast<int64_t>(segment)).Bind(2, static_cast<int64_t>(size)).Run());
    const int64_t count = db_->Changes();
    recovery_.chunks_lost += static_cast<size_t>(count);
    spdlog::error("library segment {} is {} bytes shorter than indexed: {} chunks lost", segment,
                  indexed_end - size, count);
    indexed_end = size;
  }
  absl::Status indexing;
  ECHELON_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  auto scanned = log_->Scan(segment, indexed_end, [&](const RecordLocation& location, std::string_view payload) {
    bool added = false, completed = false;
    absl::Status status = IndexChunkLocked(payload, 0, location, &added, &completed);
    if (!status.ok()) {
      spdlog::error("library segment {} offset {}: {}", segment, location.offset, status.ToString());
      if (indexing.ok()) indexing = status;
    }
    if (added) ++recovery_.records_indexed;
  });
  ECHELON_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  if (!scanned.ok()) return scanned.status();
  if (scanned->valid_end < scanned->file_size) {
    const uint64_t damaged = scanned->file_size - scanned->valid_end;
    if (last) {
      // A torn tail: the write of that record never finished, so it was
      // never acknowledged. Cut it off so appends continue after the last
      // whole record.
      spdlog::warn("library segment {}: cut {} bytes of a torn record at offset {}", segment, damaged,
                   scanned->valid_end);
      ECHELON_RETURN_IF_ERROR(log_->Truncate(segment, scanned->valid_end));
      recovery_.bytes_cut += damaged;
    } else {
      spdlog::error("library segment {}: {} damaged bytes at offset {} skipped", segment, damaged,
                    scanned->valid_end);
    }
  }
  return absl::OkStatus();
}

absl::Status DiskReplayStore::IndexChunkLocked(std::string_view payload, uint64_t frames_not_in_payload,
                                               const RecordLocation& location, bool* added, bool* completed) {
  ECHELON_ASSIGN_OR_RETURN(DecodedHead head, DecodeHead(payload));
  const nlohmann::json& f = head.fields;
  const std::string replay_id = f.value("r", "");
  const std::string meta = f.value("m", "{}");
  const std::string extra = f.value("x", "{}");
  const uint32_t index = f.value("i", 0u);
  const uint32_t count = f.value("n", 0u);
  const uint64_t event_id = f.value("e", uint64_t{0});
  const uint32_t frames = f.value("f", 0u);
  const int64_t bytes = static_cast<int64_t>(payload.size() - head.head_bytes + frames_not_in_payload);
  std::string run_json, run_key;
  RunOf(extra, &run_json, &run_key);

  ECHELON_ASSIGN_OR_RETURN(SqliteStatement replay, db_->Prepare(
      "INSERT OR IGNORE INTO replays(replay_id, world_ref, chunk_count, meta_json, extra_json, run_json, run_key, "
      "started_at_ms, start_event_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  replay.Bind(1, replay_id).Bind(2, f.value("w", "")).Bind(3, count).Bind(4, meta).Bind(5, extra);
  replay.Bind(6, run_json).Bind(7, run_key).Bind(8, f.value("t", int64_t{0}));
  replay.Bind(9, static_cast<int64_t>(f.value("s", uint64_t{0})));
  ECHELON_RETURN_IF_ERROR(replay.Run());

  ECHELON_ASSIGN_OR_RETURN(SqliteStatement chunk, db_->Prepare(
      "INSERT OR IGNORE INTO chunks(replay_id, chunk_index, event_id, segment, offset, length, frames, bytes) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  chunk.Bind(1, replay_id).Bind(2, index).Bind(3, static_cast<int64_t>(event_id)).Bind(4, location.segment);
  chunk.Bind(5, static_cast<int64_t>(location.offset)).Bind(6, location.length).Bind(7, frames).Bind(8, bytes);
  ECHELON_RETURN_IF_ERROR(chunk.Run());
  *added = db_->Changes() == 1;
  if (!*added) return absl::OkStatus();

  // Old values on the right-hand side: chunks_stored + 1 is the new count.
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement counters, db_->Prepare(
      "UPDATE replays SET chunks_stored = chunks_stored + 1, frames = frames + ?, bytes = bytes + ?, "
      "end_event_id = CASE WHEN ? + 1 = chunk_count THEN ? ELSE end_event_id END, "
      "finished_at_ms = CASE WHEN chunks_stored + 1 >= chunk_count THEN ? ELSE finished_at_ms END "
      "WHERE replay_id = ? RETURNING chunks_stored >= chunk_count"));
  counters.Bind(1, frames).Bind(2, bytes).Bind(3, index).Bind(4, static_cast<int64_t>(event_id + 1));
  counters.Bind(5, f.value("t", int64_t{0})).Bind(6, replay_id);
  *completed = counters.Step() && counters.Int(0) != 0;
  ECHELON_RETURN_IF_ERROR(counters.Run());
  total_bytes_ += static_cast<uint64_t>(bytes);
  last_event_id_ = std::max({last_event_id_, event_id + (index + 1 == count ? 1 : 0)});
  return absl::OkStatus();
}

absl::StatusOr<AppendResult> DiskReplayStore::Append(const ChunkToStore& c) {
  const uint32_t frames_crc = c.frames_crc32 != 0 ? c.frames_crc32 : Crc32(c.frames_json);
  absl::MutexLock lock(&mu_);
  {
    ECHELON_ASSIGN_OR_RETURN(SqliteStatement known, db_->Prepare(
        "SELECT world_ref, chunk_count, (SELECT 1 FROM chunks WHERE replay_id = ?1 AND chunk_index = ?2) "
        "FROM replays WHERE replay_id = ?1"));
    known.Bind(1, c.replay_id).Bind(2, c.chunk_index);
    if (known.Step()) {
      if (known.Text(0) != c.world_ref || known.Int(1) != c.chunk_count) {
        return absl::AlreadyExistsError(absl::StrCat("replay ", std::string(c.replay_id), " is stored with world ", known.Text(0),
                                                     " and chunk_count ", known.Int(1), "; this chunk says ",
                                                     std::string(c.world_ref), " and ", c.chunk_count));
      }
      if (!known.IsNull(2)) return AppendResult{.duplicate = true};
    }
    ECHELON_RETURN_IF_ERROR(known.status());
  }
  const std::string head = EncodeHead(c, c.accepted_at_ms != 0 ? c.accepted_at_ms : NowMs());
  const uint32_t crc = Crc32Combine(Crc32(head), frames_crc, c.frames_json.size());
  ECHELON_ASSIGN_OR_RETURN(RecordLocation location, log_->Append(head, c.frames_json, crc));
  bool added = false, completed = false;
  absl::Status indexed = db_->Exec("BEGIN");
  if (indexed.ok()) indexed = IndexChunkLocked(head, c.frames_json.size(), location, &added, &completed);
  if (indexed.ok()) indexed = db_->Exec("COMMIT");
  if (!indexed.ok()) {
    (void)db_->Exec("ROLLBACK");
    log_->Unappend(location);
    return indexed;
  }
  if (options_.durability == Durability::kAlways) {
    ECHELON_RETURN_IF_ERROR(log_->Sync());
  } else {
    dirty_ = true;
  }
  EnforceRetentionLocked(std::string(c.replay_id));
  return AppendResult{.duplicate = false, .completed = completed};
}

absl::Status DiskReplayStore::PutWorld(const std::string& world_hash, std::string_view world_json) {
  if (!IsWorldHash(world_hash)) return absl::InvalidArgumentError("not a world hash");
  const std::string path = WorldPath(world_hash);
  if (access(path.c_str(), F_OK) == 0) return absl::OkStatus();
  const std::string temporary = absl::StrCat(path, ".tmp.", gettid());
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", temporary, ": ", std::strerror(errno)));
  size_t written = 0;
  int error = 0;
  while (written < world_json.size()) {
    const ssize_t n = write(fd, world_json.data() + written, world_json.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : ENOSPC;
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (error == 0 && options_.durability != Durability::kNever && fdatasync(fd) != 0) error = errno;
  close(fd);
  if (error != 0 || std::rename(temporary.c_str(), path.c_str()) != 0) {
    if (error == 0) error = errno;
    std::remove(temporary.c_str());
    if (error == ENOSPC || error == EFBIG || error == EDQUOT) {
      return absl::ResourceExhaustedError(absl::StrCat(std::string(kInsufficientStorage), ": cannot store world ", world_hash,
                                                       ": ", std::strerror(error)));
    }
    return absl::InternalError(absl::StrCat("cannot store world ", world_hash, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DiskReplayStore::GetWorld(const std::string& world_hash) {
  if (!IsWorldHash(world_hash)) return absl::NotFoundError("not a world hash");
  std::ifstream in(WorldPath(world_hash), std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("world ", world_hash, " is not in the library"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string DiskReplayStore::WorldPath(const std::string& world_hash) const {
  return absl::StrCat(options_.data_dir, "/worlds/", world_hash, ".json");
}

absl::StatusOr<ReplayPage> DiskReplayStore::List(const ListQuery& query) {
  int64_t before = 0;
  if (!query.before.empty() && (!absl::SimpleAtoi(query.before, &before) || before <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("'before' must be a cursor from 'next', not '", query.before, "'"));
  }
  const uint32_t limit = query.limit == 0 ? 50 : query.limit;
  absl::MutexLock lock(&mu_);
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement rows, db_->Prepare(absl::StrCat(
      "SELECT ", kReplayColumns, " FROM replays WHERE (?1 = '' OR run_key = ?1) AND (?2 = 0 OR seq < ?2) "
      "AND (?3 = 0 OR chunks_stored >= chunk_count) ORDER BY seq DESC LIMIT ?4")));
  rows.Bind(1, query.run).Bind(2, before).Bind(3, query.complete_only ? 1 : 0).Bind(4, int64_t{limit} + 1);
  ReplayPage page;
  int64_t last_seq = 0;
  while (rows.Step()) {
    if (page.replays.size() == limit) {
      page.next = absl::StrCat(last_seq);
      break;
    }
    page.replays.push_back(ReplayFromRow(rows));
    last_seq = rows.Int(14);
  }
  ECHELON_RETURN_IF_ERROR(rows.status());
  return page;
}

absl::StatusOr<ReplayInfo> DiskReplayStore::DescribeLocked(const std::string& replay_id) {
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement row,
                           db_->Prepare(absl::StrCat("SELECT ", kReplayColumns, " FROM replays WHERE replay_id = ?")));
  row.Bind(1, replay_id);
  if (row.Step()) return ReplayFromRow(row);
  ECHELON_RETURN_IF_ERROR(row.status());
  return absl::NotFoundError(absl::StrCat("replay '", replay_id, "' is not in the library"));
}

absl::StatusOr<ReplayInfo> DiskReplayStore::Describe(const std::string& replay_id) {
  absl::MutexLock lock(&mu_);
  return DescribeLocked(replay_id);
}

absl::StatusOr<std::vector<StoredChunkRef>> DiskReplayStore::Chunks(const std::string& replay_id) {
  absl::MutexLock lock(&mu_);
  ECHELON_RETURN_IF_ERROR(DescribeLocked(replay_id).status());
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement rows, db_->Prepare(
      "SELECT chunk_index, event_id, frames FROM chunks WHERE replay_id = ? ORDER BY chunk_index"));
  rows.Bind(1, replay_id);
  std::vector<StoredChunkRef> chunks;
  while (rows.Step()) {
    chunks.push_back({static_cast<uint32_t>(rows.Int(0)), static_cast<uint64_t>(rows.Int(1)),
                      static_cast<uint32_t>(rows.Int(2))});
  }
  ECHELON_RETURN_IF_ERROR(rows.status());
  return chunks;
}

absl::StatusOr<std::string_view> DiskReplayStore::ReadChunkInto(const std::string& replay_id, uint32_t chunk_index,
                                                                std::string& buffer) {
  RecordLocation location;
  const SegmentLog* log = nullptr;
  {
    absl::MutexLock lock(&mu_);
    log = log_.get();
    ECHELON_ASSIGN_OR_RETURN(SqliteStatement row, db_->Prepare(
        "SELECT segment, offset, length FROM chunks WHERE replay_id = ? AND chunk_index = ?"));
    row.Bind(1, replay_id).Bind(2, chunk_index);
    if (!row.Step()) {
      ECHELON_RETURN_IF_ERROR(row.status());
      return absl::NotFoundError(absl::StrCat("chunk ", chunk_index, " of replay '", replay_id, "' is not stored"));
    }
    location = {static_cast<uint32_t>(row.Int(0)), static_cast<uint64_t>(row.Int(1)),
                static_cast<uint32_t>(row.Int(2))};
  }
  // Read outside the lock (SegmentLog::ReadInto is thread-safe): a big chunk
  // never holds up appends.
  absl::StatusOr<std::string_view> payload = log->ReadInto(location, buffer);
  if (!payload.ok()) {
    spdlog::error("library: chunk {} of replay {} is damaged: {}", chunk_index, replay_id, payload.status().ToString());
    return payload.status();
  }
  ECHELON_ASSIGN_OR_RETURN(DecodedHead head, DecodeHead(*payload));
  return payload->substr(head.head_bytes);
}

absl::StatusOr<std::string> DiskReplayStore::ReadChunk(const std::string& replay_id, uint32_t chunk_index) {
  std::string buffer;
  ECHELON_ASSIGN_OR_RETURN(std::string_view frames, ReadChunkInto(replay_id, chunk_index, buffer));
  buffer.erase(0, frames.data() - buffer.data());
  return buffer;
}

absl::StatusOr<std::vector<StoredEvent>> DiskReplayStore::ListEventsAfter(uint64_t after_id, uint64_t up_to_id,
                                                                         size_t max_events) {
  absl::MutexLock lock(&mu_);
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement rows, db_->Prepare(R"sql(
      SELECT 1, event_id, replay_id, chunk_index FROM chunks WHERE event_id > ?1 AND event_id <= ?2
      UNION ALL SELECT 0, start_event_id, replay_id, 0 FROM replays WHERE start_event_id > ?1 AND start_event_id <= ?2
      UNION ALL SELECT 2, end_event_id, replay_id, 0 FROM replays WHERE end_event_id > ?1 AND end_event_id <= ?2
      ORDER BY 2 LIMIT ?3)sql"));
  rows.Bind(1, static_cast<int64_t>(after_id)).Bind(2, static_cast<int64_t>(up_to_id));
  rows.Bind(3, static_cast<int64_t>(max_events) + 1);
  std::vector<StoredEvent> events;
  while (rows.Step()) {
    StoredEvent event;
    event.kind = rows.Int(0) == 0 ? StoredEvent::Kind::kStart
                 : rows.Int(0) == 1 ? StoredEvent::Kind::kChunk
                                    : StoredEvent::Kind::kEnd;
    event.event_id = static_cast<uint64_t>(rows.Int(1));
    event.replay_id = rows.Text(2);
    event.chunk_index = static_cast<uint32_t>(rows.Int(3));
    events.push_back(std::move(event));
  }
  ECHELON_RETURN_IF_ERROR(rows.status());
  if (events.size() > max_events) {
    return absl::ResourceExhaustedError(absl::StrCat("more than ", max_events, " stored events after ", after_id));
  }
  return events;
}

uint64_t DiskReplayStore::LastEventId() {
  absl::MutexLock lock(&mu_);
  return last_event_id_;
}

absl::StatusOr<ReplayInfo> DiskReplayStore::SetPinned(const std::string& replay_id, bool pinned) {
  absl::MutexLock lock(&mu_);
  ECHELON_ASSIGN_OR_RETURN(SqliteStatement update, db_->Prepare("UPDATE replays SET pinned = ? WHERE replay_id = ?"));
  ECHELON_RETURN_IF_ERROR(update.Bind(1, pinned ? 1 : 0).Bind(2, replay_id).Run());
  ECHELON_ASSIGN_OR_RETURN(ReplayInfo info, DescribeLocked(replay_id));
  spdlog::info("library: replay {} {}", replay_id, pinned ? "pinned" : "unpinned");
  if (!pinned) EnforceRetentionLocked("");
  return info;
}

absl::Status DiskReplayStore::Delete(const std::string& replay_id) {
  absl::MutexLock lock(&mu_);
  ECHELON_RETURN_IF_ERROR(DescribeLocked(replay_id).status());
  ECHELON_RETURN_IF_ERROR(DeleteLocked(replay_id));
  spdlog::info("library: replay {} deleted", replay_id);
  RemoveDeadSegmentsLocked();
  return absl::OkStatus();
}

absl::Status DiskReplayStore::DeleteLocked(const std::string& replay_id) {
  ECHELON_ASSIGN_OR_RETURN(ReplayInfo info, DescribeLocked(replay_id));
  ECHELON_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  absl::Status deleted = [&]() -> absl::Status {
    ECHELON_ASSIGN_OR_RETURN(SqliteStatement chunks, db_->Prepare("DELETE FROM chunks WHERE replay_id = ?"));
    ECHELON_RETURN_IF_ERROR(chunks.Bind(1, replay_id).Run());
    ECHELON_ASSIGN_OR_RETURN(SqliteStatement replay, db_->Prepare("DELETE FROM replays WHERE replay_id = ?"));
    return replay.Bind(1, replay_id).Run();
  }();
  if (!deleted.ok()) {
    (void)db_->Exec("ROLLBACK");
    return deleted;
  }
  ECHELON_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  total_bytes_ -= std::min(total_bytes_, info.bytes);
  return absl::OkStatus();
}

void DiskReplayStore::EnforceRetentionLocked(const std::string& keep) {
  bool removed = false;
  while (total_bytes_ > options_.max_bytes) {
    auto oldest = db_->Prepare("SELECT replay_id FROM replays WHERE pinned = 0 AND replay_id != ? ORDER BY seq LIMIT 1");
    if (!oldest.ok()) break;
    oldest->Bind(1, keep);
    if (!oldest->Step()) {
      if (!retention_warned_) {
        spdlog::warn("library holds {:.1f} MB, over its limit of {:.1f} MB, and every other replay is pinned",
                     total_bytes_ / 1e6, options_.max_bytes / 1e6);
        retention_warned_ = true;
      }
      break;
    }
    const std::string victim = oldest->Text(0);
    if (!DeleteLocked(victim).ok()) break;
    spdlog::info("library: replay {} removed by retention (library over {:.1f} MB)", victim,
                 options_.max_bytes / 1e6);
    removed = true;
  }
  if (total_bytes_ <= options_.max_bytes) retention_warned_ = false;
  if (removed) RemoveDeadSegmentsLocked();
}

void DiskReplayStore::RemoveDeadSegmentsLocked() {
  for (uint32_t segment : log_->Segments()) {
    if (segment == log_->active_segment()) continue;
    auto live = db_->Prepare("SELECT 1 FROM chunks WHERE segment = ? LIMIT 1");
    if (!live.ok()) return;
    live->Bind(1, static_cast<int64_t>(segment));
    if (!live->Step() && live->status().ok()) log_->Remove(segment);
  }
}

uint64_t DiskReplayStore::stored_bytes() {
  absl::MutexLock lock(&mu_);
  return total_bytes_;
}

uint64_t DiskReplayStore::replay_count() {
  absl::MutexLock lock(&mu_);
  auto count = db_->Prepare("SELECT COUNT(*) FROM replays");
  if (!count.ok() || !count->Step()) return 0;
  return static_cast<uint64_t>(count->Int(0));
}

void DiskReplayStore::RunSyncer() {
  while (!stopping_.WaitForNotificationWithTimeout(options_.sync_interval)) {
    std::shared_ptr<SegmentFile> file;
    {
      absl::MutexLock lock(&mu_);
      if (!dirty_) continue;
      dirty_ = false;
      file = log_->active_file();
    }
    if (absl::Status synced = SyncFile(*file); !synced.ok()) spdlog::error("library: {}", synced.ToString());
  }
}

}  // namespace echelon::library
