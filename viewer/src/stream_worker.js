// Entry point of the stream worker (see stream_hub.js). As a SharedWorker every
// tab of the browser connects a port to the one hub; as a dedicated Worker (the
// fallback where SharedWorker is missing) the worker itself is the only port.

import { StreamHub } from './stream_hub.js';

const hub = new StreamHub();
if (typeof SharedWorkerGlobalScope !== 'undefined' && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = (event) => hub.addPort(event.ports[0]);
} else {
  hub.addPort(self);
}
