// The voxel world: its exposed voxel faces merged into one mesh for opaque voxels
// and one for translucent ones (glass, water, foliage), a ground grid and the
// objective zone. Faces between two solid voxels are never built, so a 100x100x20
// world with 30k walls becomes ~100k triangles in two draw calls, cheap even for
// software WebGL. Everything built for a world is disposed when the next world
// replaces it.

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

// The six faces of a unit cube: outward normal and corners, counter-clockwise seen from outside.
const CUBE_FACES = [
  { normal: [1, 0, 0], corners: [[1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 0, 1]] },
  { normal: [-1, 0, 0], corners: [[0, 1, 0], [0, 0, 0], [0, 0, 1], [0, 1, 1]] },
  { normal: [0, 1, 0], corners: [[1, 1, 0], [0, 1, 0], [0, 1, 1], [1, 1, 1]] },
  { normal: [0, -1, 0], corners: [[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]] },
  { normal: [0, 0, 1], corners: [[0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]] },
  { normal: [0, 0, -1], corners: [[0, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 0]] },
];
const TOP_FACE = CUBE_FACES[4];

/**
 * The faces worth drawing, as flat arrays (4 vertices per face) for the opaque and
 * the translucent mesh. A face is built when the cell behind it does not hide it:
 * opaque voxels hide everything, translucent ones hide faces of their own type,
 * floor tiles and empty cells hide nothing. Floor tiles only get their top face,
 * and nothing gets a face against the ground.
 */
function buildVoxelFaces({ sx, sy, sz, cells }, voxelSize) {
  const opaque = { positions: [], normals: [], colors: [] };
  const translucent = { positions: [], normals: [], colors: [] };
  const color = new THREE.Color();
  const typeAt = (x, y, z) => (x < 0 || y < 0 || z < 0 || x >= sx || y >= sy || z >= sz ? 0 : cells[(z * sy + y) * sx + x]);
  const hides = (type, neighbourType, neighbourZ) => {
    if (neighbourType === 0 || isFloorTile(neighbourType, neighbourZ)) return false;
    if (!styleOf(neighbourType).translucent) return true;
    return styleOf(type).translucent && neighbourType === type;
  };
  let voxelsWithFaces = 0;

  for (let z = 0; z < sz; z += 1) {
    for (let y = 0; y < sy; y += 1) {
      for (let x = 0; x < sx; x += 1) {
        const type = cells[(z * sy + y) * sx + x];
        if (type === 0) continue;
        const style = styleOf(type);
        const target = style.translucent ? translucent : opaque;
        const floor = isFloorTile(type, z);
        const height = floor ? FLOOR_TILE_HEIGHT : 1;
        // Higher voxels slightly brighter, so stacked walls read as volumes.
        color.setHex(style.color).multiplyScalar(0.78 + 0.22 * (z / Math.max(1, sz - 1)));
        let built = false;
        for (const face of floor ? [TOP_FACE] : CUBE_FACES) {
          const [nx, ny, nz] = face.normal;
          if (z === 0 && nz === -1) continue;
          if (hides(type, typeAt(x + nx, y + ny, z + nz), z + nz)) continue;
          for (const [cx, cy, cz] of face.corners) {
            target.positions.push((x + cx) * voxelSize, (y + cy) * voxelSize, (z + cz * height) * voxelSize);
            target.normals.push(nx * 127, ny * 127, nz * 127);
            target.colors.push(Math.round(color.r * 255), Math.round(color.g * 255), Math.round(color.b * 255));
          }
          built = true;
        }
        if (built) voxelsWithFaces += 1;
      }
    }
  }
  return { opaque, translucent, voxelsWithFaces };
}


export class WorldLayer {
  constructor(scene) {
    this.scene = scene;
    this.group = new THREE.Group();
    this.group.name = 'world';
    scene.add(this.group);

    this.opaqueMaterial = new THREE.MeshLambertMaterial({ vertexColors: true });
    this.translucentMaterial = new THREE.MeshLambertMaterial({
      vertexColors: true, transparent: true, opacity: 0.38, depthWrite: false,
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
    this.facesDrawn = 0;
  }

  /** Replaces the drawn world. Returns the world's extent in metres. */
  setWorld(world) {
    this.clearWorld();
    const voxelSize = Number(world.voxel_size_m) > 0 ? Number(world.voxel_size_m) : 5.0;
    const grid = rasterizeWalls(world);
    this.voxelSize = voxelSize;
    this.extent = [grid.sx * voxelSize, grid.sy * voxelSize, grid.sz * voxelSize];

    const { opaque, translucent, voxelsWithFaces } = buildVoxelFaces(grid, voxelSize);
    this.addVoxelMesh(opaque, this.opaqueMaterial, 'voxels-opaque');
    this.addVoxelMesh(translucent, this.translucentMaterial, 'voxels-translucent');
    this.voxelsDrawn = voxelsWithFaces;
    this.facesDrawn = (opaque.positions.length + translucent.positions.length) / 12;
    this.addGround(this.extent[0], this.extent[1]);
    return this.extent;
  }

  addVoxelMesh(faces, material, name) {
    if (faces.positions.length === 0) return;
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.Float32BufferAttribute(faces.positions, 3));
    geometry.setAttribute('normal', new THREE.Int8BufferAttribute(faces.normals, 3, true));
    geometry.setAttribute('color', new THREE.Uint8BufferAttribute(faces.colors, 3, true));
    const quads = faces.positions.length / 12;
    const index = new Uint32Array(quads * 6);
    for (let q = 0; q < quads; q += 1) index.set([q * 4, q * 4 + 1, q * 4 + 2, q * 4, q * 4 + 2, q * 4 + 3], q * 6);
    geometry.setIndex(new THREE.BufferAttribute(index, 1));
    geometry.computeBoundingSphere();
    const mesh = new THREE.Mesh(geometry, material);
    mesh.name = name;
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
      object.geometry.dispose();
    }
    this.worldObjects.length = 0;
    this.voxelsDrawn = 0;
    this.facesDrawn = 0;
    this.zone.visible = false;
  }

  dispose() {
    this.clearWorld();
    this.scene.remove(this.group, this.zone);
    for (const resource of [this.opaqueMaterial, this.translucentMaterial, this.groundMaterial,
      this.gridMaterial, this.zoneGeometry, this.zoneFillGeometry, this.zoneMaterial, this.zoneFillMaterial]) {
      resource.dispose();
    }
  }
}
