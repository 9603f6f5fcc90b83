#!/usr/bin/env node
// A stand-in for the replay server, for viewer development and as the browser
// tests' fallback while the C++ server is not available. It speaks the same
// HTTP/SSE contract (shared PROTOCOL.md) in the simplest possible way:
// everything in memory, one process, no dependencies beyond node itself.
//
//   node viewer/dev/mock_server.mjs [--host 127.0.0.1] [--port 8090] [--keepalive-ms 15000] [--view-token T]
//
// It also stands in for the replay library (issue 14: GET /replays, /replays/{id},
// /replays/{id}/chunks/{n}, pin/unpin/delete; in memory, so nothing survives a
// restart) and the view login (issue 15: POST/DELETE/GET /session; with
// --view-token, /events, worlds, nav and the library's reads answer 401 without
// the session cookie or the bearer token).
//
// Differences from the real server, on purpose: PUT /worlds trusts the hash in the
// URL (no canonical-JSON check), and /nav/* only know the worlds that have goldens
// in tests/fixtures/nav (graphs come from the golden files, paths are computed over
// them with the reference A*). Push a fixture with tests/e2e/browser/pusher.mjs.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const VIEWER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NAV_FIXTURES = path.resolve(VIEWER_DIR, '..', 'tests', 'fixtures', 'nav');
const THREE_DIR = path.join(VIEWER_DIR, 'node_modules', 'three');
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const RETAINED_EVENTS = 400;

function parseArgs(argv) {
  const options = { host: '127.0.0.1', port: 8090, keepaliveMs: 15000, viewToken: '' };
  for (let i = 2; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--host') options.host = value;
    else if (flag === '--port') options.port = Number(value);
    else if (flag === '--keepalive-ms') options.keepaliveMs = Number(value);
    else if (flag === '--view-token') options.viewToken = value;
    else if (flag === '--grpc-port') { /* accepted for command-line parity with the real server */ }
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

// ---- HTTP helpers ------------------------------------------------------------

class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function sendJson(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req) {
  const parts = [];
  let size = 0;
  for await (const part of req) {
    size += part.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    parts.push(part);
  }
  let body = Buffer.concat(parts);
  if ((req.headers['content-encoding'] || '').toLowerCase() === 'gzip') {
    try {
      body = zlib.gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES });
    } catch {
      throw new HttpError(413, 'gzip body invalid or too large');
    }
  }
  return body;
}

async function readJson(req, requiredKeys) {
  const text = (await readBody(req)).toString('utf8');
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(422, 'body is not valid JSON');
  }
  for (const key of requiredKeys) {
    if (!value || typeof value !== 'object' || !(key in value)) throw new HttpError(422, `missing field ${key}`);
  }
  return { value, text };
}

// ---- static files --------------------------------------------------------------

const CONTENT_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json' };

/** Maps a URL path to a file: the viewer itself, and three.js under /vendor. */
function staticFileFor(urlPath) {
  const mounts = [
    ['/vendor/addons/', path.join(THREE_DIR, 'examples', 'jsm')],
    ['/vendor/', path.join(THREE_DIR, 'build')],
    ['/src/', path.join(VIEWER_DIR, 'src')],
  ];
  if (urlPath === '/' || urlPath === '/index.html') return path.join(VIEWER_DIR, 'index.html');
  if (urlPath === '/style.css') return path.join(VIEWER_DIR, 'style.css');
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const file = path.resolve(dir, `.${decodeURIComponent(urlPath.slice(prefix.length - 1))}`);
    return file.startsWith(dir + path.sep) ? file : null;
  }
  return null;
}

/**
 * The Content-Security-Policy the security issue asks for (own origin only), with
 * the one inline script of index.html, its import map, allowed by its hash. The
 * mock serves every response with it so the browser tests run the viewer under it.
 */
