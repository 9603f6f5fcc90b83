// The voxel world: its exposed voxel faces merged into meshes for opaque voxels
// and for translucent ones (glass, water, foliage), a ground grid and the
// objective zone. Faces between two solid voxels are never built, so a 100x100x20
// world with 30k walls becomes ~100k triangles in a dozen draw calls (slices of
// 8,192 faces), cheap even for software WebGL. The faces are built in the world
// mesh worker (voxel_mesher.js); this layer owns the three.js side. Everything
// built for a world is disposed when the next world replaces it.

import * as THREE from 'three';
import { FLOOR_TILE_HEIGHT } from './voxel_mesher.js';
import { WorldMeshClient } from './world_mesh_client.js';

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

const GRID_SPACING_M = 10;

function styleOf(type) {
  let style = VOXEL_STYLES.get(type);
  if (!style) {
    style = { name: `type ${type}`, color: new THREE.Color().setHSL(((type * 47) % 360) / 360, 0.45, 0.5).getHex() };
    VOXEL_STYLES.set(type, style);
  }
  return style;
}

/**
 * Colour (linear RGB, as three.js holds colours) and translucency of every voxel
 * type, for the mesh worker (see voxel_mesher.js), which has no three.js.
 */
function voxelPalette() {
  const palette = new Float64Array(256 * 3);
  const translucent = new Uint8Array(256);
  const color = new THREE.Color();
  for (let type = 1; type < 256; type += 1) {
    const style = styleOf(type);
    color.setHex(style.color);
    palette.set([color.r, color.g, color.b], type * 3);
    translucent[type] = style.translucent ? 1 : 0;
  }
  return { palette, translucent };
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

    this.mesher = new WorldMeshClient();
    this.palette = null; // {palette, translucent} for the mesh worker, made on first use
    this.worldObjects = []; // per-world objects in the scene, disposed on the next showWorld()
    this.pendingSlices = []; // meshes of the shown world not yet in the scene (see showNextSlice)
    this.voxelSize = 1;
    this.extent = [0, 0, 0];
    this.voxelsDrawn = 0;
    this.facesDrawn = 0;
  }

  /**
   * Builds what a world needs drawn, off the main thread (see world_mesh_client.js),
   * without touching the scene: `source` is {hash} (fetched by the worker) or {world}
   * (a world already here). Resolves to a BuiltWorld for showWorld(); rejects with an
   * Error whose `stage` is 'fetch' (the world could not be had) or 'build' (it cannot be drawn).
   */
  buildWorld(source) {
    if (!this.palette) this.palette = voxelPalette();
    return this.mesher.build({ source, ...this.palette });
  }

  /**
   * Replaces the drawn world by a built one and returns the world's extent in metres.
   * The ground shows at once; the voxel meshes follow one slice per showNextSlice()
   * (one per animation frame), so no frame uploads the whole world to the GPU.
   */
  showWorld(built) {
    this.clearWorld();
    this.voxelSize = built.voxelSize;
    this.extent = built.extent;
    this.pendingSlices = [
      ...this.voxelSlices(built.opaque, this.opaqueMaterial, 'voxels-opaque'),
      ...this.voxelSlices(built.translucent, this.translucentMaterial, 'voxels-translucent'),
    ];
    this.voxelsDrawn = built.voxelsWithFaces;
    this.facesDrawn = (built.opaque.positions.length + built.translucent.positions.length) / 12;
    const [ground, grid] = this.groundObjects(this.extent[0], this.extent[1]);
    this.addWorldObjects(ground, grid);
    return this.extent;
  }

  /** Adds the next slice of the world's meshes; false when all are in the scene. */
  showNextSlice() {
    const mesh = this.pendingSlices.shift();
    if (!mesh) return false;
    this.addWorldObjects(mesh);
    return true;
  }

  /** True while slices of the shown world wait for showNextSlice(). */
  get slicesPending() {
    return this.pendingSlices.length > 0;
  }

  /** Compiles the shaders of a world's objects before the first world arrives (see SceneView.precompile). */
  precompileShaders(view) {
    const face = { positions: new Float32Array(12), normals: new Int8Array(12), colors: new Uint8Array(12), index: new Uint32Array(6) };
    const slice = { firstFace: 0, faceCount: 1, center: [0, 0, 0], radius: 0 };
    const samples = new THREE.Group();
    samples.add(
      this.voxelMesh(face, slice, this.opaqueMaterial, 'sample'),
      this.voxelMesh(face, slice, this.translucentMaterial, 'sample'),
      ...this.groundObjects(GRID_SPACING_M, GRID_SPACING_M),
    );
    return view.precompile(samples).finally(() => samples.traverse((object) => object.geometry?.dispose()));
  }

  /** One mesh per slice of built faces (views of the worker's arrays: nothing is copied). */
  voxelSlices(faces, material, name) {
    return faces.slices.map((slice, order) => {
      const mesh = this.voxelMesh(faces, slice, material, name);
      mesh.renderOrder = order; // translucent slices blend in the order one mesh would draw them
      return mesh;
    });
  }

  voxelMesh(faces, { firstFace, faceCount, center, radius }, material, name) {
    const vertices = (from, count) => [from * 12, (from + count) * 12];
    const [begin, end] = vertices(firstFace, faceCount);
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(faces.positions.subarray(begin, end), 3));
    geometry.setAttribute('normal', new THREE.BufferAttribute(faces.normals.subarray(begin, end), 3, true));
    geometry.setAttribute('color', new THREE.BufferAttribute(faces.colors.subarray(begin, end), 3, true));
    geometry.setIndex(new THREE.BufferAttribute(faces.index.subarray(0, faceCount * 6), 1));
    geometry.boundingSphere = new THREE.Sphere(new THREE.Vector3(...center), radius);
    const mesh = new THREE.Mesh(geometry, material);
    mesh.name = name;
    return mesh;
  }

  /** The ground plane and its grid for a world of extentX x extentY metres. */
  groundObjects(extentX, extentY) {
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
    return [ground, grid];
  }

  addWorldObjects(...objects) {
    this.group.add(...objects);
    this.worldObjects.push(...objects);
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
    for (const mesh of this.pendingSlices) mesh.geometry.dispose(); // never uploaded; frees listeners
    this.worldObjects.length = 0;
    this.pendingSlices.length = 0;
    this.voxelsDrawn = 0;
    this.facesDrawn = 0;
    this.zone.visible = false;
  }

  dispose() {
    this.mesher.dispose();
    this.clearWorld();
    this.scene.remove(this.group, this.zone);
    for (const resource of [this.opaqueMaterial, this.translucentMaterial, this.groundMaterial,
      this.gridMaterial, this.zoneGeometry, this.zoneFillGeometry, this.zoneMaterial, this.zoneFillMaterial]) {
      resource.dispose();
    }
  }
}
