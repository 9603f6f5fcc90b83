// Server-sent events over fetch(): unlike EventSource, fetch shows the HTTP
// status (a 401 asks for a login), can send Last-Event-ID as a header, and runs
// in a worker. parseSseLines() follows the event-stream format of the HTML
// standard (fields `id`, `event`, `data`; comment lines start with ':').
// Owned by the stream worker; nothing here touches the DOM.

/** Feeds text pieces of an event stream; calls onMessage({id, type, data}) for each complete event. */
export class SseParser {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.buffer = '';
    this.resetEvent();
  }

  resetEvent() {
    this.eventType = '';
    this.dataLines = [];
    this.eventId = null;
  }

  push(text) {
    this.buffer += text;
    let start = 0;
    for (;;) {
      const end = this.buffer.indexOf('\n', start);
      if (end < 0) break;
      let line = this.buffer.slice(start, end);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.handleLine(line);
      start = end + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  handleLine(line) {
    if (line === '') {
      if (this.dataLines.length > 0) {
        this.onMessage({ id: this.eventId, type: this.eventType || 'message', data: this.dataLines.join('\n') });
      }
      this.resetEvent();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.dataLines.push(value);
    else if (field === 'id' && !value.includes('\0')) this.eventId = value;
  }
}

/** An HTTP status that is not 200: `status` is kept so callers can tell 401 from an outage. */
export class StreamHttpError extends Error {
  constructor(status, detail) {
    super(`${status} ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

/**
 * Opens `url` and feeds its body to `onMessage` until it ends or `signal` aborts.
 * Calls onOpen() once the server answered 200. Rejects with StreamHttpError on
 * another status, resolves when the server closed the stream.
 */
export async function readEventStream(url, { headers, signal, onOpen, onMessage }) {
  const response = await fetch(url, { headers, signal, credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      if (body && typeof body.detail === 'string') detail = body.detail;
    } catch { /* not JSON: keep the status text */ }
    throw new StreamHttpError(response.status, detail);
  }
  onOpen();
  const parser = new SseParser(onMessage);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    parser.push(value);
  }
}
