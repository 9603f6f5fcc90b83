// Pushes a replay to a server the way the trainer does: store the world by hash
// (HEAD, then PUT if missing), then POST /push one chunk of frames at a time.
//
//   node tests/e2e/browser/pusher.mjs http://127.0.0.1:8090 tests/fixtures/replays/w40x40x20_s3.replay.json [--skip 1] [--id name]

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalMember, hashCanonical } from './world_hash.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const REPLAY_FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'replays');
export const NAV_FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'nav');

const loaded = new Map();

/** A fixture replay: {name, world text (canonical), worldHash, frames}. Cached per process. */
export function loadFixtureReplay(name) {
  if (!loaded.has(name)) {
    const text = fs.readFileSync(path.join(REPLAY_FIXTURES, `${name}.replay.json`), 'utf8');
    const worldText = canonicalMember(text, 'world');
    loaded.set(name, { name, worldText, worldHash: hashCanonical(worldText), frames: JSON.parse(text).frames });
  }
  return loaded.get(name);
}

/** Node count of the golden nav graph for a fixture world. */
export function goldenNavNodeCount(name) {
  const graph = JSON.parse(fs.readFileSync(path.join(NAV_FIXTURES, `${name}.graph.json`), 'utf8'));
  return graph.nodes.length;
}

async function expectOk(response, what) {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * fetch() for an idempotent request, tried once more when it fails without an answer:
 * after a pause longer than the server's keep-alive timeout, node may reuse the pooled
 * connection just as the server closes it ("fetch failed: other side closed"), which a
 * busy machine makes likely. The world's HEAD and PUT come first after such pauses.
 */
async function fetchIdempotent(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return fetch(url, init);
  }
}

export async function storeWorld(baseUrl, worldHash, worldText, headers = {}) {
  const head = await fetchIdempotent(`${baseUrl}/worlds/${worldHash}`, { method: 'HEAD', headers });
  if (head.status === 200) return;
  await expectOk(await fetchIdempotent(`${baseUrl}/worlds/${worldHash}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json', ...headers }, body: worldText,
  }), `PUT /worlds/${worldHash}`);
}

export function chunkFrames(frames, chunkSize) {
  const chunks = [];
  for (let i = 0; i < frames.length; i += chunkSize) chunks.push(frames.slice(i, i + chunkSize));
  return chunks;
}

/**
 * Pushes `replay` ({worldText, worldHash, frames}) as `replayId`.
 * `skipChunks` lists chunk indices that are never sent (to make gaps);
 * `delayMs` waits between chunks (a live trainer streams them over time);
 * `authorization` is sent as the Authorization header of every request.
 * Returns the /push answers.
 */
export async function pushReplay(baseUrl, replay, { replayId, chunkSize = 100, skipChunks = [], delayMs = 0, meta = {}, run, authorization }) {
  const headers = authorization ? { Authorization: authorization } : {};
  await storeWorld(baseUrl, replay.worldHash, replay.worldText, headers);
  const chunks = chunkFrames(replay.frames, chunkSize);
  const answers = [];
  for (const [index, frames] of chunks.entries()) {
    if (skipChunks.includes(index)) continue;
    if (delayMs > 0 && answers.length > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const body = { replay_id: replayId, world_ref: replay.worldHash, chunk_index: index, chunk_count: chunks.length, frames };
    if (index === 0) body.meta = meta;
    if (run !== undefined) body.run = run;  // the training run, beside meta as the trainer sends it
    answers.push(await expectOk(await fetch(`${baseUrl}/push`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
    }), `POST /push chunk ${index}`));
  }
  return answers;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [baseUrl, file, ...rest] = process.argv.slice(2);
  if (!baseUrl || !file) {
    console.error('usage: pusher.mjs BASE_URL REPLAY_FILE [--skip N]... [--id REPLAY_ID] [--delay-ms N]');
    process.exit(2);
  }
  const options = { replayId: `dev-${Date.now()}`, skipChunks: [], delayMs: 0 };
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] === '--skip') options.skipChunks.push(Number(rest[i + 1]));
    else if (rest[i] === '--id') options.replayId = rest[i + 1];
    else if (rest[i] === '--delay-ms') options.delayMs = Number(rest[i + 1]);
  }
  const name = path.basename(file).replace(/\.replay\.json$/, '');
  const answers = await pushReplay(baseUrl.replace(/\/$/, ''), loadFixtureReplay(name), options);
  console.log(`pushed ${options.replayId}: ${answers.length} chunks`);
}
