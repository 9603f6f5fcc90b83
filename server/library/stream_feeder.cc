#include "server/library/stream_feeder.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_util.h"
#include "echelon/replay/v1/replay.pb.h"
#include "protocol/json_text.h"
#include "protocol/struct_json.h"
#include "server/library/library_ops.h"
#include "spdlog/spdlog.h"

namespace echelon::library {

namespace v1 = echelon::replay::v1;

namespace {

// How long a read waits before the feeder saves its position and expires
// live replays; also the pause before a retry.
constexpr absl::Duration kTick = absl::Seconds(1);
// The saved position trails what is applied by this much (see the header).
constexpr absl::Duration kPositionTrail = absl::Seconds(2);
// Looking a replay's start up in the log: the first message on its meta
// subject arrives within milliseconds when there is one.
constexpr absl::Duration kStartLookupWait = absl::Seconds(2);
// A copy this few messages behind the log's end counts as keeping up.
constexpr uint64_t kCurrentSlack = 64;

std::string StructJsonOr(bool present, const google::protobuf::Struct& value) {
  return present ? json::StructToJson(value) : "{}";
}

// Errors of the message itself: applying it again cannot succeed.
bool IsFinal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kInvalidArgument:
      return true;
    default:
      return false;
  }
}

}  // namespace

StreamFeeder::StreamFeeder(std::shared_ptr<cluster::NatsClient> nats, ReplayStore& copy, WorldSource worlds,
                           FeederOptions options)
    : nats_(std::move(nats)),
      copy_(copy),
      worlds_(std::move(worlds)),
      options_(std::move(options)),
      position_(options_.data_dir,
                absl::StrCat(nats_->options().stream, " ", nats_->event_ids().IdOf(0))) {}

std::unique_ptr<StreamFeeder> StreamFeeder::Start(std::shared_ptr<cluster::NatsClient> nats, ReplayStore& copy,
                                                  WorldSource worlds, FeederOptions options) {
  std::unique_ptr<StreamFeeder> feeder(
      new StreamFeeder(std::move(nats), copy, std::move(worlds), std::move(options)));
  feeder->saved_ = feeder->position_.Load();
  // A copy that has everything the log holds keeps up from the start, so
  // that the first pushes after a start already wait for it.
  absl::StatusOr<cluster::StreamBounds> bounds = feeder->nats_->Bounds();
  feeder->MarkApplied(feeder->saved_, bounds.ok() && bounds->last_sequence <= feeder->saved_);
  feeder->thread_ = std::thread([raw = feeder.get()] { raw->Run(); });
  return feeder;
}

StreamFeeder::~StreamFeeder() { Stop(); }

void StreamFeeder::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  {
    absl::MutexLock lock(&mu_);
    if (reader_ != nullptr) reader_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
}

void StreamFeeder::Run() {
  uint64_t next = saved_ + 1;
  spdlog::info("library: a copy of the replay log {}, from sequence {}", nats_->options().stream, next);
  while (!stopping_.HasBeenNotified()) {
    next = ReadFrom(next);
    stopping_.WaitForNotificationWithTimeout(kTick);
  }
}

uint64_t StreamFeeder::ReadFrom(uint64_t from) {
  absl::StatusOr<std::unique_ptr<cluster::StreamReader>> opened =
      cluster::StreamReader::Open(nats_, nats_->subjects().All(), from);
  if (!opened.ok()) {
    if (!retrying_) spdlog::warn("library: cannot read the replay log, retrying: {}", opened.status().ToString());
    retrying_ = true;
    MarkBehind();
    return from;
  }
  cluster::StreamReader* reader = opened->get();
  {
    absl::MutexLock lock(&mu_);
    reader_ = *std::move(opened);
    if (stopping_.HasBeenNotified()) reader_->Cancel();
  }
  bool first = true;
  while (!stopping_.HasBeenNotified()) {
    absl::StatusOr<std::optional<cluster::StreamMessage>> next = reader->Next(kTick);
    if (!next.ok()) {
      spdlog::warn("library: reading the replay log failed at sequence {}: {}", from, next.status().ToString());
      break;
    }
    SavePositionIfDue();
    if (!next->has_value()) {
      MarkApplied(from - 1, /*current=*/true);  // nothing more to read (a retried message comes at once)
      continue;
    }
    const cluster::StreamMessage& message = **next;
    if (first && message.sequence > from) {
      // Evicted by the log's limits before this copy read them: a core that
      // was away longer than the log keeps events misses what it held.
      if (from > 1) {
        spdlog::warn("library: the replay log no longer holds sequences {}..{}; this copy misses them",
                     from, message.sequence - 1);
      } else {
        spdlog::info("library: the replay log starts at sequence {}", message.sequence);
      }
    }
    first = false;
    absl::Status applied = Apply(message);
    if (!applied.ok()) {
      if (!retrying_) {
        spdlog::warn("library: cannot apply log message {} ({}), retrying every second: {}", message.sequence,
                     message.subject, applied.ToString());
      }
      retrying_ = true;
      MarkBehind();
      from = message.sequence;
      break;
    }
    if (retrying_) spdlog::info("library: the copy of the replay log goes on at sequence {}", message.sequence);
    retrying_ = false;
    MarkApplied(message.sequence, message.pending < kCurrentSlack);
    from = message.sequence + 1;
  }
  MarkBehind();
  absl::MutexLock lock(&mu_);
  reader_.reset();
  return from;
}

