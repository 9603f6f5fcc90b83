// The playback clock over one Replay: play/pause, speed, steps and seeking.
//
// The cursor is (chunk slot, frame in chunk). Time is simulation time (`frame.t`, s)
// and runs at `speed` while playing. A chunk that never arrived is stepped over:
// the clock jumps to the next chunk that did (and `gapsSkipped` counts it), so a
// hole costs one frame step of waiting instead of the missing chunk's duration.
// While a live replay has no frame after the cursor yet, the clock waits on the
// last frame ("buffering"); once the replay is complete it stops there.
// Nothing here allocates while playing.

const MAX_FRAME_DT_S = 0.25;         // a background tab must not fast-forward on return
const MAX_FRAMES_PER_ADVANCE = 32;   // bounds catch-up work at 8x on a slow machine
const DEFAULT_FRAME_STEP_S = 0.25;

export const SPEEDS = Object.freeze([0.25, 0.5, 1, 2, 4, 8]);

export class Playback {
  /**
   * @param {object} hooks
   * @param {(frame: object) => void} hooks.onFrameEntered  the cursor moved forward onto `frame` while playing
   * @param {() => void} hooks.onJump  the cursor moved any other way (seek, step, new replay)
   */
  constructor({ onFrameEntered, onJump }) {
    this.onFrameEntered = onFrameEntered;
    this.onJump = onJump;
    this.replay = null;
    this.speed = 1;
    this.gapsSkipped = 0;
    this.resetCursor();
  }

  resetCursor() {
    this.chunkIndex = -1;
    this.frameIndex = -1;
    this.time = 0;
    this.playing = false;
    this.autoplay = true;
    this.interpolationTarget = null;
    this.interpolationAlpha = 0;
    // Result slots of peekNext()/peekPrevious(), kept as fields to avoid allocating.
    this.peekChunk = -1;
    this.peekFrame = -1;
    this.peekCrossesGap = false;
  }

  load(replay) {
    this.replay = replay;
    this.gapsSkipped = 0;
    this.resetCursor();
    this.onChunksChanged();
  }

  /** Call after a chunk was added to the loaded replay: starts playing at the first one. */
  onChunksChanged() {
    if (!this.replay || this.hasFrame()) return;
    for (let i = 0; i < this.replay.chunks.length; i += 1) {
      if (!this.replay.chunks[i]) continue;
      this.moveTo(i, 0);
      this.time = this.currentFrame().t;
      if (this.autoplay) this.playing = true;
      this.onJump();
      return;
    }
  }

  hasFrame() {
    return this.chunkIndex >= 0;
  }

  currentFrame() {
    return this.hasFrame() ? this.replay.chunks[this.chunkIndex][this.frameIndex] : null;
  }

  moveTo(chunkIndex, frameIndex) {
    this.chunkIndex = chunkIndex;
    this.frameIndex = frameIndex;
  }

  /** Finds the frame after the cursor into peekChunk/peekFrame; false if none arrived yet. */
  peekNext() {
    const chunks = this.replay.chunks;
    if (this.frameIndex + 1 < chunks[this.chunkIndex].length) {
      this.peekChunk = this.chunkIndex;
      this.peekFrame = this.frameIndex + 1;
      this.peekCrossesGap = false;
      return true;
    }
    for (let i = this.chunkIndex + 1; i < chunks.length; i += 1) {
      if (!chunks[i]) continue;
      this.peekChunk = i;
      this.peekFrame = 0;
      this.peekCrossesGap = i > this.chunkIndex + 1;
      return true;
    }
    return false;
  }

  peekPrevious() {
    const chunks = this.replay.chunks;
    if (this.frameIndex > 0) {
      this.peekChunk = this.chunkIndex;
      this.peekFrame = this.frameIndex - 1;
      return true;
    }
    for (let i = this.chunkIndex - 1; i >= 0; i -= 1) {
      if (!chunks[i]) continue;
      this.peekChunk = i;
      this.peekFrame = chunks[i].length - 1;
      return true;
    }
    return false;
  }

  frameStep() {
    const frames = this.replay.chunks[this.chunkIndex];
    const step = frames.length > 1 ? frames[1].t - frames[0].t : 0;
    return step > 0 ? step : DEFAULT_FRAME_STEP_S;
  }

