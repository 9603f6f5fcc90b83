// Mechs: instanced bodies in team colour, a nose cone showing the heading, a
// camera-facing health bar, and a ring under the selected mech. Each mech id gets
// a fixed instance slot for the whole replay, so a raycast's instanceId maps back
// to the mech. Positions and headings are interpolated between frames. update()
// reuses one dummy Object3D and preallocated arrays: no allocation per frame.

import * as THREE from 'three';

const CAPACITY = 128;
// Length (along the heading), width, height in metres. `pos` is the body centre:
// a mech on the bedrock has z of about 2, and nav needs 4 voxels of clearance.
const BODY_SIZE = [2.6, 2.0, 3.6];
const CLASS_SCALE = { light: 0.8, scout: 0.8, medium: 0.9, heavy: 1.0, assault: 1.1 };
const TEAM_COLORS = { blue: 0x3d8bff, red: 0xff4d4d };
const DEAD_COLOR = 0x30343b;
const HEALTH_BAR_WIDTH = 3.2;
const HEALTH_BAR_HEIGHT = 0.45;

function lerpAngle(a, b, t) {
  let delta = (b - a) % (Math.PI * 2);
  if (delta > Math.PI) delta -= Math.PI * 2;
  if (delta < -Math.PI) delta += Math.PI * 2;
  return a + delta * t;
}

const teamColorCache = new Map(Object.entries(TEAM_COLORS));