absl::Status StreamFeeder::Apply(const cluster::StreamMessage& message) {
  using Kind = cluster::ReplaySubjects::Kind;
  const Kind kind = nats_->subjects().KindOf(message.subject);
  if (kind == Kind::kLibrary) return ApplyLibraryOp(message);
  if (kind == Kind::kOther) return absl::OkStatus();
  v1::ReplayEvent event;
  if (!event.ParseFromString(message.data)) {
    spdlog::warn("library: log message {} on {} is not a ReplayEvent; skipped", message.sequence, message.subject);
    CountSkipped();
    return absl::OkStatus();
  }
  if (event.has_replay_start()) RememberStart(event.replay_start(), message.sequence);
  if (event.has_replay_chunk()) return ApplyChunk(event.replay_chunk(), message);
  return absl::OkStatus();
}

void StreamFeeder::RememberStart(const v1::ReplayStart& start, uint64_t sequence) {
  ReplayFields fields;
  fields.world_ref = start.world_ref();
  fields.chunk_count = start.chunk_count();
  fields.meta_json = StructJsonOr(start.has_meta(), start.meta());
  fields.extra_json = StructJsonOr(start.has_extra(), start.extra());
  fields.start_event_id = nats_->event_ids().IdOf(sequence);
  // A second start of a replay (re-sent after the log's duplicate window)
  // does not replace the first.
  starts_.try_emplace(start.replay_id(), std::move(fields));
  without_start_.erase(start.replay_id());
}

absl::Status StreamFeeder::ApplyChunk(const v1::ReplayChunkEvent& chunk, const cluster::StreamMessage& message) {
  const std::string& replay_id = chunk.replay_id();
  absl::StatusOr<ReplayFields> fields = FieldsOf(replay_id);
  if (!fields.ok()) return SkipChunkOrRetry(chunk, fields.status());
  if (!fields->in_copy) {
    // The copy keeps the world with the replay, as a push does.
    absl::StatusOr<std::string> world = worlds_(fields->world_ref);
    if (!world.ok()) {
      if (!IsFinal(world.status())) return world.status();
      spdlog::warn("library: replay {} skipped: its world {} is not stored in the cluster", replay_id,
                   fields->world_ref);
      CountSkipped();
      return absl::OkStatus();
    }
    ECHELON_RETURN_IF_ERROR(copy_.PutWorld(fields->world_ref, *world));
  }
  ChunkToStore record;
  record.replay_id = replay_id;
  record.world_ref = fields->world_ref;
  record.chunk_index = chunk.chunk_index();
  record.chunk_count = fields->chunk_count;
  record.frames_json = chunk.frames_json();
  record.frame_count = static_cast<uint32_t>(json::CountArrayElements(chunk.frames_json()));
  record.event_id = nats_->event_ids().IdOf(message.sequence);
  record.start_event_id = fields->start_event_id;
  record.meta_json = fields->meta_json;
  record.extra_json = fields->extra_json;
  record.accepted_at_ms = absl::ToUnixMillis(message.stored);
  absl::StatusOr<AppendResult> appended = copy_.Append(record);
  if (!appended.ok()) return SkipChunkOrRetry(chunk, appended.status());
  starts_.erase(replay_id);  // the copy has the replay now
  if (!appended->duplicate) {
    NoteLive(replay_id, message.stored, appended->completed);
    absl::MutexLock lock(&mu_);
    ++chunks_stored_;
  }
  return absl::OkStatus();
}

absl::Status StreamFeeder::SkipChunkOrRetry(const v1::ReplayChunkEvent& chunk, const absl::Status& why) {
  if (!IsFinal(why)) return why;
  spdlog::warn("library: chunk {} of replay {} skipped: {}", chunk.chunk_index(), chunk.replay_id(), why.ToString());
  CountSkipped();
  return absl::OkStatus();
}

