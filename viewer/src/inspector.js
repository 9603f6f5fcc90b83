// The mech inspection panel: every field of the selected mech in the current
// frame, refreshed whenever playback moves to another frame. Unknown fields are
// shown too (the frame format lets the simulation add keys). Table rows are
// created once per field name and reused; cells are written only when they change.

import { teamColor } from './mech_layer.js';

function formatNumber(value) {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(2);
}

export function formatField(value) {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value) && value.every((item) => typeof item === 'number')) {
    return `[${value.map(formatNumber).join(', ')}]`;
  }
  if (value === null || value === undefined) return '–';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export class Inspector {
  /** @param {Document} doc  @param {() => void} onClose */
  constructor(doc, onClose) {
    this.doc = doc;
    this.panel = doc.getElementById('inspector');
    this.title = doc.getElementById('inspector-title');
    this.swatch = doc.getElementById('inspector-swatch');
    this.health = doc.getElementById('inspector-health');
    this.absent = doc.getElementById('inspector-absent');
    this.body = doc.getElementById('inspector-fields');
    doc.getElementById('inspector-close').addEventListener('click', onClose);
    this.mechId = null;
    this.rows = new Map(); // field name -> {row, cell, text}
    this.shownFrame = null;
  }

  open(mechId) {
    if (this.mechId !== mechId) {
      this.mechId = mechId;
      this.body.replaceChildren();
      this.rows.clear();
      this.title.textContent = mechId;
    }
    this.shownFrame = null;
    this.panel.hidden = false;
  }

  close() {
    this.mechId = null;
    this.shownFrame = null;
    this.panel.hidden = true;
  }

  /** Shows the selected mech as it is in `frame`; cheap when the frame did not change. */
  update(frame) {
    if (this.mechId === null || frame === this.shownFrame) return;
    this.shownFrame = frame;
    const mech = frame && frame.mechs ? frame.mechs[this.mechId] : undefined;
    this.absent.hidden = Boolean(mech);
    this.body.hidden = !mech;
    if (!mech) return;

    this.swatch.style.background = `#${teamColor(mech.team).toString(16).padStart(6, '0')}`;
    const hpMax = Number(mech.hp_max) > 0 ? Number(mech.hp_max) : 1;
    const fraction = mech.alive === false ? 0 : Math.min(1, Math.max(0, Number(mech.hp) / hpMax));
    this.health.style.width = `${(fraction * 100).toFixed(1)}%`;
    this.health.style.background = `hsl(${Math.round(120 * fraction)}, 75%, 50%)`;

    for (const name in mech) this.setField(name, formatField(mech[name]));
    for (const [name, entry] of this.rows) entry.row.hidden = !(name in mech);
  }

  setField(name, text) {
    let entry = this.rows.get(name);
    if (!entry) {
      const row = this.doc.createElement('tr');
      const header = this.doc.createElement('th');
      header.textContent = name;
      const cell = this.doc.createElement('td');
      cell.dataset.field = name;
      row.append(header, cell);
      this.body.append(row);
      entry = { row, cell, text: null };
      this.rows.set(name, entry);
    }
    if (entry.text !== text) {
      entry.text = text;
      entry.cell.textContent = text;
    }
  }
}