export function viewerCsp() {
  const html = fs.readFileSync(path.join(VIEWER_DIR, 'index.html'), 'utf8');
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  const hash = importMap ? ` 'sha256-${crypto.createHash('sha256').update(importMap[1]).digest('base64')}'` : '';
  return `default-src 'self'; script-src 'self'${hash}; worker-src 'self'; style-src 'self'; img-src 'self' data: blob:; `
    + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
}

function serveStatic(res, file) {
  fs.readFile(file, (error, data) => {
    if (error) return sendJson(res, 404, { detail: 'not found' });
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[path.extname(file)] || 'application/octet-stream' });
    return res.end(data);
  });
}

// ---- nav goldens and the reference A* -------------------------------------------

function loadNavGoldens() {
  const byHash = new Map();
  if (!fs.existsSync(NAV_FIXTURES)) return byHash;
  for (const name of fs.readdirSync(NAV_FIXTURES)) {
    if (!name.endsWith('.paths.json')) continue;
    const pathsFile = path.join(NAV_FIXTURES, name);
    const cases = JSON.parse(fs.readFileSync(pathsFile, 'utf8'));
    const hash = cases[0] && cases[0].request.world_hash;
    const graphFile = pathsFile.replace(/\.paths\.json$/, '.graph.json');
    if (hash && fs.existsSync(graphFile)) byHash.set(hash, { graphFile, cases, graph: null });
  }
  return byHash;
}

/** A binary min-heap of tuples compared element by element (like Python's heapq). */
class TupleHeap {
  constructor() { this.items = []; }
  get size() { return this.items.length; }
  static less(a, b) {
    for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] < b[i];
    return false;
  }
  push(item) {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!TupleHeap.less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }
  pop() {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && TupleHeap.less(items[l], items[smallest])) smallest = l;
        if (r < items.length && TupleHeap.less(items[r], items[smallest])) smallest = r;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top;
  }
}

export function indexGraph(graph) {
  const nodes = new Map();
  const columns = new Map();
  for (const node of graph.nodes) {
    const [z, y, x] = node.id;
    nodes.set(`${z},${y},${x}`, node);
    const column = columns.get(`${y},${x}`) || [];
    column.push(node);
    columns.set(`${y},${x}`, column);
  }
  for (const column of columns.values()) column.sort((a, b) => a.id[0] - b.id[0]);
  return { voxelSize: graph.voxel_size, nodes, columns };
}

function nearestNode(index, p) {
  const s = index.voxelSize;
  const ix = Math.floor(p[0] / s);
  const iy = Math.floor(p[1] / s);
  let best = null;
  let bestD = Infinity;
  for (let dy = -1; dy <= 1; dy += 1) {
    for (let dx = -1; dx <= 1; dx += 1) {
      for (const node of index.columns.get(`${iy + dy},${ix + dx}`) || []) {
        const [nx, ny, nz] = node.pos;
        let d = (nx - p[0]) ** 2 + (ny - p[1]) ** 2 + (nz - p[2]) ** 2;
        if (Math.abs(nz - p[2]) > 1.5 * s) d += 1000;
        if (d < bestD) {
          bestD = d;
          best = node;
        }
      }
    }
  }
  return best;
}

