// The world's voxel faces as typed arrays, ready for a BufferGeometry: the heavy
// part of drawing a world (a 100x100x20 world is ~100k faces, ~300 ms of script),
// so it runs in world_mesh_worker.js and hands its buffers back as transferables.
// Pure data in, pure data out: no three.js (a worker does not see the page's
// import map) and no DOM, so the page can run it too when it has no worker.
//
// Input: a world as the server stores it (packWorld() takes what meshing needs of it),
//   palette Float64Array(256 * 3) linear RGB per type, translucent Uint8Array(256) (1 = translucent),
//   both made on the page (world_layer.js), where three.js's colour management is.
// Output: {opaque, translucent, voxelsWithFaces}, each of the two
//   {positions Float32Array, normals Int8Array, colors Uint8Array, index Uint32Array, slices}, 4 vertices
//   per face; the index is that of faces 0..n-1, so a prefix of it serves any run of n faces. `slices`
//   cuts the faces into runs of at most SLICE_FACES: [{firstFace, faceCount, center [x,y,z], radius}],
//   the bounding sphere of each run computed here as three.js would (box centre, farthest vertex).

/** Voxel types that collide; the others on the ground are drawn as floor tiles. */
export const COLLIDING_TYPES = new Set([1, 4, 5, 7, 8]);
export const FLOOR_TILE_HEIGHT = 0.12; // in voxels
/**
 * Faces per mesh slice. The page uploads one slice to the GPU per frame: a large
 * world's ~10 MB of vertices in one upload stalls the main thread for a long frame.
 */
export const SLICE_FACES = 8192;

/**
 * A voxel that does not collide and lies on the ground (z = 0: floors, roads,
 * water, lava) is a thin floor tile: mechs stand on the bedrock below it and nav
 * nodes sit there, so a full cube would hide both.
 */
