// Short-lived effects for frame events (laser beams, hits, muzzle flashes, missile
// trails, explosions, smoke launches, AMS intercepts) and the smoke clouds of the
// current frame. Effects live in fixed-size ring buffers (typed arrays) drawn by
// one InstancedMesh of flashes and one LineSegments of beams, and age with
// playback time: pausing freezes them, seeking clears them.

import * as THREE from 'three';

const FLASH_CAPACITY = 256;
const BEAM_CAPACITY = 256;
const SMOKE_CAPACITY = 64;
const MECH_CENTER_OFFSET_Z = 0.4; // beams leave from a mech's upper body, not its feet

// Every effect record starts with: start, duration (simulation seconds), r, g, b.
const COMMON_FIELDS = 5;
const FLASH_FIELDS = COMMON_FIELDS + 5; // x, y, z, radius, grows
const BEAM_FIELDS = COMMON_FIELDS + 6;  // x0, y0, z0, x1, y1, z1

/**
 * What each event type looks like. A beam goes `from` -> `to`, a flash sits `at`;
 * each place is 'pos' (the event's own pos) or the name of the event key holding
 * a mech id (shooter, target, defender). Durations are in simulation seconds.
 */
const EVENT_EFFECTS = {
  laser_hit: {
    beam: { from: 'shooter', to: 'pos', color: 0xff3b6b, duration: 0.35 },
    flash: { at: 'pos', color: 0xff7a9a, radius: 0.8, duration: 0.3 },
  },
  projectile_hit: { flash: { at: 'pos', color: 0xffc94d, radius: 0.7, duration: 0.3 } },
  kinetic_fire: { flash: { at: 'pos', color: 0xfff2b0, radius: 0.55, duration: 0.2 } },
  missile_launch: {
    beam: { from: 'pos', to: 'target', color: 0xff9a3c, duration: 0.9 },
    flash: { at: 'pos', color: 0xffb36b, radius: 0.9, duration: 0.3 },
  },
  explosion: { flash: { at: 'pos', color: 0xff7b2e, radiusKey: 'radius', radius: 2.0, duration: 0.6, grows: true } },
  ams_intercept: {
    beam: { from: 'defender', to: 'pos', color: 0x4de8ff, duration: 0.3 },
    flash: { at: 'pos', color: 0x8ff3ff, radius: 0.6, duration: 0.3 },
  },
  paint: { beam: { from: 'shooter', to: 'pos', color: 0x6bff8f, duration: 0.25 } },
  kill: { flash: { at: 'target', color: 0xfff0d0, radius: 3.0, duration: 1.0, grows: true } },
};
const SMOKE_LAUNCH_EFFECT = { flash: { at: 'pos', color: 0x8a9099, radius: 3.0, duration: 1.5, grows: true } };

function effectFor(type) {
  if (typeof type !== 'string') return null;
  return EVENT_EFFECTS[type] ?? (type.includes('smoke') ? SMOKE_LAUNCH_EFFECT : null);
}

/** A fixed number of effect records in a typed array: a new effect overwrites the oldest. */
class EffectRing {
  constructor(capacity, fields) {
    this.capacity = capacity;
    this.fields = fields;
    this.data = new Float32Array(capacity * fields);
    this.next = 0;
  }

  reset() {
    this.data.fill(0);
    this.next = 0;
  }

  /** Claims the oldest record and writes its common fields; returns its offset in `data`. */
  add(start, style, color) {
    const o = this.next * this.fields;
    this.next = (this.next + 1) % this.capacity;
    color.setHex(style.color);
    this.data[o] = start;
    this.data[o + 1] = style.duration;
    this.data[o + 2] = color.r;
    this.data[o + 3] = color.g;
    this.data[o + 4] = color.b;
    return o;
  }

  /** How far record `i` is through its life at `time`, 0..1, or -1 when it is not running. */
  progress(i, time) {
    const o = i * this.fields;
    const duration = this.data[o + 1];
    const progress = duration > 0 ? (time - this.data[o]) / duration : -1;
    return progress >= 0 && progress <= 1 ? progress : -1;
  }
}

