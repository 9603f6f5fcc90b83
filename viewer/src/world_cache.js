// Worlds by content hash, fetched once per page (GET /worlds/{hash}) and dropped
// when no kept replay refers to them any more.

import { fetchWorld } from './api.js';

export class WorldCache {
  constructor() {
    this.entries = new Map(); // hash -> Promise<world>
  }

  /** Records a world that arrived inline (replay_start.world or a `world` event). */
  put(hash, world) {
    if (hash && world && typeof world === 'object') this.entries.set(hash, Promise.resolve(world));
  }

  /** The world for `hash`, fetching it on first use. A failed fetch is forgotten so it can be retried. */
  get(hash) {
    let entry = this.entries.get(hash);
    if (!entry) {
      entry = fetchWorld(hash);
      entry.catch(() => {
        if (this.entries.get(hash) === entry) this.entries.delete(hash);
      });
      this.entries.set(hash, entry);
    }
    return entry;
  }

  /** Forgets every world whose hash is not in `hashesInUse`. */
  retainOnly(hashesInUse) {
    for (const hash of this.entries.keys()) if (!hashesInUse.has(hash)) this.entries.delete(hash);
  }

  get size() {
    return this.entries.size;
  }
}
