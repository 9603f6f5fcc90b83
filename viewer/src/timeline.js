// The scrub bar's extras: markers (markers.js) drawn over the slider in team
// colours, a tooltip saying what happened, the legend that turns marker types
// on and off, the part of a live replay received so far, and previous/next
// marker jumps. Marker elements are rebuilt only when the markers, the shown
// types or the bar's time range change, and markers on the same pixel column
// of the same type share one element (so a long replay stays a few hundred nodes).

import { MarkerKind } from './markers.js';
import { formatClock } from './format.js';

const ALWAYS_ON = new Set(['death', 'capture', 'result']);
const RARE_EVENTS_PER_FRAME = 0.1; // event types this rare are shown until the user says otherwise
const MARKER_BUCKETS = 400;

export function cssTeamColor(team, teamColor) {
  if (!team) return '#c9d1d9';
  return `#${teamColor(team).toString(16).padStart(6, '0')}`;
}

export class Timeline {
  /**
   * @param {Document} doc
   * @param {object} options  index (MarkerIndex), teamColor(team) -> hex number, seek(t)
   */
  constructor(doc, { index, teamColor, seek }) {
    this.doc = doc;
    this.index = index;
    this.teamColor = teamColor;
    this.seek = seek;
    this.layer = doc.getElementById('markers');
    this.buffered = doc.getElementById('scrub-buffered');
    this.tip = doc.getElementById('marker-tip');
    this.legend = doc.getElementById('marker-legend');
    this.choices = new Map(); // type -> shown, as the user set it
    this.drawnKey = '';
    this.legendKey = '';
    this.layer.addEventListener('pointerover', (event) => this.showTip(event.target));
    this.layer.addEventListener('pointerout', () => { this.tip.hidden = true; });
    this.layer.addEventListener('click', (event) => {
      const t = Number(event.target.dataset && event.target.dataset.t);
      if (Number.isFinite(t)) this.seek(t);
    });
    this.legend.addEventListener('change', (event) => {
      const type = event.target.dataset && event.target.dataset.type;
      if (!type) return;
      this.choices.set(type, event.target.checked);
      this.drawnKey = '';
    });
  }

  /** A new replay: the user's choices of types stay, the drawing goes. */
  reset() {
    this.drawnKey = '';
    this.legendKey = '';
    this.tip.hidden = true;
  }

  isShown(type) {
    if (this.choices.has(type)) return this.choices.get(type);
    if (ALWAYS_ON.has(type)) return true;
    const count = this.index.typeCounts.get(type) || 0;
    return count <= Math.max(3, this.index.framesScanned * RARE_EVENTS_PER_FRAME);
  }

  shownMarkers() {
    return this.index.markers((marker) => this.isShown(marker.type));
  }

  /** The nearest shown marker after (forward) or before `time`, or null. */
  neighbour(time, forward) {
    const epsilon = 1e-3;
    let best = null;
    for (const marker of this.shownMarkers()) {
      if (forward ? marker.t > time + epsilon && (!best || marker.t < best.t)
        : marker.t < time - epsilon && (!best || marker.t > best.t)) best = marker;
    }
    return best;
  }

  /** Redraws when something it shows changed; cheap otherwise. */
  update(start, end, receivedEnd) {
    const span = end - start;
    const bufferedPercent = span > 0 ? Math.min(100, Math.max(0, (100 * (receivedEnd - start)) / span)) : 0;
    const width = `${bufferedPercent.toFixed(2)}%`;
    if (this.buffered.style.width !== width) this.buffered.style.width = width;
    const key = `${this.index.version}|${start}|${end}|${[...this.choices].join()}`;
    if (key !== this.drawnKey) {
      this.drawnKey = key;
      this.drawMarkers(start, span);
    }
    this.updateLegend();
  }

  drawMarkers(start, span) {
    const groups = new Map(); // bucket|type|team -> {t, team, texts}
    for (const marker of this.shownMarkers()) {
      const fraction = span > 0 ? (marker.t - start) / span : 0;
      const bucket = Math.round(Math.min(1, Math.max(0, fraction)) * MARKER_BUCKETS);
      const key = `${bucket}|${marker.type}|${marker.team}`;
      const group = groups.get(key);
      if (group) group.texts.push(`${formatClock(marker.t)} ${marker.text}`);
      else groups.set(key, { marker, fraction, texts: [`${formatClock(marker.t)} ${marker.text}`] });
    }
    const elements = [];
    for (const { marker, fraction, texts } of groups.values()) {
      const element = this.doc.createElement('div');
      element.className = `marker marker-${marker.kind}`;
      element.dataset.t = String(marker.t);
      element.dataset.type = marker.type;
      element.style.left = `${(fraction * 100).toFixed(3)}%`;
      element.style.setProperty('--marker-color', cssTeamColor(marker.team, this.teamColor));
      const shown = texts.length > 3 ? [...texts.slice(0, 3), `… ${texts.length - 3} more`] : texts;
      element.dataset.text = shown.join('\n');
      element.setAttribute('aria-label', shown.join('; '));
      elements.push(element);
    }
    this.layer.replaceChildren(...elements);
    this.tip.hidden = true;
  }

  showTip(element) {
    if (!element.dataset || !element.dataset.text) return;
    this.tip.textContent = element.dataset.text;
    this.tip.hidden = false;
    const layerRect = this.layer.getBoundingClientRect();
    const rect = element.getBoundingClientRect();
    const left = Math.min(Math.max(0, rect.left - layerRect.left), Math.max(0, layerRect.width - 220));
    this.tip.style.left = `${left}px`;
  }

  updateLegend() {
    const types = this.index.types();
    const key = `${types.map(([type, count]) => `${type}:${count}:${this.isShown(type)}`).join()}`;
    if (key === this.legendKey) return;
    this.legendKey = key;
    const rows = types.map(([type, count]) => {
      const label = this.doc.createElement('label');
      const box = this.doc.createElement('input');
      box.type = 'checkbox';
      box.dataset.type = type;
      box.checked = this.isShown(type);
      label.append(box, ` ${type.replace(/_/g, ' ')} (${count})`);
      return label;
    });
    this.legend.replaceChildren(...rows);
  }
}

export { MarkerKind };