export class EffectsLayer {
  constructor(scene) {
    this.scene = scene;
    this.group = new THREE.Group();
    this.group.name = 'effects';
    scene.add(this.group);

    this.flashGeometry = new THREE.IcosahedronGeometry(1, 1);
    this.flashMaterial = new THREE.MeshBasicMaterial({
      color: 0xffffff, transparent: true, blending: THREE.AdditiveBlending, depthWrite: false,
    });
    this.flashes = new THREE.InstancedMesh(this.flashGeometry, this.flashMaterial, FLASH_CAPACITY);
    this.flashes.name = 'effect-flashes';
    this.flashes.frustumCulled = false;
    this.flashes.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
    this.flashes.setColorAt(0, new THREE.Color()); // allocates instanceColor
    this.flashRing = new EffectRing(FLASH_CAPACITY, FLASH_FIELDS);

    this.beamPositions = new Float32Array(BEAM_CAPACITY * 6);
    this.beamColors = new Float32Array(BEAM_CAPACITY * 6);
    this.beamGeometry = new THREE.BufferGeometry();
    this.beamGeometry.setAttribute('position', new THREE.BufferAttribute(this.beamPositions, 3).setUsage(THREE.DynamicDrawUsage));
    this.beamGeometry.setAttribute('color', new THREE.BufferAttribute(this.beamColors, 3).setUsage(THREE.DynamicDrawUsage));
    this.beamMaterial = new THREE.LineBasicMaterial({
      vertexColors: true, transparent: true, blending: THREE.AdditiveBlending, depthWrite: false,
    });
    this.beams = new THREE.LineSegments(this.beamGeometry, this.beamMaterial);
    this.beams.name = 'effect-beams';
    this.beams.frustumCulled = false;
    this.beamRing = new EffectRing(BEAM_CAPACITY, BEAM_FIELDS);

    this.smokeGeometry = new THREE.SphereGeometry(1, 16, 12);
    this.smokeMaterial = new THREE.MeshLambertMaterial({ color: 0xb4b9c0, transparent: true, opacity: 0.42, depthWrite: false });
    this.smoke = new THREE.InstancedMesh(this.smokeGeometry, this.smokeMaterial, SMOKE_CAPACITY);
    this.smoke.name = 'smoke-clouds';
    this.smoke.frustumCulled = false;
    this.smoke.count = 0;
    this.smoke.instanceMatrix.setUsage(THREE.DynamicDrawUsage);

    this.group.add(this.flashes, this.beams, this.smoke);
    this.point = new THREE.Vector3();
    this.otherPoint = new THREE.Vector3();
    this.color = new THREE.Color();
    this.spawnedTotal = 0;
    this.activeCount = 0;
    this.reset();
  }

  /** Drops every running effect (after a seek or a replay change). */
  reset() {
    this.flashRing.reset();
    this.beamRing.reset();
  }

  /** Starts the effects of `frame.events`, timed from the frame's simulation time. */
  spawnFrameEvents(frame) {
    const events = frame.events;
    if (!Array.isArray(events)) return;
    for (let i = 0; i < events.length; i += 1) {
      const event = events[i];
      const effect = event && effectFor(event.type);
      if (!effect) continue;
      if (effect.beam && this.resolvePlace(effect.beam.from, event, frame, this.point)
          && this.resolvePlace(effect.beam.to, event, frame, this.otherPoint)) {
        this.addBeam(frame.t, effect.beam);
      }
      if (effect.flash && this.resolvePlace(effect.flash.at, event, frame, this.point)) {
        const fromEvent = effect.flash.radiusKey ? Number(event[effect.flash.radiusKey]) : NaN;
        this.addFlash(frame.t, effect.flash, fromEvent > 0 ? fromEvent : effect.flash.radius);
      }
    }
  }

  /** Writes the place named `place` into `out`; false if the event or frame lacks it. */
  resolvePlace(place, event, frame, out) {
    if (place === 'pos') {
      const pos = event.pos;
      if (!Array.isArray(pos) || pos.length < 3) return false;
      out.set(pos[0], pos[1], pos[2]);
      return true;
    }
    const mech = frame.mechs && frame.mechs[event[place]];
    if (!mech || !Array.isArray(mech.pos)) return false;
    out.set(mech.pos[0], mech.pos[1], mech.pos[2] + MECH_CENTER_OFFSET_Z);
    return true;
  }

  /** A flash at `point`. */
  addFlash(start, style, radius) {
    const o = this.flashRing.add(start, style, this.color) + COMMON_FIELDS;
    this.point.toArray(this.flashRing.data, o);
    this.flashRing.data[o + 3] = radius;
    this.flashRing.data[o + 4] = style.grows ? 1 : 0;
    this.spawnedTotal += 1;
  }

