// One world mesh job, where the world mesh worker (or, without one, the page) runs
// it: get the world (fetched by hash, or given inline), then mesh it. A failure
// says at which stage it happened: 'fetch' (the world could not be had: worth
// retrying) or 'build' (the world cannot be drawn: retrying gives the same answer).
//
// Job {source: {hash} | {world}, palette, translucent} (see voxel_mesher.js).

import { fetchWorld } from './api.js';
import { meshWorld } from './voxel_mesher.js';

/** Resolves to the built world; rejects with an Error carrying `stage`. */
export async function runMeshJob({ source, palette, translucent }) {
  let world = source.world;
  if (world === undefined) {
    try {
      world = await fetchWorld(source.hash);
    } catch (error) {
      throw Object.assign(new Error(error.message), { stage: 'fetch' });
    }
  }
  try {
    return meshWorld(world, palette, translucent);
  } catch (error) {
    throw Object.assign(new Error(error.message || String(error)), { stage: 'build' });
  }
}
