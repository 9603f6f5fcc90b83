// HTTP calls the viewer makes to the replay server (see shared PROTOCOL.md).
// Every function rejects with an Error whose message is the server's `detail`
// when there is one, so the UI can show it as is.

async function readJsonResponse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && typeof body.detail === 'string' ? body.detail : response.statusText;
    throw new Error(`${response.status} ${detail}`);
  }
  return body;
}

function postJson(path, payload, signal) {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
    signal,
  }).then(readJsonResponse);
}

/** GET /worlds/{hash}: the world JSON stored under that content hash. */
export function fetchWorld(worldHash, signal) {
  return fetch(`/worlds/${encodeURIComponent(worldHash)}`, { signal }).then(readJsonResponse);
}

/** POST /nav/graph: {voxel_size, clearance_z, nodes:[{id,pos,edges}]}. */
export function fetchNavGraph(worldHash, signal) {
  return postJson('/nav/graph', { world_hash: worldHash }, signal);
}

/** POST /nav/path: {found, path:[[x,y,z]...], node_ids, stats} or {found:false, error}. */
export function fetchNavPath(worldHash, startPos, goalPos, signal) {
  return postJson('/nav/path', { world_hash: worldHash, start_pos: startPos, goal_pos: goalPos }, signal);
}

/** GET /replays: {replays:[...], next} (issue 14), newest first. */
export function fetchReplayList({ run = '', limit = 50, before = '' } = {}, signal) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (run) params.set('run', run);
  if (before) params.set('before', before);
  return fetch(`/replays?${params}`, { signal }).then(readJsonResponse);
}

/** URL of one stored chunk (fetched and parsed in the stream worker). */
export function replayChunkUrl(replayId, chunkIndex) {
  return `/replays/${encodeURIComponent(replayId)}/chunks/${chunkIndex}`;
}

/** URL of a whole stored replay, as one JSON document (a download). */
export function replayDownloadUrl(replayId) {
  return `/replays/${encodeURIComponent(replayId)}`;
}

/** POST /session {"token"}: the server sets the view cookie (issue 15). */
export function postSession(token) {
  return postJson('/session', { token });
}
