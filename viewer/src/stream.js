// The server-sent event stream (GET /events) with our own reconnect policy.
//
// EventSource retries by itself, but with the browser's fixed delay and without
// telling us when it gave up, so on any error we close it and open a new one after
// a backoff of 1 s doubling to 10 s, reset once a connection opens. A new
// EventSource does not resend Last-Event-ID, so the last id we saw travels in the
// `last_event_id` query parameter instead. `world=0` asks the server to leave the
// (0.5 MB) world out of replay_start: the viewer fetches it once per hash itself.

export const ConnectionState = Object.freeze({
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
  RECONNECTING: 'reconnecting',
  DISCONNECTED: 'disconnected',
});

const EVENT_TYPES = ['replay_start', 'replay_chunk', 'replay_end', 'world'];

export class EventStream {
  /**
   * @param {object} options
   * @param {(type: string, data: object) => void} options.onEvent
   * @param {() => void} options.onStateChange  read `state`, `retryAt` after the call
   */
  constructor({ path = '/events', onEvent, onStateChange, minDelayMs = 1000, maxDelayMs = 10000 }) {
    this.path = path;
    this.onEvent = onEvent;
    this.onStateChange = onStateChange;
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;

    this.state = ConnectionState.DISCONNECTED;
    this.lastEventId = null;
    this.nextDelayMs = minDelayMs;
    this.retryAt = 0;            // performance.now() of the next attempt while reconnecting
    this.connectionCount = 0;    // successful opens, for tests and diagnostics
    this.malformedEvents = 0;
    this.eventSource = null;
    this.retryTimer = 0;

    this.handleMessage = this.handleMessage.bind(this);
  }

  start() {
    if (this.eventSource || this.retryTimer) return;
    this.connect();
  }

  stop() {
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.closeEventSource();
    this.setState(ConnectionState.DISCONNECTED);
  }

  /** The URL of the next connection attempt. */
  buildUrl() {
    const params = new URLSearchParams({ world: '0' });
    if (this.lastEventId !== null) params.set('last_event_id', this.lastEventId);
    return `${this.path}?${params}`;
  }

  connect() {
    this.retryTimer = 0;
    this.setState(ConnectionState.CONNECTING);
    const source = new EventSource(this.buildUrl());
    this.eventSource = source;
    source.onopen = () => {
      if (this.eventSource !== source) return;
      this.nextDelayMs = this.minDelayMs;
      this.connectionCount += 1;
      this.setState(ConnectionState.CONNECTED);
    };
    source.onerror = () => {
      if (this.eventSource !== source) return;
      this.closeEventSource();
      this.scheduleReconnect();
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, this.handleMessage);
  }

  scheduleReconnect() {
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(delay * 2, this.maxDelayMs);
    this.retryAt = performance.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState(ConnectionState.RECONNECTING);
  }

  closeEventSource() {
    const source = this.eventSource;
    if (!source) return;
    this.eventSource = null;
    source.onopen = null;
    source.onerror = null;
    for (const type of EVENT_TYPES) source.removeEventListener(type, this.handleMessage);
    source.close();
  }

  handleMessage(message) {
    if (message.lastEventId) this.lastEventId = message.lastEventId;
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      this.malformedEvents += 1;
      console.warn(`ignoring ${message.type} event whose data is not JSON`);
      return;
    }
    this.onEvent(message.type, data);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange();
  }

  /** Whole seconds until the next attempt (for "reconnecting in N s"). */
  secondsUntilRetry(now = performance.now()) {
    return Math.max(0, Math.ceil((this.retryAt - now) / 1000));
  }
}
