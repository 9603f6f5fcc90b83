// The one /events connection of a browser, shared by all its viewer tabs.
// Runs in a worker (a SharedWorker, or one dedicated Worker per tab where
// SharedWorker is missing), so the stream's JSON is parsed off the tabs' main
// threads and a browser holds one HTTP connection however many tabs it has
// (browsers allow 6 per host).
//
// Reconnects with a backoff of 1 s doubling to 10 s, reset once a connection
// opens; resumes with `last_event_id` (the id of the last event seen). A 401 is
// not retried: the tabs show a login and send `retry` after it. For late-joining
// tabs it keeps the events of the two newest replays (bounded like the page's own
// ReplayStore) and hands them over when a tab connects. Tabs also ask it for
// library chunks, so every chunk is parsed here (chunk_format.js).
//
// Messages to tabs: {kind:'state', ...}, {kind:'events', events:[{id,type,data}]},
// {kind:'chunk', requestId, frames}, {kind:'chunkError', requestId, status, message}.
// Messages from tabs: {op:'retry'}, {op:'fetchChunk', requestId, url}, {op:'close'}.

import { readEventStream, StreamHttpError } from './sse_reader.js';
import { parseChunkBody } from './chunk_format.js';

const EVENTS_PATH = '/events';
const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 10000;
const KEPT_REPLAYS = 2;
const KEPT_ATTEMPTS = 16;

export class StreamHub {
  constructor() {
    this.ports = new Set();
    this.state = 'disconnected';
    this.detail = '';
    this.lastEventId = null;
    this.nextDelayMs = MIN_DELAY_MS;
    this.retryAt = 0;            // Date.now() of the next attempt while reconnecting
    this.retryTimer = 0;
    this.connectionCount = 0;
    this.malformedEvents = 0;
    this.attemptTimes = [];      // Date.now() of recent connection attempts, for tests and diagnostics
    this.url = this.buildUrl();
    this.abort = null;
    this.kept = new Map();       // replay_id -> events of that replay, oldest replay first
  }

  addPort(port) {
    this.ports.add(port);
    port.onmessage = (message) => this.handleRequest(port, message.data);
    this.broadcast(this.stateMessage()); // every tab learns the new tab count
    const backlog = [];
    for (const events of this.kept.values()) backlog.push(...events);
    if (backlog.length > 0) port.postMessage({ kind: 'events', events: backlog });
    if (this.state === 'disconnected') this.connect();
  }

  handleRequest(port, request) {
    if (!request || typeof request !== 'object') return;
    if (request.op === 'retry') this.retryNow();
    else if (request.op === 'fetchChunk') this.fetchChunk(port, request.requestId, request.url);
    else if (request.op === 'close') {
      this.ports.delete(port);
      this.broadcast(this.stateMessage());
    }
  }

  buildUrl() {
    const params = new URLSearchParams({ world: '0' });
    if (this.lastEventId !== null) params.set('last_event_id', this.lastEventId);
    return `${EVENTS_PATH}?${params}`;
  }

  /** Connects now, cancelling a pending backoff (after a login, or "retry now"). */
  retryNow() {
    if (this.state === 'connected' || this.state === 'connecting') return;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.nextDelayMs = MIN_DELAY_MS;
    this.connect();
  }

  connect() {
    this.retryTimer = 0;
    this.url = this.buildUrl();
    this.attemptTimes.push(Date.now());
    if (this.attemptTimes.length > KEPT_ATTEMPTS) this.attemptTimes.shift();
    this.setState('connecting', '');
    const abort = new AbortController();
    this.abort = abort;
    readEventStream(this.url, {
      signal: abort.signal,
      onOpen: () => {
        this.nextDelayMs = MIN_DELAY_MS;
        this.connectionCount += 1;
        this.setState('connected', '');
      },
      onMessage: (message) => this.handleMessage(message),
    }).then(() => this.connectionEnded(abort, null), (error) => this.connectionEnded(abort, error));
  }

  connectionEnded(abort, error) {
    if (this.abort !== abort) return;
    this.abort = null;
    if (error instanceof StreamHttpError && error.status === 401) {
      this.setState('unauthorized', error.detail);
      return;
    }
    this.scheduleReconnect(error ? error.message : 'the server closed the stream');
  }

  scheduleReconnect(reason) {
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(delay * 2, MAX_DELAY_MS);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState('reconnecting', reason);
  }

  handleMessage({ id, type, data }) {
    if (id) this.lastEventId = id;
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.malformedEvents += 1;
      return;
    }
    const event = { id, type, data: parsed };
    this.keep(event);
    this.broadcast({ kind: 'events', events: [event] });
  }

  /** Remembers the events of the newest replays for tabs that open later. */
  keep(event) {
    const replayId = event.data && event.data.replay_id !== undefined ? String(event.data.replay_id) : null;
    if (replayId === null) return;
    if (event.type === 'replay_start') {
      this.kept.delete(replayId);
      this.kept.set(replayId, [event]);
      while (this.kept.size > KEPT_REPLAYS) this.kept.delete(this.kept.keys().next().value);
      return;
    }
    const events = this.kept.get(replayId);
    if (events) events.push(event);
  }

  async fetchChunk(port, requestId, url) {
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      const text = await response.text();
      if (!response.ok) {
        let detail = response.statusText;
        try { detail = JSON.parse(text).detail || detail; } catch { /* keep the status text */ }
        port.postMessage({ kind: 'chunkError', requestId, status: response.status, message: `${response.status} ${detail}` });
        return;
      }
      port.postMessage({ kind: 'chunk', requestId, frames: parseChunkBody(text) });
    } catch (error) {
      port.postMessage({ kind: 'chunkError', requestId, status: 0, message: error.message });
    }
  }

  setState(state, detail) {
    this.state = state;
    this.detail = detail;
    this.broadcast(this.stateMessage());
  }

  stateMessage() {
    return {
      kind: 'state', state: this.state, detail: this.detail, retryAt: this.retryAt, nextDelayMs: this.nextDelayMs,
      connectionCount: this.connectionCount, lastEventId: this.lastEventId, url: this.url,
      attemptTimes: this.attemptTimes.slice(), malformedEvents: this.malformedEvents, tabs: this.ports.size,
    };
  }

  broadcast(message) {
    for (const port of this.ports) port.postMessage(message);
  }
}