export function findPath(index, startPos, goalPos) {
  const start = nearestNode(index, startPos);
  const goal = nearestNode(index, goalPos);
  if (!start || !goal) return { found: false, error: 'Start or goal not on nav graph' };
  const key = (id) => `${id[0]},${id[1]},${id[2]}`;
  const s = index.voxelSize;
  const [gx, gy, gz] = goal.pos;
  const best = new Map([[key(start.id), 0]]);
  const parent = new Map();
  const heap = new TupleHeap();
  heap.push([0, ...start.id]);
  let visited = 0;
  let found = false;
  while (heap.size > 0) {
    if (visited === 5000) break;
    const [, z, y, x] = heap.pop();
    visited += 1;
    const currentKey = `${z},${y},${x}`;
    if (currentKey === key(goal.id)) {
      found = true;
      break;
    }
    const node = index.nodes.get(currentKey);
    const cost = best.get(currentKey);
    for (const neighbourId of node.edges) {
      const [nz, ny, nx] = neighbourId;
      let edgeCost = s * (ny !== y && nx !== x ? 1.414 : 1.0);
      if (nz - z > 0) edgeCost *= 1.2;
      const neighbourKey = key(neighbourId);
      const newCost = cost + edgeCost;
      if (!best.has(neighbourKey) || newCost < best.get(neighbourKey)) {
        best.set(neighbourKey, newCost);
        parent.set(neighbourKey, currentKey);
        const [px, py, pz] = index.nodes.get(neighbourKey).pos;
        const h = ((px - gx) ** 2 + (py - gy) ** 2 + (pz - gz) ** 2) ** 0.5;
        heap.push([newCost + h, nz, ny, nx]);
      }
    }
  }
  if (!found) return { found: false, path: [], node_ids: [], stats: { length: 0, cost: 0.0, visited } };
  const nodeKeys = [key(goal.id)];
  while (parent.has(nodeKeys[nodeKeys.length - 1])) nodeKeys.push(parent.get(nodeKeys[nodeKeys.length - 1]));
  nodeKeys.reverse();
  const pathNodes = nodeKeys.map((k) => index.nodes.get(k));
  return {
    found: true,
    path: pathNodes.map((n) => n.pos),
    node_ids: pathNodes.map((n) => n.id),
    stats: { length: pathNodes.length, cost: best.get(key(goal.id)), visited },
  };
}

// ---- the replay library (issue 14), in memory ------------------------------------------

const LIVE_QUIET_MS = 60000;
const REPLAY_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

class MockLibrary {
  constructor() {
    this.replays = new Map(); // replay_id -> entry, in the order they started
    this.sequence = 0;
  }

  /** Keeps a pushed chunk (idempotent by replay_id + chunk_index, like the real library). */
  store(chunk, world) {
    const id = String(chunk.replay_id);
    let entry = this.replays.get(id);
    if (!entry) {
      entry = { id, sequence: ++this.sequence, world, worldRef: chunk.world_ref, chunkCount: chunk.chunk_count,
        meta: {}, run: null, chunks: new Map(), startedAt: new Date().toISOString(), finishedAt: null, pinned: false };
      this.replays.set(id, entry);
    }
    if (chunk.chunk_index === 0) {
      entry.meta = chunk.meta || {};
      entry.run = chunk.run ?? (entry.meta.run !== undefined ? entry.meta.run : null);
    }
    if (!entry.chunks.has(chunk.chunk_index)) entry.chunks.set(chunk.chunk_index, chunk.frames);
    entry.updatedAt = Date.now();
    if (this.isComplete(entry) && !entry.finishedAt) entry.finishedAt = new Date().toISOString();
  }

  isComplete(entry) {
    return entry.chunks.size >= entry.chunkCount;
  }

  summary(entry) {
    let frames = 0;
    let bytes = 0;
    for (const chunkFrames of entry.chunks.values()) {
      frames += chunkFrames.length;
      bytes += JSON.stringify(chunkFrames).length;
    }
    const complete = this.isComplete(entry);
    return { replay_id: entry.id, world_ref: entry.worldRef, run: entry.run, meta: entry.meta, chunk_count: entry.chunkCount,
      chunks_stored: entry.chunks.size, frames, bytes, started_at: entry.startedAt, finished_at: entry.finishedAt,
      complete, pinned: entry.pinned, live: this.isLive(entry) };
  }

  /** Still being pushed: its last chunk has not come yet and the pusher was heard from lately. */
  isLive(entry) {
    return !this.isComplete(entry) && !entry.chunks.has(entry.chunkCount - 1) && Date.now() - entry.updatedAt < LIVE_QUIET_MS;
  }

  entryFor(id) {
    if (!REPLAY_ID_PATTERN.test(id)) throw new HttpError(400, `invalid replay id ${JSON.stringify(id)}`);
    const entry = this.replays.get(id);
    if (!entry) throw new HttpError(404, `replay ${id} not found`);
    return entry;
  }

