// The replay picker: the live replay (the one the stream announced last) and
// the library (GET /replays, newest first, "more" follows the `next` cursor),
// with run, training progress from `meta`, length and state; a run filter.
// Choosing an entry calls onChoose(entry) or onChooseLive(); the picker itself
// never changes what is on screen.

import { fetchReplayList } from './api.js';
import { formatBytes, progressLabel, runName } from './format.js';

const PAGE_SIZE = 50;

function stateOf(entry) {
  if (entry.live) return 'live';
  return entry.complete ? 'complete' : 'partial';
}

export class ReplayPicker {
  /**
   * @param {Document} doc
   * @param {object} options  onChoose(entry), onChooseLive(), liveReplay() -> Replay|null,
   *   shownReplayId() -> string|null, onUnauthorized()
   */
  constructor(doc, options) {
    this.doc = doc;
    this.options = options;
    this.panel = doc.getElementById('picker');
    this.list = doc.getElementById('picker-list');
    this.status = doc.getElementById('picker-status');
    this.runFilter = doc.getElementById('picker-run');
    this.runOptions = doc.getElementById('picker-runs');
    this.more = doc.getElementById('picker-more');
    this.entries = [];
    this.next = null;
    this.request = 0;
    this.knownRuns = new Set();
    doc.getElementById('open-picker').addEventListener('click', () => this.toggle());
    doc.getElementById('picker-close').addEventListener('click', () => this.close());
    doc.getElementById('picker-refresh').addEventListener('click', () => this.refresh());
    this.more.addEventListener('click', () => this.loadPage(false));
    let debounce = 0;
    this.runFilter.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => this.refresh(), 250);
    });
    this.list.addEventListener('click', (event) => {
      const row = event.target.closest('[data-replay-id]');
      if (!row) return;
      if (row.dataset.live === 'stream') this.options.onChooseLive();
      else this.options.onChoose(this.entries.find((entry) => entry.replay_id === row.dataset.replayId));
      this.close();
    });
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  toggle() {
    if (this.isOpen) this.close();
    else this.open();
  }

  open() {
    this.panel.hidden = false;
    this.refresh();
  }

  close() {
    this.panel.hidden = true;
  }

  refresh() {
    this.entries = [];
    this.next = null;
    this.loadPage(true);
  }

  async loadPage(first) {
    const request = ++this.request;
    this.status.textContent = 'Loading…';
    try {
      const page = await fetchReplayList({ run: this.runFilter.value.trim(), limit: PAGE_SIZE, before: first ? '' : this.next });
      if (request !== this.request) return;
      const replays = Array.isArray(page && page.replays) ? page.replays : [];
      this.entries.push(...replays);
      this.next = page.next || null;
      for (const entry of replays) if (runName(entry.run)) this.knownRuns.add(runName(entry.run));
      this.status.textContent = this.entries.length === 0 ? 'The library has no replay yet.' : '';
    } catch (error) {
      if (request !== this.request) return;
      if (/^401/.test(error.message)) this.options.onUnauthorized();
      this.status.textContent = `Library unavailable: ${error.message}`;
    }
    this.render();
  }

  render() {
    const rows = [];
    const live = this.options.liveReplay();
    const shown = this.options.shownReplayId();
    if (live) rows.push(this.row({ id: live.id, live: 'stream', title: 'Live: follow the newest replay',
      detail: `${live.id}${runName(live.meta.run) ? ` · run ${runName(live.meta.run)}` : ''}`, state: live.complete ? 'complete' : 'live' }));
    for (const entry of this.entries) {
      const run = runName(entry.run) || runName(entry.meta && entry.meta.run);
      const progress = progressLabel(entry.meta);
      const title = [run ? `run ${run}` : 'no run', progress].filter(Boolean).join(' · ');
      const length = `${entry.frames} frames · ${entry.chunks_stored}/${entry.chunk_count} chunks · ${formatBytes(entry.bytes)}`;
      const when = entry.started_at ? new Date(entry.started_at).toLocaleString() : '';
      rows.push(this.row({ id: entry.replay_id, live: '', title, detail: `${entry.replay_id} · ${length}${when ? ` · ${when}` : ''}`,
        state: stateOf(entry), current: entry.replay_id === shown }));
    }
    this.list.replaceChildren(...rows);
    this.more.hidden = !this.next;
    const runs = [...this.knownRuns].sort().map((run) => {
      const option = this.doc.createElement('option');
      option.value = run;
      return option;
    });
    this.runOptions.replaceChildren(...runs);
  }

  row({ id, live, title, detail, state, current }) {
    const row = this.doc.createElement('button');
    row.type = 'button';
    row.className = `picker-row${current ? ' current' : ''}`;
    row.dataset.replayId = id;
    row.dataset.live = live;
    const badge = this.doc.createElement('span');
    badge.className = `badge badge-${state}`;
    badge.textContent = state;
    const text = this.doc.createElement('span');
    text.className = 'picker-text';
    const strong = this.doc.createElement('strong');
    strong.textContent = title;
    const small = this.doc.createElement('small');
    small.textContent = detail;
    text.append(strong, small);
    row.append(badge, text);
    return row;
  }
}