/** Colour of a team; teams other than blue and red get a stable colour from their name. */
export function teamColor(team) {
  let color = teamColorCache.get(team);
  if (color === undefined) {
    let hash = 0;
    for (const ch of String(team)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    color = new THREE.Color().setHSL((hash % 360) / 360, 0.7, 0.55).getHex();
    teamColorCache.set(team, color);
  }
  return color;
}

export class MechLayer {
  constructor(scene) {
    this.scene = scene;
    this.group = new THREE.Group();
    this.group.name = 'mechs';
    scene.add(this.group);

    this.bodyGeometry = new THREE.BoxGeometry(1, 1, 1);
    this.noseGeometry = new THREE.ConeGeometry(0.5, 1.4, 12).rotateZ(-Math.PI / 2); // points along +x
    this.barGeometry = new THREE.PlaneGeometry(1, 1);
    this.ringGeometry = new THREE.RingGeometry(0.85, 1, 48);
    this.bodyMaterial = new THREE.MeshLambertMaterial({ color: 0xffffff });
    this.noseMaterial = new THREE.MeshLambertMaterial({ color: 0xf5f7fa });
    this.barBackMaterial = new THREE.MeshBasicMaterial({ color: 0x111111, transparent: true, opacity: 0.75, depthWrite: false });
    this.barFillMaterial = new THREE.MeshBasicMaterial({ color: 0xffffff, depthWrite: false, transparent: true });
    this.ringMaterial = new THREE.MeshBasicMaterial({ color: 0xffffff, side: THREE.DoubleSide });

    this.dummy = new THREE.Object3D();
    this.color = new THREE.Color();
    this.cameraRight = new THREE.Vector3();
    this.cameraQuaternion = new THREE.Quaternion();

    this.bodies = this.createInstanced(this.bodyGeometry, this.bodyMaterial, 'mech-bodies', true);
    this.noses = this.createInstanced(this.noseGeometry, this.noseMaterial, 'mech-noses', false);
    this.barBacks = this.createInstanced(this.barGeometry, this.barBackMaterial, 'mech-health-back', false);
    this.barFills = this.createInstanced(this.barGeometry, this.barFillMaterial, 'mech-health-fill', true);
    this.instancedMeshes = [this.bodies, this.noses, this.barBacks, this.barFills];
    this.barBacks.renderOrder = 10;
    this.barFills.renderOrder = 11;

    this.selectionRing = new THREE.Mesh(this.ringGeometry, this.ringMaterial);
    this.selectionRing.visible = false;
    this.group.add(this.selectionRing);

    this.drawnPositions = new Float32Array(CAPACITY * 3);
    this.drawnStamp = new Uint32Array(CAPACITY);
    this.frameStamp = 0;
    this.slotById = new Map();
    this.idBySlot = [];
    this.selectedId = null;
    this.overflowWarned = false;
  }

  createInstanced(geometry, material, name, withColor) {
    const mesh = new THREE.InstancedMesh(geometry, material, CAPACITY);
    mesh.name = name;
    mesh.count = 0;
    mesh.frustumCulled = false; // instances move every frame; the bounding sphere would be stale
    mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
    if (withColor) mesh.setColorAt(0, this.color); // allocates instanceColor
    this.group.add(mesh);
    return mesh;
  }

  /** Forgets slot assignments (a new replay has new mechs). */
  reset() {
    this.slotById.clear();
    this.idBySlot.length = 0;
    for (const mesh of this.instancedMeshes) mesh.count = 0;
    this.selectionRing.visible = false;
  }

  slotFor(id) {
    let slot = this.slotById.get(id);
    if (slot === undefined) {
      if (this.idBySlot.length >= CAPACITY) {
        if (!this.overflowWarned) console.warn(`more than ${CAPACITY} mechs; extra mechs are not drawn`);
        this.overflowWarned = true;
        return -1;
      }
      slot = this.idBySlot.length;
      this.idBySlot.push(id);
      this.slotById.set(id, slot);
    }
    return slot;
  }

  setSelected(id) {
    this.selectedId = id;
  }

  /** Draws `frame`, moved `alpha` of the way toward `nextFrame` (may be null). */
  update(frame, nextFrame, alpha, camera) {
    this.frameStamp += 1;
    const stamp = this.frameStamp;
    const mechs = frame.mechs || {};
    const nextMechs = nextFrame && nextFrame.mechs;
    this.cameraRight.setFromMatrixColumn(camera.matrixWorld, 0);
    this.cameraQuaternion.copy(camera.quaternion);
    this.selectionRing.visible = false;

    for (const id in mechs) {
      const mech = mechs[id];
      const slot = this.slotFor(id);
      if (slot < 0 || !mech || !Array.isArray(mech.pos)) continue;
      const next = nextMechs ? nextMechs[id] : undefined;
      const t = next && Array.isArray(next.pos) ? alpha : 0;
      const target = t > 0 ? next : mech;
      const x = mech.pos[0] + (target.pos[0] - mech.pos[0]) * t;
      const y = mech.pos[1] + (target.pos[1] - mech.pos[1]) * t;
      const z = mech.pos[2] + (target.pos[2] - mech.pos[2]) * t;
      const yaw = lerpAngle(Number(mech.yaw) || 0, Number(target.yaw) || 0, t);
      this.drawnStamp[slot] = stamp;
      this.drawnPositions[slot * 3] = x;
      this.drawnPositions[slot * 3 + 1] = y;
      this.drawnPositions[slot * 3 + 2] = z;
      this.drawMech(slot, mech, x, y, z, yaw);
      if (id === this.selectedId) this.placeSelectionRing(mech, x, y, z);
    }
    this.hideAbsentSlots(stamp);

    const count = this.idBySlot.length;
    for (let i = 0; i < this.instancedMeshes.length; i += 1) {
      const mesh = this.instancedMeshes[i];
      mesh.count = count;
      mesh.instanceMatrix.needsUpdate = true;
      if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
    }
  }

  drawMech(slot, mech, x, y, z, yaw) {
    const dummy = this.dummy;
    const scale = CLASS_SCALE[mech.class] ?? 1.0;
    const alive = mech.alive !== false;
    const height = BODY_SIZE[2] * scale * (alive ? 1 : 0.35);

    dummy.position.set(x, y, z - (BODY_SIZE[2] * scale - height) / 2);
    dummy.rotation.set(0, 0, yaw);
    dummy.scale.set(BODY_SIZE[0] * scale, BODY_SIZE[1] * scale, height);
    dummy.updateMatrix();
    this.bodies.setMatrixAt(slot, dummy.matrix);
    this.color.setHex(alive ? teamColor(mech.team) : DEAD_COLOR);
    if (alive && mech.fallen) this.color.multiplyScalar(0.6);
    this.bodies.setColorAt(slot, this.color);

    const forward = (BODY_SIZE[0] / 2 + 0.6) * scale;
    dummy.position.set(x + Math.cos(yaw) * forward, y + Math.sin(yaw) * forward, z + 0.8 * scale);
    dummy.scale.setScalar(alive ? scale : 0);
    dummy.updateMatrix();
    this.noses.setMatrixAt(slot, dummy.matrix);

    this.drawHealthBar(slot, mech, x, y, z + height / 2 + 0.8, alive);
  }

  /** A bar that always faces the camera; the fill shrinks toward the bar's left end. */
  drawHealthBar(slot, mech, x, y, z, alive) {
    const dummy = this.dummy;
    const hpMax = Number(mech.hp_max) > 0 ? Number(mech.hp_max) : 1;
    const fraction = alive ? Math.min(1, Math.max(0, Number(mech.hp) / hpMax)) : 0;
    dummy.quaternion.copy(this.cameraQuaternion);
    dummy.position.set(x, y, z);
    dummy.scale.set(alive ? HEALTH_BAR_WIDTH : 0, HEALTH_BAR_HEIGHT, 1);
    dummy.updateMatrix();
    this.barBacks.setMatrixAt(slot, dummy.matrix);

    const shift = -(1 - fraction) * HEALTH_BAR_WIDTH / 2;
    dummy.position.set(x + this.cameraRight.x * shift, y + this.cameraRight.y * shift, z + this.cameraRight.z * shift);
    dummy.scale.set(HEALTH_BAR_WIDTH * fraction, HEALTH_BAR_HEIGHT * 0.7, 1);
    dummy.updateMatrix();
    this.barFills.setMatrixAt(slot, dummy.matrix);
    this.color.setHSL(0.33 * fraction, 0.85, 0.5);
    this.barFills.setColorAt(slot, this.color);
  }

  placeSelectionRing(mech, x, y, z) {
    const scale = CLASS_SCALE[mech.class] ?? 1.0;
    this.selectionRing.visible = true;
    this.selectionRing.position.set(x, y, z - BODY_SIZE[2] * scale / 2 + 0.08);
    this.selectionRing.scale.setScalar(1.9 * scale);
  }

  hideAbsentSlots(stamp) {
    const dummy = this.dummy;
    for (let slot = 0; slot < this.idBySlot.length; slot += 1) {
      if (this.drawnStamp[slot] === stamp) continue;
      dummy.scale.setScalar(0);
      dummy.updateMatrix();
      for (let i = 0; i < this.instancedMeshes.length; i += 1) this.instancedMeshes[i].setMatrixAt(slot, dummy.matrix);
    }
  }

  /** The mech id under the raycaster, or null. */
  pick(raycaster) {
    if (this.bodies.count === 0) return null;
    this.bodies.computeBoundingSphere();
    const hit = raycaster.intersectObject(this.bodies, false)[0];
    return hit && hit.instanceId !== undefined ? this.idBySlot[hit.instanceId] ?? null : null;
  }

  /** Where mech `id` was last drawn, into `out` (a Vector3); false if it is not on screen this frame. */
  drawnPositionOf(id, out) {
    const slot = this.slotById.get(id);
    if (slot === undefined || this.drawnStamp[slot] !== this.frameStamp) return false;
    out.fromArray(this.drawnPositions, slot * 3);
    return true;
  }

  drawnIds() {
    return this.idBySlot.filter((id, slot) => this.drawnStamp[slot] === this.frameStamp);
  }

  dispose() {
    this.scene.remove(this.group);
    for (const mesh of this.instancedMeshes) mesh.dispose();
    for (const resource of [this.bodyGeometry, this.noseGeometry, this.barGeometry, this.ringGeometry, this.bodyMaterial,
      this.noseMaterial, this.barBackMaterial, this.barFillMaterial, this.ringMaterial]) {
      resource.dispose();
    }
  }
}
