// Replays as they stream in, and which of them the page keeps.
//
// A replay's frames live in one slot per chunk (`chunks[chunk_index]`), so a chunk
// is appended by storing its array: nothing already received is copied or rebuilt,
// a late chunk simply fills its slot, and a chunk that never comes stays a hole that
// playback steps over. The store keeps at most two replays, the one on screen and
// one other (the previous one, or the newest one while the user stays on the
// current), so memory stays bounded however long the page runs.

export class Replay {
  constructor({ replay_id, world_ref, chunk_count, meta }, world) {
    this.id = String(replay_id);
    this.worldRef = world_ref;
    this.chunkCount = Math.max(0, chunk_count | 0);
    this.meta = meta && typeof meta === 'object' ? meta : {};
    this.chunks = new Array(this.chunkCount).fill(null);
    this.chunksReceived = 0;
    this.framesReceived = 0;
    this.complete = false;
    this.inlineWorld = world || null;
    this.receivedAt = performance.now();
    this.fromLibrary = false;
  }

  /** The frame step (s) and frames per chunk seen so far, for the expected length of a live replay. */
  expectedEndTime() {
    const first = this.chunks.find((frames) => frames && frames.length > 1);
    if (!first || this.chunkCount <= 0) return 0;
    const step = first[1].t - first[0].t;
    if (!(step > 0)) return 0;
    const start = this.firstFrame().t;
    return start + (this.chunkCount * first.length - 1) * step;
  }

  /** Stores a chunk's frames; returns false for a duplicate or an unusable chunk. */
  addChunk(chunkIndex, frames) {
    if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || !Array.isArray(frames) || frames.length === 0) {
      return false;
    }
    if (chunkIndex >= this.chunks.length) {
      // More chunks than announced: grow rather than drop data.
      while (this.chunks.length <= chunkIndex) this.chunks.push(null);
      this.chunkCount = this.chunks.length;
    }
    if (this.chunks[chunkIndex]) return false;
    this.chunks[chunkIndex] = frames;
    this.chunksReceived += 1;
    this.framesReceived += frames.length;
    return true;
  }

  markComplete() {
    this.complete = true;
  }

  highestReceivedChunk() {
    for (let i = this.chunks.length - 1; i >= 0; i -= 1) if (this.chunks[i]) return i;
    return -1;
  }

  /**
   * Chunk indices known to be missing: holes below the highest chunk received
   * (the stream is ordered, so they are lost), and after replay_end every hole.
   */
  missingChunks() {
    const last = this.complete ? this.chunks.length - 1 : this.highestReceivedChunk();
    const missing = [];
    for (let i = 0; i <= last; i += 1) if (!this.chunks[i]) missing.push(i);
    return missing;
  }

  firstFrame() {
    for (const frames of this.chunks) if (frames) return frames[0];
    return null;
  }

  lastFrame() {
    const last = this.highestReceivedChunk();
    return last < 0 ? null : this.chunks[last][this.chunks[last].length - 1];
  }
}

export class ReplayStore {
  constructor() {
    this.displayed = null;
    this.other = null;
  }

  /** Finds a kept replay by id. */
  get(replayId) {
    if (this.displayed && this.displayed.id === replayId) return this.displayed;
    if (this.other && this.other.id === replayId) return this.other;
    return null;
  }

  /**
   * Adds a newly announced replay. Following live, it goes on screen and the old
   * one becomes `other`; staying on the current, it replaces `other`.
   * Returns true when the displayed replay changed.
   */
  add(replay, followLive) {
    if (!this.displayed) {
      this.displayed = replay;
      return true;
    }
    if (followLive) {
      this.other = this.displayed;
      this.displayed = replay;
      return true;
    }
    this.other = replay;
    return false;
  }

  /**
   * Puts `replay` on screen (a choice from the picker); the replay it replaces
   * becomes `other`, whatever `other` was is dropped.
   */
  show(replay) {
    if (this.displayed === replay) return false;
    this.other = this.displayed;
    this.displayed = replay;
    return true;
  }

  /** Shows `other` if it is newer than the displayed replay (leaving "stay on current"). */
  switchToNewest() {
    if (!this.other || this.other.receivedAt < this.displayed.receivedAt) return false;
    [this.displayed, this.other] = [this.other, this.displayed];
    return true;
  }

  hasNewerPending() {
    return Boolean(this.other && this.displayed && this.other.receivedAt > this.displayed.receivedAt);
  }

  keptCount() {
    return (this.displayed ? 1 : 0) + (this.other ? 1 : 0);
  }

  worldRefsInUse() {
    const refs = new Set();
    if (this.displayed) refs.add(this.displayed.worldRef);
    if (this.other) refs.add(this.other.worldRef);
    return refs;
  }
}