absl::Status StreamFeeder::ApplyLibraryOp(const cluster::StreamMessage& message) {
  absl::StatusOr<LibraryOp> op = DecodeLibraryOp(message.data);
  if (!op.ok()) {
    spdlog::warn("library: log message {} on {} skipped: {}", message.sequence, message.subject,
                 op.status().ToString());
    CountSkipped();
    return absl::OkStatus();
  }
  absl::Status done;
  if (op->kind == LibraryOpKind::kDelete) {
    done = copy_.Delete(op->replay_id);
    starts_.erase(op->replay_id);
    absl::MutexLock lock(&mu_);
    live_.erase(op->replay_id);
  } else {
    done = copy_.SetPinned(op->replay_id, op->kind == LibraryOpKind::kPin).status();
  }
  // A replay this copy does not hold (gone by its retention): nothing to do.
  if (done.code() == absl::StatusCode::kNotFound) return absl::OkStatus();
  if (done.ok()) {
    spdlog::info("library: replay {} {} (log sequence {})", op->replay_id,
                 message.data.substr(0, message.data.find('\n')), message.sequence);
  }
  return done;
}

absl::StatusOr<StreamFeeder::ReplayFields> StreamFeeder::FieldsOf(const std::string& replay_id) {
  if (auto it = starts_.find(replay_id); it != starts_.end()) return it->second;
  absl::StatusOr<ReplayInfo> info = copy_.Describe(replay_id);
  if (info.ok()) {
    return ReplayFields{.world_ref = info->world_ref,
                        .chunk_count = info->chunk_count,
                        .meta_json = info->meta_json,
                        .extra_json = info->extra_json,
                        .start_event_id = info->start_event_id,
                        .in_copy = true};
  }
  if (info.status().code() != absl::StatusCode::kNotFound) return info.status();
  if (without_start_.contains(replay_id)) {
    return absl::NotFoundError(absl::StrCat("the replay log no longer holds the replay_start of ", replay_id));
  }
  absl::StatusOr<ReplayFields> from_log = StartFromLog(replay_id);
  // Its next chunks need not look again (a start read later clears this).
  if (from_log.status().code() == absl::StatusCode::kNotFound) without_start_.insert(replay_id);
  return from_log;
}

absl::StatusOr<StreamFeeder::ReplayFields> StreamFeeder::StartFromLog(const std::string& replay_id) {
  ECHELON_ASSIGN_OR_RETURN(std::unique_ptr<cluster::StreamReader> reader,
                           cluster::StreamReader::Open(nats_, nats_->subjects().Meta(replay_id), 1));
  ECHELON_ASSIGN_OR_RETURN(std::optional<cluster::StreamMessage> first, reader->Next(kStartLookupWait));
  v1::ReplayEvent event;
  if (!first || !event.ParseFromString(first->data) || !event.has_replay_start()) {
    return absl::NotFoundError(absl::StrCat("the replay log no longer holds the replay_start of ", replay_id));
  }
  RememberStart(event.replay_start(), first->sequence);
  return starts_.at(replay_id);
}

void StreamFeeder::MarkApplied(uint64_t sequence, bool current) {
  absl::MutexLock lock(&mu_);
  applied_ = sequence;
  current_ = current;
}

void StreamFeeder::CountSkipped() {
  absl::MutexLock lock(&mu_);
  ++messages_skipped_;
}

FeederStats StreamFeeder::stats() const {
  absl::MutexLock lock(&mu_);
  return FeederStats{applied_, current_, chunks_stored_, messages_skipped_};
}

void StreamFeeder::MarkBehind() {
  absl::MutexLock lock(&mu_);
  current_ = false;
}

void StreamFeeder::WaitAppliedIfCurrent(uint64_t sequence, absl::Duration timeout) {
  auto reached = [this, sequence]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return applied_ >= sequence || !current_; };
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

uint64_t StreamFeeder::applied() const {
  absl::MutexLock lock(&mu_);
  return applied_;
}

bool StreamFeeder::WaitApplied(uint64_t sequence, absl::Duration timeout) {
  auto reached = [this, sequence]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return applied_ >= sequence; };
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void StreamFeeder::SavePositionIfDue() {
  const absl::Time now = absl::Now();
  if (now - last_save_ < kTick) return;
  last_save_ = now;
  applied_history_.emplace_back(now, applied());
  uint64_t durable = saved_;
  while (!applied_history_.empty() && now - applied_history_.front().first >= kPositionTrail) {
    durable = applied_history_.front().second;
    applied_history_.erase(applied_history_.begin());
  }
  if (durable > saved_) {
    if (absl::Status saved = position_.Save(durable); !saved.ok()) {
      spdlog::warn("library: {}", saved.ToString());
    } else {
      saved_ = durable;
    }
  }
  absl::MutexLock lock(&mu_);
  absl::erase_if(live_, [&](const auto& entry) { return now - entry.second > options_.live_window; });
}

void StreamFeeder::NoteLive(const std::string& replay_id, absl::Time stored, bool complete) {
  absl::MutexLock lock(&mu_);
  if (complete) {
    live_.erase(replay_id);
  } else {
    live_[replay_id] = stored;
  }
}

bool StreamFeeder::IsLive(const std::string& replay_id) const {
  absl::MutexLock lock(&mu_);
  auto it = live_.find(replay_id);
  return it != live_.end() && absl::Now() - it->second <= options_.live_window;
}

}  // namespace echelon::library