export function isFloorTile(type, z) {
  return z === 0 && !COLLIDING_TYPES.has(type);
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
const TOP_FACE_INDEX = 4;
const ALL_FACES = [0, 1, 2, 3, 4, 5];
const TOP_FACE_ONLY = [TOP_FACE_INDEX];

/**
 * What meshing needs of `world`: its size in voxels, the voxel size in metres, and
 * the walls inside it as [x, y, z, type] integers in world order (a wall with
 * coordinates that are not whole numbers inside the size names no voxel and is left
 * out; a wall without a type is type 1). Throws on a world without a size.
 */
export function packWorld(world) {
  if (!world || typeof world !== 'object' || !Array.isArray(world.size) || world.size.length !== 3) {
    throw new Error('the world has no size [x, y, z]');
  }
  const voxelSize = Number(world.voxel_size_m) > 0 ? Number(world.voxel_size_m) : 5.0;
  const size = world.size.map((n) => Math.max(0, n | 0));
  const [sx, sy, sz] = size;
  const sourceWalls = Array.isArray(world.walls) ? world.walls : [];
  const walls = new Int32Array(sourceWalls.length * 4);
  let packed = 0;
  for (const wall of sourceWalls) {
    if (!Array.isArray(wall)) continue;
    const x = wall[0];
    const y = wall[1];
    const z = wall[2];
    if (!(Number.isInteger(x) && Number.isInteger(y) && Number.isInteger(z))) continue;
    if (!(x >= 0 && x < sx && y >= 0 && y < sy && z >= 0 && z < sz)) continue;
    walls[packed] = x;
    walls[packed + 1] = y;
    walls[packed + 2] = z;
    walls[packed + 3] = wall.length > 3 ? wall[3] & 0xff : 1;
    packed += 4;
  }
  return { size, voxelSize, walls: walls.subarray(0, packed) };
}

/** The walls as a dense grid of voxel types (0 = empty); the last wall at a cell wins. */
export function rasterizeWalls(size, walls) {
  const [sx, sy, sz] = size;
  const cells = new Uint8Array(sx * sy * sz);
  for (let i = 0; i + 3 < walls.length; i += 4) {
    const x = walls[i];
    const y = walls[i + 1];
    const z = walls[i + 2];
    if (!(x >= 0 && x < sx && y >= 0 && y < sy && z >= 0 && z < sz)) continue;
    cells[(z * sy + y) * sx + x] = walls[i + 3];
  }
  return { sx, sy, sz, cells };
}

/**
 * Bit f of the result says face f (CUBE_FACES order) of the cell is drawn. A face
 * is drawn when the cell behind it does not hide it: opaque voxels hide everything,
 * translucent ones hide faces of their own type, floor tiles and empty cells hide
 * nothing. Floor tiles only get their top face, and nothing gets a face against the ground.
 */
function visibleFaces({ sx, sy, sz, cells }, translucent, x, y, z, type) {
  const typeAt = (cx, cy, cz) => (cx < 0 || cy < 0 || cz < 0 || cx >= sx || cy >= sy || cz >= sz ? 0 : cells[(cz * sy + cy) * sx + cx]);
  let mask = 0;
  for (const f of isFloorTile(type, z) ? TOP_FACE_ONLY : ALL_FACES) {
    const [nx, ny, nz] = CUBE_FACES[f].normal;
    if (z === 0 && nz === -1) continue;
    const neighbour = typeAt(x + nx, y + ny, z + nz);
    const hidden = neighbour !== 0 && !isFloorTile(neighbour, z + nz)
      && (!translucent[neighbour] || (translucent[type] && neighbour === type));
    if (!hidden) mask |= 1 << f;
  }
  return mask;
}

function countBits(mask) {
  let count = 0;
  for (let m = mask; m; m &= m - 1) count += 1;
  return count;
}

function allocateFaces(faceCount) {
  const index = new Uint32Array(faceCount * 6);
  for (let q = 0; q < faceCount; q += 1) {
    const v = q * 4;
    index.set([v, v + 1, v + 2, v, v + 2, v + 3], q * 6);
  }
  return {
    positions: new Float32Array(faceCount * 12),
    normals: new Int8Array(faceCount * 12),
    colors: new Uint8Array(faceCount * 12),
    index,
    written: 0, // faces filled so far
  };
}

function writeFace(target, face, x, y, z, height, voxelSize, r, g, b) {
  const [nx, ny, nz] = face.normal;
  let offset = target.written * 12;
  for (const [cx, cy, cz] of face.corners) {
    target.positions[offset] = (x + cx) * voxelSize;
    target.positions[offset + 1] = (y + cy) * voxelSize;
    target.positions[offset + 2] = (z + cz * height) * voxelSize;
    target.normals[offset] = nx * 127;
    target.normals[offset + 1] = ny * 127;
    target.normals[offset + 2] = nz * 127;
    target.colors[offset] = r;
    target.colors[offset + 1] = g;
    target.colors[offset + 2] = b;
    offset += 3;
  }
  target.written += 1;
}

/**
 * The faces worth drawing, in the order z, y, x, face: one pass finds each voxel's
 * visible faces and counts them, a second fills arrays of exactly that size.
 */
export function buildVoxelFaces(grid, voxelSize, palette, translucent) {
  const { sx, sy, sz, cells } = grid;
  const masks = new Uint8Array(cells.length);
  let opaqueFaces = 0;
  let translucentFaces = 0;
  let voxelsWithFaces = 0;
  for (let z = 0; z < sz; z += 1) {
    for (let y = 0; y < sy; y += 1) {
      for (let x = 0; x < sx; x += 1) {
        const cell = (z * sy + y) * sx + x;
        const type = cells[cell];
        if (type === 0) continue;
        const mask = visibleFaces(grid, translucent, x, y, z, type);
        if (mask === 0) continue;
        masks[cell] = mask;
        voxelsWithFaces += 1;
        if (translucent[type]) translucentFaces += countBits(mask);
        else opaqueFaces += countBits(mask);
      }
    }
  }

  const opaque = allocateFaces(opaqueFaces);
  const see = allocateFaces(translucentFaces);
  for (let z = 0; z < sz; z += 1) {
    // Higher voxels slightly brighter, so stacked walls read as volumes.
    const shade = 0.78 + 0.22 * (z / Math.max(1, sz - 1));
    for (let y = 0; y < sy; y += 1) {
      for (let x = 0; x < sx; x += 1) {
        const cell = (z * sy + y) * sx + x;
        const mask = masks[cell];
        if (mask === 0) continue;
        const type = cells[cell];
        const target = translucent[type] ? see : opaque;
        const height = isFloorTile(type, z) ? FLOOR_TILE_HEIGHT : 1;
        const r = Math.round(palette[type * 3] * shade * 255);
        const g = Math.round(palette[type * 3 + 1] * shade * 255);
        const b = Math.round(palette[type * 3 + 2] * shade * 255);
        for (let f = 0; f < 6; f += 1) {
          if (mask & (1 << f)) writeFace(target, CUBE_FACES[f], x, y, z, height, voxelSize, r, g, b);
        }
      }
    }
  }
  const finish = ({ positions, normals, colors, index }) => ({ positions, normals, colors, index, slices: slicesOf(positions) });
  return { opaque: finish(opaque), translucent: finish(see), voxelsWithFaces };
}

/** Bounding sphere of vertices [first, end) of `positions`, as three.js's computeBoundingSphere finds it. */
function boundingSphere(positions, first, end) {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let v = first; v < end; v += 1) {
    for (let axis = 0; axis < 3; axis += 1) {
      const value = positions[v * 3 + axis];
      if (value < min[axis]) min[axis] = value;
      if (value > max[axis]) max[axis] = value;
    }
  }
  const center = [0, 1, 2].map((axis) => (min[axis] + max[axis]) * 0.5);
  let maxDistanceSq = 0;
  for (let v = first; v < end; v += 1) {
    const dx = center[0] - positions[v * 3];
    const dy = center[1] - positions[v * 3 + 1];
    const dz = center[2] - positions[v * 3 + 2];
    maxDistanceSq = Math.max(maxDistanceSq, dx * dx + dy * dy + dz * dz);
  }
  return { center, radius: Math.sqrt(maxDistanceSq) };
}

function slicesOf(positions) {
  const faceCount = positions.length / 12;
  const slices = [];
  for (let firstFace = 0; firstFace < faceCount; firstFace += SLICE_FACES) {
    const count = Math.min(SLICE_FACES, faceCount - firstFace);
    slices.push({ firstFace, faceCount: count, ...boundingSphere(positions, firstFace * 4, (firstFace + count) * 4) });
  }
  return slices;
}

/** The buffers of a built world, to hand to postMessage as transferables. */
export function transferablesOf(built) {
  return [built.opaque, built.translucent].flatMap((faces) => [
    faces.positions.buffer, faces.normals.buffer, faces.colors.buffer, faces.index.buffer]);
}

/**
 * A world to drawable faces: {voxelSize, extent [x, y, z] in metres, opaque,
 * translucent, voxelsWithFaces}.
 */
export function meshWorld(world, palette, translucent) {
  const { size, voxelSize, walls } = packWorld(world);
  const faces = buildVoxelFaces(rasterizeWalls(size, walls), voxelSize, palette, translucent);
  return { voxelSize, extent: size.map((n) => n * voxelSize), ...faces };
}