  /** A beam from `point` to `otherPoint`. */
  addBeam(start, style) {
    const o = this.beamRing.add(start, style, this.color) + COMMON_FIELDS;
    this.point.toArray(this.beamRing.data, o);
    this.otherPoint.toArray(this.beamRing.data, o + 3);
    this.spawnedTotal += 1;
  }

  /** Animates effects at simulation time `time` and draws the smoke clouds of `frame`. */
  update(time, frame) {
    this.activeCount = this.updateFlashes(time) + this.updateBeams(time);
    this.updateSmoke(frame);
  }

  updateFlashes(time) {
    const ring = this.flashRing;
    const data = ring.data;
    const matrices = this.flashes.instanceMatrix.array;
    const colors = this.flashes.instanceColor.array;
    let active = 0;
    for (let i = 0; i < FLASH_CAPACITY; i += 1) {
      const o = i * FLASH_FIELDS;
      const p = o + COMMON_FIELDS;
      const m = i * 16;
      const progress = ring.progress(i, time);
      let scale = 0;
      let fade = 0;
      if (progress >= 0) {
        active += 1;
        scale = data[p + 3] * (data[p + 4] ? 0.3 + 0.7 * progress : 1 - 0.5 * progress);
        fade = 1 - progress; // additive blending: darker means more transparent
      }
      matrices.fill(0, m, m + 16);
      matrices[m] = scale;
      matrices[m + 5] = scale;
      matrices[m + 10] = scale;
      matrices[m + 12] = data[p];
      matrices[m + 13] = data[p + 1];
      matrices[m + 14] = data[p + 2];
      matrices[m + 15] = 1;
      for (let k = 0; k < 3; k += 1) colors[i * 3 + k] = data[o + 2 + k] * fade;
    }
    this.flashes.instanceMatrix.needsUpdate = true;
    this.flashes.instanceColor.needsUpdate = true;
    return active;
  }

  updateBeams(time) {
    const ring = this.beamRing;
    const data = ring.data;
    const positions = this.beamPositions;
    const colors = this.beamColors;
    let active = 0;
    for (let i = 0; i < BEAM_CAPACITY; i += 1) {
      const o = i * BEAM_FIELDS;
      const v = i * 6;
      const progress = ring.progress(i, time);
      const visible = progress >= 0;
      const fade = visible ? 1 - progress : 0;
      if (visible) active += 1;
      for (let k = 0; k < 6; k += 1) positions[v + k] = visible ? data[o + COMMON_FIELDS + k] : 0;
      for (let k = 0; k < 3; k += 1) {
        colors[v + k] = data[o + 2 + k] * fade;
        colors[v + 3 + k] = data[o + 2 + k] * fade;
      }
    }
    this.beamGeometry.attributes.position.needsUpdate = true;
    this.beamGeometry.attributes.color.needsUpdate = true;
    return active;
  }

  updateSmoke(frame) {
    const clouds = frame && Array.isArray(frame.smoke_clouds) ? frame.smoke_clouds : null;
    const count = clouds ? Math.min(clouds.length, SMOKE_CAPACITY) : 0;
    const matrices = this.smoke.instanceMatrix.array;
    let drawn = 0;
    for (let i = 0; i < count; i += 1) {
      const cloud = clouds[i];
      const radius = Number(cloud && cloud.radius);
      if (!cloud || !Array.isArray(cloud.pos) || !(radius > 0)) continue;
      const m = drawn * 16;
      matrices.fill(0, m, m + 16);
      matrices[m] = radius;
      matrices[m + 5] = radius;
      matrices[m + 10] = radius * 0.6; // clouds hug the ground
      matrices[m + 12] = cloud.pos[0];
      matrices[m + 13] = cloud.pos[1];
      matrices[m + 14] = cloud.pos[2];
      matrices[m + 15] = 1;
      drawn += 1;
    }
    this.smoke.count = drawn;
    this.smoke.instanceMatrix.needsUpdate = true;
  }

  dispose() {
    this.scene.remove(this.group);
    this.flashes.dispose();
    this.smoke.dispose();
    for (const resource of [this.flashGeometry, this.flashMaterial, this.beamGeometry, this.beamMaterial,
      this.smokeGeometry, this.smokeMaterial]) {
      resource.dispose();
    }
  }
}
