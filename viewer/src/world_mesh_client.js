// The page's side of the world mesh worker (world_mesh_worker.js): sends a mesh
// job (a world's hash, or an inline world), resolves with the built faces.
// Parsing and meshing a large world takes hundreds of milliseconds of script,
// which on the page's main thread would freeze playback and input for that long;
// in the worker the page stays responsive.
//
// Where the worker cannot run (no module workers, or its script failed to load)
// the same job (world_mesh_job.js) runs on the page instead: slower to the eye,
// same result. Owned by WorldLayer; dispose() ends the worker.

import { runMeshJob } from './world_mesh_job.js';

const WORKER_URL = new URL('./world_mesh_worker.js', import.meta.url);

export class WorldMeshClient {
  constructor() {
    this.worker = null;
    this.workerFailed = false;
    this.nextRequestId = 1;
    this.pending = new Map(); // requestId -> {resolve, reject}
  }

  /**
   * Runs mesh job `request` (see world_mesh_job.js); rejects with an Error carrying
   * `stage`. The request is copied to the worker, so it can still run here if the
   * worker fails on the way.
   */
  build(request) {
    const worker = this.ensureWorker();
    if (!worker) return buildOnPage(request);
    const requestId = this.nextRequestId;
    this.nextRequestId += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject, request });
      worker.postMessage({ ...request, requestId });
    });
  }

  ensureWorker() {
    if (this.worker || this.workerFailed) return this.worker;
    try {
      this.worker = new Worker(WORKER_URL, { type: 'module', name: 'echelon-world-mesh' });
    } catch (error) {
      this.fallBackToPage(error);
      return null;
    }
    this.worker.onmessage = ({ data }) => this.handleAnswer(data);
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.fallBackToPage(new Error(event.message || 'world mesh worker failed'));
    };
    return this.worker;
  }

  handleAnswer({ requestId, built, error, stage }) {
    const request = this.pending.get(requestId);
    if (!request) return;
    this.pending.delete(requestId);
    if (error !== undefined) request.reject(Object.assign(new Error(error), { stage }));
    else request.resolve(built);
  }

  /** The worker is unusable: its pending requests and all later ones are built on the page. */
  fallBackToPage(error) {
    console.warn(`world mesh worker unavailable, building worlds on the page: ${error.message}`);
    this.workerFailed = true;
    this.terminate();
    for (const { resolve, request } of this.pending.values()) resolve(buildOnPage(request));
    this.pending.clear();
  }

  rejectPending(error) {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  terminate() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
  }

  dispose() {
    this.terminate();
    this.rejectPending(new Error('world layer disposed'));
  }
}

/** The fallback: the same job, on the page, after the current task. */
function buildOnPage(request) {
  return Promise.resolve().then(() => runMeshJob(request));
}