  list(query) {
    const limit = query.has('limit') ? Number(query.get('limit')) : 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer 1..1000');
    const before = query.has('before') ? Number(query.get('before')) : Infinity;
    if (Number.isNaN(before)) throw new HttpError(400, 'before must be a cursor from "next"');
    const run = query.get('run');
    const runName = (value) => (value && typeof value === 'object' ? value.name ?? value.id : value);
    const matches = [...this.replays.values()].reverse()
      .filter((entry) => entry.sequence < before && (!run || String(runName(entry.run)) === run));
    const page = matches.slice(0, limit);
    const next = matches.length > limit ? String(page[page.length - 1].sequence) : null;
    return { replays: page.map((entry) => this.summary(entry)), next };
  }

  handle(req, res, url) {
    const parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
    if (req.method === 'GET' && url.pathname === '/replays') return sendJson(res, 200, this.list(url.searchParams));
    const entry = this.entryFor(parts[0] ?? '');
    if (req.method === 'GET' && parts.length === 1) {
      const indices = [...entry.chunks.keys()].sort((a, b) => a - b);
      const frames = indices.flatMap((index) => entry.chunks.get(index));
      const text = JSON.stringify({ world: entry.world, frames, meta: entry.meta, run: entry.run });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text),
        'Content-Disposition': `attachment; filename="${entry.id}.replay.json"` });
      return res.end(text);
    }
    if (req.method === 'GET' && parts.length === 3 && parts[1] === 'chunks') {
      const index = Number(parts[2]);
      if (!/^\d+$/.test(parts[2])) throw new HttpError(400, 'chunk index must be a number');
      if (!entry.chunks.has(index)) throw new HttpError(404, `chunk ${index} of replay ${entry.id} is not stored`);
      return sendJson(res, 200, entry.chunks.get(index));
    }
    if (parts.length === 2 && parts[1] === 'pin' && (req.method === 'POST' || req.method === 'DELETE')) {
      entry.pinned = req.method === 'POST';
      return sendJson(res, 200, this.summary(entry));
    }
    if (req.method === 'DELETE' && parts.length === 1) {
      this.replays.delete(entry.id);
      return sendJson(res, 200, { status: 'ok', replay_id: entry.id });
    }
    throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
  }
}

// ---- the view login (issue 15) ---------------------------------------------------------

const SESSION_COOKIE = 'echelon_session';
const SESSION_MAX_AGE_S = 7 * 24 * 3600;
const GUARDED_PREFIXES = ['/events', '/worlds/', '/nav/', '/replays'];

class MockSessions {
  constructor(viewToken) {
    this.viewToken = viewToken;
    this.sessions = new Set();
  }

  /** True for the read endpoints a view token protects (pushes have their own token). */
  guards(method, pathname) {
    if (!this.viewToken) return false;
    if (method === 'PUT' || method === 'HEAD') return false;
    return GUARDED_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(prefix));
  }

  allows(req) {
    if ((req.headers.authorization || '') === `Bearer ${this.viewToken}`) return true;
    return this.sessions.has(this.cookieOf(req));
  }

  cookieOf(req) {
    for (const part of (req.headers.cookie || '').split(';')) {
      const [name, value] = part.trim().split('=');
      if (name === SESSION_COOKIE) return value;
    }
    return null;
  }

  async handle(req, res) {
    if (req.method === 'GET') {
      return sendJson(res, 200, { required: Boolean(this.viewToken), authenticated: !this.viewToken || this.allows(req) });
    }
    if (req.method === 'DELETE') {
      this.sessions.delete(this.cookieOf(req));
      res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`);
      return sendJson(res, 200, { status: 'ok' });
    }
    if (req.method !== 'POST') throw new HttpError(405, 'use POST, GET or DELETE');
    const { value } = await readJson(req, ['token']);
    if (!this.viewToken) return sendJson(res, 200, { status: 'ok', required: false });
    if (value.token !== this.viewToken) throw new HttpError(401, 'wrong token');
    const id = crypto.randomUUID();
    this.sessions.add(id);
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${SESSION_MAX_AGE_S}; HttpOnly; SameSite=Strict`);
    return sendJson(res, 200, { status: 'ok', expires_in_s: SESSION_MAX_AGE_S });
  }
}

