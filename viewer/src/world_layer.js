// The voxel world: one InstancedMesh for opaque voxels and one for translucent
// ones (glass, water, foliage), a ground grid and the objective zone. Voxels hidden
// on all six sides are not drawn; a 100x100x20 world with 30k walls needs a few
// thousand instances. Everything built for a world is disposed when the next
// world replaces it.

import * as THREE from 'three';

/**
 * Colour per voxel type. The simulation's type numbers are not documented in the
 * protocol; these names follow where each type appears in the fixture worlds
 * (foliage only in forest biomes, lava in the volcanic one...). Types 1, 4, 5, 7
 * and 8 collide. Unknown types get a stable colour of their own.
 * A voxel that does not collide and lies on the ground (z = 0: floors, roads,
 * water, lava) is drawn as a thin floor tile: mechs stand on the bedrock below it
 * and nav nodes sit there, so a full cube would hide both.
 */
const VOXEL_STYLES = new Map([
  [1, { name: 'solid', color: 0x8b929c }],
  [2, { name: 'lava', color: 0xff5a1f }],
  [3, { name: 'water', color: 0x2f7fd8, translucent: true }],
  [4, { name: 'reinforced', color: 0x4b5563 }],
  [5, { name: 'glass', color: 0xa8dcff, translucent: true }],
  [6, { name: 'ground cover', color: 0x5c5446 }],
  [7, { name: 'debris', color: 0x7a5c3a }],
  [8, { name: 'structure', color: 0x60809c }],
  [9, { name: 'foliage', color: 0x3f8f4a, translucent: true }],
]);

const COLLIDING_TYPES = new Set([1, 4, 5, 7, 8]);
const FLOOR_TILE_HEIGHT = 0.12; // in voxels
const GRID_SPACING_M = 10;

function styleOf(type) {
  let style = VOXEL_STYLES.get(type);
  if (!style) {
    style = { name: `type ${type}`, color: new THREE.Color().setHSL(((type * 47) % 360) / 360, 0.45, 0.5).getHex() };
    VOXEL_STYLES.set(type, style);
  }
  return style;
}

function isFloorTile(type, z) {
  return z === 0 && !COLLIDING_TYPES.has(type);
}

/** Parses `walls` into a dense grid of voxel types (0 = empty); the last wall at a cell wins. */
function rasterizeWalls(world) {
  const [sx, sy, sz] = world.size.map((n) => Math.max(0, n | 0));
  const cells = new Uint8Array(sx * sy * sz);
  for (const wall of world.walls || []) {
    const x = wall[0];
    const y = wall[1];
    const z = wall[2];
    if (!(x >= 0 && x < sx && y >= 0 && y < sy && z >= 0 && z < sz)) continue;
    cells[(z * sy + y) * sx + x] = wall.length > 3 ? wall[3] & 0xff : 1;
  }
  return { sx, sy, sz, cells };
}

export class WorldLayer {
  constructor(scene) {
    this.scene = scene;
    this.group = new THREE.Group();
    this.group.name = 'world';
    scene.add(this.group);

    this.voxelGeometry = new THREE.BoxGeometry(1, 1, 1);
    this.opaqueMaterial = new THREE.MeshLambertMaterial({ color: 0xffffff });
    this.translucentMaterial = new THREE.MeshLambertMaterial({
      color: 0xffffff, transparent: true, opacity: 0.38, depthWrite: false,
    });
    this.groundMaterial = new THREE.MeshLambertMaterial({ color: 0x1b222c });
    this.gridMaterial = new THREE.LineBasicMaterial({ color: 0x2c3644 });

    this.zoneGeometry = new THREE.RingGeometry(0.94, 1, 96);
    this.zoneFillGeometry = new THREE.CircleGeometry(1, 96);
    this.zoneMaterial = new THREE.MeshBasicMaterial({ color: 0xffd166, side: THREE.DoubleSide, transparent: true, opacity: 0.9 });
    this.zoneFillMaterial = new THREE.MeshBasicMaterial({
      color: 0xffd166, side: THREE.DoubleSide, transparent: true, opacity: 0.12, depthWrite: false,
    });
    this.zone = new THREE.Group();
    this.zone.add(new THREE.Mesh(this.zoneGeometry, this.zoneMaterial));
    this.zone.add(new THREE.Mesh(this.zoneFillGeometry, this.zoneFillMaterial));
    this.zone.visible = false;
    scene.add(this.zone);

    this.worldObjects = []; // per-world meshes, disposed on the next setWorld()
    this.voxelSize = 1;
    this.extent = [0, 0, 0];
    this.voxelsDrawn = 0;
  }

  /** Replaces the drawn world. Returns the world's extent in metres. */
  setWorld(world) {
    this.clearWorld();
    const voxelSize = Number(world.voxel_size_m) > 0 ? Number(world.voxel_size_m) : 5.0;
    const grid = rasterizeWalls(world);
    this.voxelSize = voxelSize;
    this.extent = [grid.sx * voxelSize, grid.sy * voxelSize, grid.sz * voxelSize];

    const { opaque, translucent } = this.collectVisibleVoxels(grid);
    this.addVoxelMesh(opaque, grid, voxelSize, this.opaqueMaterial, 'voxels-opaque');
    this.addVoxelMesh(translucent, grid, voxelSize, this.translucentMaterial, 'voxels-translucent');
    this.voxelsDrawn = opaque.length + translucent.length;
    this.addGround(this.extent[0], this.extent[1]);
    return this.extent;
  }

