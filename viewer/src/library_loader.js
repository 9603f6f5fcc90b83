// Loads a stored replay from the library chunk by chunk
// (GET /replays/{id}/chunks/{n}, parsed in the stream worker) into a Replay, so
// the progress bar and playback work exactly as for a live one. One chunk is in
// flight at a time: memory is the Replay's own, nothing is buffered twice.
// Chunks the library does not have (a partial replay) stay holes, which playback
// already steps over. cancel() stops it when the page switches away.

import { replayChunkUrl } from './api.js';

export class LibraryLoader {
  /**
   * @param {object} options
   * @param {(url: string) => Promise<object[]>} options.fetchChunk
   * @param {(replay) => void} options.onChunk   a chunk was added
   * @param {(error) => void} options.onError   a chunk failed (not a 404)
   */
  constructor({ fetchChunk, onChunk, onError }) {
    this.fetchChunk = fetchChunk;
    this.onChunk = onChunk;
    this.onError = onError;
    this.replay = null;
    this.generation = 0;
  }

  /** Starts loading `replay` (a Replay announced from a library entry); stops any earlier load. */
  load(replay, { live = false } = {}) {
    this.generation += 1;
    this.replay = replay;
    this.run(this.generation, replay, live);
  }

  cancel() {
    this.generation += 1;
    this.replay = null;
  }

  get active() {
    return this.replay !== null;
  }

  async run(generation, replay, live) {
    for (let index = 0; index < replay.chunkCount; index += 1) {
      if (generation !== this.generation) return;
      if (replay.chunks[index]) continue; // the live stream brought it already
      try {
        const frames = await this.fetchChunk(replayChunkUrl(replay.id, index));
        if (generation !== this.generation) return;
        if (replay.addChunk(index, frames)) this.onChunk(replay);
      } catch (error) {
        if (generation !== this.generation) return;
        if (error.status === 404) continue; // not stored: a hole
        this.onError(error);
        if (error.status === 401) return;
      }
    }
    if (generation !== this.generation) return;
    // A replay still being pushed completes through the stream's replay_end.
    if (!live) replay.markComplete();
    this.replay = null;
    this.onChunk(replay);
  }
}
