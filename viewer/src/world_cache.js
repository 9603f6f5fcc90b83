// Worlds by content hash, built for drawing once per page (fetched and meshed in
// the world mesh worker, see WorldLayer.buildWorld) and dropped when no kept replay
// refers to them any more. A world's content never changes under its hash, so a
// built world is shown again as it is.

export class WorldCache {
  /** @param {(source: {hash}|{world}) => Promise<object>} build  resolves to a built world */
  constructor(build) {
    this.build = build;
    this.entries = new Map(); // hash -> Promise<built world>
  }

  /** Records a world that arrived inline (replay_start.world or a `world` event). */
  put(hash, world) {
    if (!hash || !world || typeof world !== 'object' || this.entries.has(hash)) return;
    this.remember(hash, this.build({ world }));
  }

  /** The built world for `hash`, fetching it on first use. A failure is forgotten so it can be retried. */
  get(hash) {
    return this.entries.get(hash) || this.remember(hash, this.build({ hash }));
  }

  remember(hash, entry) {
    entry.catch(() => {
      if (this.entries.get(hash) === entry) this.entries.delete(hash);
    });
    this.entries.set(hash, entry);
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