  collectVisibleVoxels({ sx, sy, sz, cells }) {
    const isOpaque = (x, y, z) => {
      if (z < 0) return true; // the ground hides bottom faces
      if (x < 0 || y < 0 || x >= sx || y >= sy || z >= sz) return false;
      const type = cells[(z * sy + y) * sx + x];
      return type !== 0 && !styleOf(type).translucent && !isFloorTile(type, z);
    };
    const opaque = [];
    const translucent = [];
    for (let z = 0; z < sz; z += 1) {
      for (let y = 0; y < sy; y += 1) {
        for (let x = 0; x < sx; x += 1) {
          const index = (z * sy + y) * sx + x;
          const type = cells[index];
          if (type === 0) continue;
          if (styleOf(type).translucent) {
            translucent.push(index);
          } else if (!(isOpaque(x - 1, y, z) && isOpaque(x + 1, y, z) && isOpaque(x, y - 1, z)
              && isOpaque(x, y + 1, z) && isOpaque(x, y, z - 1) && isOpaque(x, y, z + 1))) {
            opaque.push(index);
          }
        }
      }
    }
    return { opaque, translucent };
  }

  addVoxelMesh(indices, { sx, sy, sz, cells }, voxelSize, material, name) {
    if (indices.length === 0) return;
    const mesh = new THREE.InstancedMesh(this.voxelGeometry, material, indices.length);
    mesh.name = name;
    mesh.instanceColor = new THREE.InstancedBufferAttribute(new Float32Array(indices.length * 3), 3);
    const matrices = mesh.instanceMatrix.array;
    const colors = mesh.instanceColor.array;
    const color = new THREE.Color();
    indices.forEach((index, i) => {
      const x = index % sx;
      const y = Math.floor(index / sx) % sy;
      const z = Math.floor(index / (sx * sy));
      // Uniform scale plus translation, written straight into the matrix (column-major).
      const m = i * 16;
      matrices.fill(0, m, m + 16);
      matrices[m] = voxelSize;
      matrices[m + 5] = voxelSize;
      const height = isFloorTile(cells[index], z) ? FLOOR_TILE_HEIGHT : 1;
      matrices[m + 10] = voxelSize * height;
      matrices[m + 12] = (x + 0.5) * voxelSize;
      matrices[m + 13] = (y + 0.5) * voxelSize;
      matrices[m + 14] = (z + 0.5 * height) * voxelSize;
      matrices[m + 15] = 1;
      // Higher voxels slightly brighter, so stacked walls read as volumes.
      color.setHex(styleOf(cells[index]).color).multiplyScalar(0.78 + 0.22 * (z / Math.max(1, sz - 1)));
      color.toArray(colors, i * 3);
    });
    mesh.instanceMatrix.needsUpdate = true;
    mesh.instanceColor.needsUpdate = true;
    mesh.computeBoundingSphere();
    this.group.add(mesh);
    this.worldObjects.push(mesh);
  }

  addGround(extentX, extentY) {
    const groundGeometry = new THREE.PlaneGeometry(extentX, extentY);
    const ground = new THREE.Mesh(groundGeometry, this.groundMaterial);
    ground.position.set(extentX / 2, extentY / 2, -0.02);
    ground.name = 'ground';

    const points = [];
    for (let x = 0; x <= extentX + 1e-6; x += GRID_SPACING_M) points.push(x, 0, 0, x, extentY, 0);
    for (let y = 0; y <= extentY + 1e-6; y += GRID_SPACING_M) points.push(0, y, 0, extentX, y, 0);
    const gridGeometry = new THREE.BufferGeometry();
    gridGeometry.setAttribute('position', new THREE.Float32BufferAttribute(points, 3));
    const grid = new THREE.LineSegments(gridGeometry, this.gridMaterial);
    grid.position.z = -0.01;
    grid.name = 'ground-grid';

    this.group.add(ground, grid);
    this.worldObjects.push(ground, grid);
  }

  /** Moves the objective ring to the frame's capture zone. */
  updateObjective(objective) {
    const center = objective && objective.zone_center;
    const radius = objective && Number(objective.zone_radius);
    if (!center || !(radius > 0)) {
      this.zone.visible = false;
      return;
    }
    this.zone.visible = true;
    this.zone.position.set(center[0], center[1], this.voxelSize * FLOOR_TILE_HEIGHT + 0.05);
    this.zone.scale.set(radius, radius, 1);
  }

  clearWorld() {
    for (const object of this.worldObjects) {
      this.group.remove(object);
      if (object.isInstancedMesh) object.dispose(); // frees the instance buffers; the box geometry is shared
      else object.geometry.dispose();
    }
    this.worldObjects.length = 0;
    this.voxelsDrawn = 0;
    this.zone.visible = false;
  }

  dispose() {
    this.clearWorld();
    this.scene.remove(this.group, this.zone);
    for (const resource of [this.voxelGeometry, this.opaqueMaterial, this.translucentMaterial, this.groundMaterial,
      this.gridMaterial, this.zoneGeometry, this.zoneFillGeometry, this.zoneMaterial, this.zoneFillMaterial]) {
      resource.dispose();
    }
  }
}
