// The tab's side of the event stream. The connection itself lives in a worker
// (stream_hub.js): a SharedWorker when the browser has one, so all viewer tabs
// of a browser share one /events connection, else a dedicated Worker per tab.
// This class mirrors the worker's connection state for the UI and tests, hands
// its events to `onEvent` and fetches library chunks through it (parsed there).

export const ConnectionState = Object.freeze({
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
  RECONNECTING: 'reconnecting',
  UNAUTHORIZED: 'unauthorized',
  DISCONNECTED: 'disconnected',
});

const WORKER_URL = new URL('./stream_worker.js', import.meta.url);

export class EventStream {
  /**
   * @param {object} options
   * @param {(type: string, data: object) => void} options.onEvent
   * @param {() => void} options.onStateChange  read `state`, `retryAt` after the call
   */
  constructor({ onEvent, onStateChange }) {
    this.onEvent = onEvent;
    this.onStateChange = onStateChange;
    this.state = ConnectionState.DISCONNECTED;
    this.detail = '';
    this.lastEventId = null;
    this.nextDelayMs = 1000;
    this.retryAt = 0;
    this.connectionCount = 0;
    this.attemptTimes = [];
    this.url = '';
    this.tabs = 0;
    this.shared = false;
    this.port = null;
    this.worker = null;
    this.nextRequestId = 1;
    this.pending = new Map(); // requestId -> {resolve, reject}
  }

  start() {
    if (this.port) return;
    if (typeof SharedWorker === 'function') {
      this.worker = new SharedWorker(WORKER_URL, { type: 'module', name: 'echelon-events' });
      this.port = this.worker.port;
      this.shared = true;
    } else {
      this.worker = new Worker(WORKER_URL, { type: 'module', name: 'echelon-events' });
      this.port = this.worker;
    }
    this.port.onmessage = (message) => this.handleWorkerMessage(message.data);
    this.setLocalState(ConnectionState.CONNECTING);
  }

  /** Leaves the shared connection (page teardown); a dedicated worker is ended. */
  stop() {
    if (!this.port) return;
    this.port.postMessage({ op: 'close' });
    if (this.shared) this.port.close();
    else this.worker.terminate();
    this.port = null;
    this.worker = null;
    for (const { reject } of this.pending.values()) reject(new Error('stream stopped'));
    this.pending.clear();
    this.setLocalState(ConnectionState.DISCONNECTED);
  }

  /** Connects now instead of waiting for the backoff (also after a login). */
  retryNow() {
    if (this.port) this.port.postMessage({ op: 'retry' });
  }

  /** GET `url` (a library chunk) in the worker; resolves to the chunk's frames. */
  fetchChunk(url) {
    const requestId = this.nextRequestId;
    this.nextRequestId += 1;
    return new Promise((resolve, reject) => {
      if (!this.port) {
        reject(new Error('stream stopped'));
        return;
      }
      this.pending.set(requestId, { resolve, reject });
      this.port.postMessage({ op: 'fetchChunk', requestId, url });
    });
  }

  handleWorkerMessage(message) {
    if (!message) return;
    if (message.kind === 'events') {
      for (const event of message.events) {
        if (event.id) this.lastEventId = event.id;
        this.onEvent(event.type, event.data);
      }
    } else if (message.kind === 'state') {
      Object.assign(this, {
        detail: message.detail, lastEventId: message.lastEventId ?? this.lastEventId, nextDelayMs: message.nextDelayMs,
        retryAt: message.retryAt, connectionCount: message.connectionCount, attemptTimes: message.attemptTimes,
        url: message.url, tabs: message.tabs,
      });
      this.setLocalState(message.state);
    } else if (message.kind === 'chunk' || message.kind === 'chunkError') {
      const request = this.pending.get(message.requestId);
      if (!request) return;
      this.pending.delete(message.requestId);
      if (message.kind === 'chunk') request.resolve(message.frames);
      else request.reject(Object.assign(new Error(message.message), { status: message.status }));
    }
  }

  setLocalState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange();
  }

  /** The URL of the latest connection attempt. */
  buildUrl() {
    return this.url;
  }

  /** Whole seconds until the next attempt (for "reconnecting in N s"). */
  secondsUntilRetry(now = Date.now()) {
    return Math.max(0, Math.ceil((this.retryAt - now) / 1000));
  }
}