  /** Advances the clock by `dtSeconds` of wall time. */
  advance(dtSeconds) {
    if (!this.hasFrame()) return;
    if (this.playing) {
      this.time += Math.min(dtSeconds, MAX_FRAME_DT_S) * this.speed;
      let entered = 0;
      while (this.peekNext()) {
        const next = this.replay.chunks[this.peekChunk][this.peekFrame];
        const dueAt = this.peekCrossesGap ? this.currentFrame().t + this.frameStep() : next.t;
        if (dueAt > this.time) break;
        if (this.peekCrossesGap) {
          this.gapsSkipped += 1;
          this.time = next.t;
        }
        this.moveTo(this.peekChunk, this.peekFrame);
        this.onFrameEntered(next);
        entered += 1;
        if (entered >= MAX_FRAMES_PER_ADVANCE) {
          this.time = next.t;
          break;
        }
      }
      if (!this.peekNext()) {
        // Nothing after the cursor: wait on the last frame (live) or stop (complete).
        this.time = this.currentFrame().t;
        if (this.replay.complete) this.playing = false;
      }
    }
    this.updateInterpolation();
  }

  updateInterpolation() {
    const current = this.currentFrame();
    if (this.peekNext() && !this.peekCrossesGap) {
      const next = this.replay.chunks[this.peekChunk][this.peekFrame];
      const span = next.t - current.t;
      this.interpolationTarget = next;
      this.interpolationAlpha = span > 0 ? Math.min(1, Math.max(0, (this.time - current.t) / span)) : 0;
    } else {
      this.interpolationTarget = null;
      this.interpolationAlpha = 0;
    }
  }

  /** True when the cursor is on the last frame of a complete replay. */
  atEnd() {
    return this.hasFrame() && this.replay.complete && !this.peekNext();
  }

  /** Buffering: playing a live replay whose next frame has not arrived. */
  isBuffering() {
    return this.hasFrame() && this.playing && !this.replay.complete && !this.peekNext();
  }

  setPlaying(playing) {
    if (!this.hasFrame()) {
      this.autoplay = playing;
      return;
    }
    if (playing && this.atEnd()) this.seek(this.startTime());
    this.playing = playing;
    this.autoplay = playing;
  }

  togglePlaying() {
    this.setPlaying(!this.playing);
  }

  setSpeed(speed) {
    if (SPEEDS.includes(speed)) this.speed = speed;
  }

  stepForward() {
    this.step(true);
  }

  stepBack() {
    this.step(false);
  }

  /** Pauses and moves one received frame forward or back (over gaps). */
  step(forward) {
    if (!this.hasFrame()) return;
    this.setPlaying(false);
    if (!(forward ? this.peekNext() : this.peekPrevious())) return;
    this.moveTo(this.peekChunk, this.peekFrame);
    this.time = this.currentFrame().t;
    this.afterJump();
  }

  /** Moves to simulation time `t`: the last frame at or before it, within what arrived. */
  seek(t) {
    if (!this.hasFrame()) return;
    const chunks = this.replay.chunks;
    let target = -1;
    for (let i = 0; i < chunks.length; i += 1) {
      if (!chunks[i]) continue;
      if (target < 0 || chunks[i][0].t <= t) target = i;
      if (chunks[i][0].t > t) break;
    }
    const frames = chunks[target];
    let lo = 0;
    let hi = frames.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (frames[mid].t <= t) lo = mid;
      else hi = mid - 1;
    }
    this.moveTo(target, lo);
    const frameT = frames[lo].t;
    this.time = Math.max(frameT, Math.min(t, this.endTime()));
    this.afterJump();
  }

  afterJump() {
    this.updateInterpolation();
    this.onJump();
  }

  startTime() {
    const first = this.replay && this.replay.firstFrame();
    return first ? first.t : 0;
  }

  endTime() {
    const last = this.replay && this.replay.lastFrame();
    return last ? last.t : 0;
  }

  /** Position of the cursor among the frames received so far (0-based). */
  receivedFrameIndex() {
    if (!this.hasFrame()) return -1;
    let index = this.frameIndex;
    for (let i = 0; i < this.chunkIndex; i += 1) if (this.replay.chunks[i]) index += this.replay.chunks[i].length;
    return index;
  }
}
