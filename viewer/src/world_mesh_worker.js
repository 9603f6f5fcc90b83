// Entry point of the world mesh worker (a dedicated module Worker per page, made
// by world_mesh_client.js): fetches and parses a world and builds its voxel faces
// off the page's main thread (a large world is ~0.5 MB of JSON and ~300 ms of
// meshing), then hands the typed arrays back without copying (transferred: the
// worker keeps nothing between jobs).
//
// Request {requestId, source, palette, translucent} (see world_mesh_job.js).
// Answer {requestId, built} or {requestId, error: message, stage}.

import { runMeshJob } from './world_mesh_job.js';
import { transferablesOf } from './voxel_mesher.js';

self.onmessage = async ({ data: request }) => {
  let built;
  try {
    built = await runMeshJob(request);
  } catch (error) {
    self.postMessage({ requestId: request.requestId, error: error.message, stage: error.stage || 'build' });
    return;
  }
  self.postMessage({ requestId: request.requestId, built }, transferablesOf(built));
};