// ---- the server ------------------------------------------------------------------

export function createMockServer({ keepaliveMs = 15000, viewToken = '' } = {}) {
  const startedAt = Date.now();
  const library = new MockLibrary();
  const sessions = new MockSessions(viewToken);
  const worlds = new Map();        // hash -> {text, value}
  const navGoldens = loadNavGoldens();
  const clients = new Set();       // {res, withWorld}
  const retained = [];             // recent events, for Last-Event-ID resume and late joiners
  let lastEventId = 0;

  function formatEvent(event, withWorld) {
    return `id: ${event.id}\nevent: ${event.type}\ndata: ${withWorld ? event.data : event.dataWithoutWorld}\n\n`;
  }

  function broadcast(type, payload, worldValue) {
    const data = JSON.stringify(payload);
    const event = { id: ++lastEventId, type, data, dataWithoutWorld: data };
    if (worldValue) event.data = JSON.stringify({ ...payload, world: worldValue });
    retained.push(event);
    if (retained.length > RETAINED_EVENTS) retained.shift();
    for (const client of clients) client.res.write(formatEvent(event, client.withWorld));
    return clients.size;
  }

  /** Events a (re)connecting client missed: after its last id, else from the latest replay_start. */
  function backlogFor(lastSeenId) {
    if (lastSeenId !== null && retained.length > 0 && lastSeenId >= retained[0].id - 1 && lastSeenId <= lastEventId) {
      return retained.filter((event) => event.id > lastSeenId);
    }
    let start = -1;
    for (let i = retained.length - 1; i >= 0; i -= 1) {
      if (retained[i].type === 'replay_start') {
        start = i;
        break;
      }
    }
    return start < 0 ? [] : retained.slice(start);
  }

  function openEventStream(req, res, query) {
    const headerId = req.headers['last-event-id'];
    const queryId = query.get('last_event_id');
    const lastSeen = headerId ?? queryId;
    const lastSeenId = lastSeen !== null && lastSeen !== undefined && /^\d+$/.test(lastSeen) ? Number(lastSeen) : null;
    const client = { res, withWorld: query.get('world') !== '0' };
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    for (const event of backlogFor(lastSeenId)) res.write(formatEvent(event, client.withWorld));
    clients.add(client);
    req.on('close', () => clients.delete(client));
  }

  async function handlePush(req, res) {
    const { value: chunk } = await readJson(req, ['replay_id', 'world_ref', 'chunk_index', 'chunk_count', 'frames']);
    if (!Number.isInteger(chunk.chunk_index) || !Number.isInteger(chunk.chunk_count) || !Array.isArray(chunk.frames)) {
      throw new HttpError(422, 'chunk_index/chunk_count must be integers and frames a list');
    }
    const world = worlds.get(chunk.world_ref);
    if (!world) throw new HttpError(400, `world ${chunk.world_ref} is not stored; PUT /worlds/{hash} first`);
    library.store(chunk, world.value);
    let notified = 0;
    if (chunk.chunk_index === 0) {
      notified = broadcast('replay_start', {
        replay_id: chunk.replay_id, world_ref: chunk.world_ref, chunk_count: chunk.chunk_count, meta: chunk.meta || {},
      }, world.value);
    }
    notified = broadcast('replay_chunk', { replay_id: chunk.replay_id, chunk_index: chunk.chunk_index, frames: chunk.frames });
    if (chunk.chunk_index === chunk.chunk_count - 1) broadcast('replay_end', { replay_id: chunk.replay_id });
    sendJson(res, 200, { status: 'ok', replay_id: chunk.replay_id, chunk_index: chunk.chunk_index, clients_notified: notified });
  }

  async function handleWorld(req, res, hash) {
    if (req.method === 'PUT') {
      const { value, text } = await readJson(req, ['size', 'walls']);
      worlds.set(hash, { value, text });
      return sendJson(res, 200, { status: 'ok', world_hash: hash });
    }
    const world = worlds.get(hash);
    if (req.method === 'HEAD') {
      res.writeHead(world ? 200 : 404);
      return res.end();
    }
    if (!world) throw new HttpError(404, `world ${hash} not found`);
    return sendJson(res, 200, world.text);
  }

  function navGoldenFor(hash) {
    if (!worlds.has(hash)) throw new HttpError(404, `world ${hash} not found`);
    const golden = navGoldens.get(hash);
    if (!golden) throw new HttpError(404, `mock server has no nav golden for world ${hash}`);
    return golden;
  }

  async function handleNavGraph(req, res) {
    const { value } = await readJson(req, ['world_hash']);
    const golden = navGoldenFor(value.world_hash);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    fs.createReadStream(golden.graphFile).pipe(res);
  }

  async function handleNavPath(req, res) {
    const { value } = await readJson(req, ['world_hash', 'start_pos', 'goal_pos']);
    const golden = navGoldenFor(value.world_hash);
    const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
    const known = golden.cases.find(({ request }) => same(request.start_pos, value.start_pos) && same(request.goal_pos, value.goal_pos));
    if (known) return sendJson(res, 200, known.response);
    golden.graph ??= indexGraph(JSON.parse(fs.readFileSync(golden.graphFile, 'utf8')));
    return sendJson(res, 200, findPath(golden.graph, value.start_pos, value.goal_pos));
  }

  async function route(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const { pathname } = url;
    if (req.method === 'GET' && pathname === '/health') {
      return sendJson(res, 200, { status: 'ok', clients: clients.size, uptime_s: (Date.now() - startedAt) / 1000, mock: true });
    }
    if (pathname === '/session') return sessions.handle(req, res);
    if (sessions.guards(req.method, pathname) && !sessions.allows(req)) {
      throw new HttpError(401, 'a view token is required: POST /session {"token"} or send Authorization: Bearer');
    }
    if (req.method === 'GET' && pathname === '/events') return openEventStream(req, res, url.searchParams);
    if (pathname === '/replays' || pathname.startsWith('/replays/')) return library.handle(req, res, url);
    if (req.method === 'POST' && pathname === '/push') return handlePush(req, res);
    if (req.method === 'POST' && pathname === '/nav/graph') return handleNavGraph(req, res);
    if (req.method === 'POST' && pathname === '/nav/path') return handleNavPath(req, res);
    const worldMatch = /^\/worlds\/([0-9a-zA-Z_-]+)$/.exec(pathname);
    if (worldMatch && ['GET', 'HEAD', 'PUT'].includes(req.method)) return handleWorld(req, res, worldMatch[1]);
    const file = req.method === 'GET' ? staticFileFor(pathname) : null;
    if (file) return serveStatic(res, file);
    throw new HttpError(404, `no route for ${req.method} ${pathname}`);
  }

  const csp = viewerCsp();
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    route(req, res).catch((error) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (!res.headersSent) sendJson(res, status, { detail: error.message });
      else res.destroy();
    });
  });
  const keepalive = setInterval(() => {
    for (const client of clients) client.res.write(`: keepalive ${Math.floor(Date.now() / 1000)}\n\n`);
  }, keepaliveMs);
  server.on('close', () => clearInterval(keepalive));
  server.closeAllStreams = () => {
    for (const client of clients) client.res.destroy();
    clients.clear();
  };
  return server;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseArgs(process.argv);
  const server = createMockServer(options);
  server.listen(options.port, options.host, () => {
    console.log(`mock replay server listening on http://${options.host}:${server.address().port}`);
  });
  const shutdown = () => {
    server.closeAllStreams();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
