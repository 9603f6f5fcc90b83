// Mech names as HTML labels over the canvas: text of a fixed pixel size, so it
// stays readable at any zoom. One element per mech id, created when the mech
// first appears and reused for the replay; positions are written as transforms
// on rendered frames only. Owned by the main thread.

import * as THREE from 'three';

const LABEL_LIFT_M = 4.4; // above the body centre and the health bar

export class LabelLayer {
  constructor(container, teamColorCss) {
    this.root = container.ownerDocument.createElement('div');
    this.root.className = 'labels';
    this.root.setAttribute('aria-hidden', 'true');
    container.append(this.root);
    this.teamColorCss = teamColorCss;
    this.labels = new Map(); // mech id -> {element, shown, text}
    this.point = new THREE.Vector3();
    this.scratch = new THREE.Vector3();
    this.projected = { x: 0, y: 0, visible: false };
    this.visibleCount = 0;
  }

  reset() {
    this.root.replaceChildren();
    this.labels.clear();
  }

  labelFor(id, mech) {
    let label = this.labels.get(id);
    if (!label) {
      const element = this.root.ownerDocument.createElement('span');
      element.className = 'mech-label';
      element.textContent = id;
      element.style.color = this.teamColorCss(mech.team);
      this.root.append(element);
      label = { element, shown: true, dead: false };
      this.labels.set(id, label);
    }
    return label;
  }

  /** Places the label of every mech drawn in `frame`; hides the others. */
  update(frame, mechLayer, view, selectedId) {
    const mechs = (frame && frame.mechs) || {};
    const canvasSize = view.canvasSize(); // once: the label moves below would make every read a layout
    let visible = 0;
    for (const [id, label] of this.labels) if (!mechs[id]) this.setShown(label, false);
    for (const id in mechs) {
      const mech = mechs[id];
      if (!mech || !mechLayer.drawnPositionOf(id, this.point)) {
        const known = this.labels.get(id);
        if (known) this.setShown(known, false);
        continue;
      }
      const label = this.labelFor(id, mech);
      view.projectToCanvas(this.point.x, this.point.y, this.point.z + LABEL_LIFT_M, this.projected, this.scratch, canvasSize);
      this.setShown(label, this.projected.visible);
      if (!this.projected.visible) continue;
      visible += 1;
      label.element.style.transform = `translate(${this.projected.x.toFixed(1)}px, ${this.projected.y.toFixed(1)}px) translate(-50%, -100%)`;
      const dead = mech.alive === false;
      if (label.dead !== dead) {
        label.dead = dead;
        label.element.classList.toggle('dead', dead);
      }
      label.element.classList.toggle('selected', id === selectedId);
    }
    this.visibleCount = visible;
  }

  setShown(label, shown) {
    if (label.shown === shown) return;
    label.shown = shown;
    label.element.hidden = !shown;
  }

  dispose() {
    this.reset();
    this.root.remove();
  }
}
