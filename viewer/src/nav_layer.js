// Navigation overlays: the nav graph (POST /nav/graph, fetched once per world and
// then shown or hidden instantly) and A* paths from each living mech to the
// objective (POST /nav/path, refreshed about once a second while they are shown).

import * as THREE from 'three';
import { fetchNavGraph, fetchNavPath } from './api.js';
import { teamColor } from './mech_layer.js';

const PATH_REFRESH_MS = 1000;
const NAV_LIFT_M = 0.2;          // above floor tiles (see world_layer.js)
const PATH_LIFT_M = 0.35;        // above the nav nodes the paths follow
const INITIAL_PATH_SEGMENTS = 4096;

function nodeKey(id) {
  return `${id[0]},${id[1]},${id[2]}`;
}

export class NavLayer {
  /** @param {() => void} onChange  called when the status text or counts change */
  constructor(scene, onChange) {
    this.scene = scene;
    this.onChange = onChange;
    this.group = new THREE.Group();
    this.group.name = 'nav';
    scene.add(this.group);

    this.nodeMaterial = new THREE.PointsMaterial({ color: 0x3cc9b4, size: 2, sizeAttenuation: false }); // pixels
    this.edgeMaterial = new THREE.LineBasicMaterial({ color: 0x1f8f80, transparent: true, opacity: 0.35, depthWrite: false });
    this.graphGroup = new THREE.Group();
    this.graphGroup.visible = false;
    this.group.add(this.graphGroup);

    this.pathMaterial = new THREE.LineBasicMaterial({ vertexColors: true, depthTest: false, transparent: true });
    this.pathGeometry = null;
    this.pathLines = null;
    this.allocatePathBuffer(INITIAL_PATH_SEGMENTS);
    this.color = new THREE.Color();
    this.white = new THREE.Color(0xffffff);

    this.worldHash = null;
    this.graphVisible = false;
    this.pathsVisible = false;
    this.resetWorldState();
  }

  resetWorldState() {
    this.graphState = 'none';  // none | loading | ready | error
    this.graphError = '';
    this.graphFetchMs = null;
    this.graphNodesDrawn = 0;
    this.graphEdgesDrawn = 0;
    this.graphAbort = null;
    this.pathsDrawn = 0;
    this.pathsRequested = 0;
    this.pathError = '';
    this.pathRequestAt = -Infinity;
    this.pathFrame = null;
    this.pathBatch = 0; // generation: answers of an older batch or world are dropped
    this.pathsInFlight = false;
  }

  /** Switches to another world: drops the old graph and paths, refetches what is shown. */
  setWorld(worldHash) {
    if (worldHash === this.worldHash) return;
    if (this.graphAbort) this.graphAbort.abort();
    this.clearGraph();
    this.clearPaths();
    this.resetWorldState();
    this.worldHash = worldHash;
    if (this.graphVisible) this.loadGraph();
    this.onChange();
  }

  setGraphVisible(visible) {
    this.graphVisible = visible;
    this.graphGroup.visible = visible;
    if (visible && this.worldHash && (this.graphState === 'none' || this.graphState === 'error')) this.loadGraph();
    this.onChange();
  }

  setPathsVisible(visible) {
    this.pathsVisible = visible;
    this.pathLines.visible = visible;
    this.pathRequestAt = -Infinity; // refresh at once when turned on
    this.pathFrame = null;
    this.onChange();
  }

  async loadGraph() {
    const worldHash = this.worldHash;
    const abort = new AbortController();
    this.graphAbort = abort;
    this.graphState = 'loading';
    this.onChange();
    const started = performance.now();
    try {
      const graph = await fetchNavGraph(worldHash, abort.signal);
      if (worldHash !== this.worldHash) return;
      this.graphFetchMs = performance.now() - started;
      this.buildGraph(graph);
      this.graphState = 'ready';
    } catch (error) {
      if (abort.signal.aborted || worldHash !== this.worldHash) return;
      this.graphState = 'error';
      this.graphError = error.message;
    } finally {
      if (this.graphAbort === abort) this.graphAbort = null;
    }
    this.onChange();
  }

  buildGraph(graph) {
    const nodes = Array.isArray(graph && graph.nodes) ? graph.nodes : [];
    const indexByKey = new Map();
    const nodePositions = new Float32Array(nodes.length * 3);
    nodes.forEach((node, i) => {
      indexByKey.set(nodeKey(node.id), i);
      nodePositions.set(node.pos, i * 3);
    });
    // Edges come in both directions; draw each pair once.
    const edgePositions = [];
    nodes.forEach((node, i) => {
      for (const neighbourId of node.edges || []) {
        const j = indexByKey.get(nodeKey(neighbourId));
        if (j === undefined) continue;
        if (j < i && (nodes[j].edges || []).some((back) => nodeKey(back) === nodeKey(node.id))) continue;
        edgePositions.push(...node.pos, ...nodes[j].pos);
      }
    });

    const nodeGeometry = new THREE.BufferGeometry();
    nodeGeometry.setAttribute('position', new THREE.BufferAttribute(nodePositions, 3));
    const edgeGeometry = new THREE.BufferGeometry();
    edgeGeometry.setAttribute('position', new THREE.Float32BufferAttribute(edgePositions, 3));
    const points = new THREE.Points(nodeGeometry, this.nodeMaterial);
    points.name = 'nav-nodes';
    const lines = new THREE.LineSegments(edgeGeometry, this.edgeMaterial);
    lines.name = 'nav-edges';
    // Lift the overlay above the floor tiles it sits on.
    points.position.z = NAV_LIFT_M;
    lines.position.z = NAV_LIFT_M;
    this.graphGroup.add(points, lines);
    this.graphNodesDrawn = nodes.length;
    this.graphEdgesDrawn = edgePositions.length / 6;
  }

  clearGraph() {
    for (const object of [...this.graphGroup.children]) {
      this.graphGroup.remove(object);
      object.geometry.dispose();
    }
  }

  allocatePathBuffer(segments) {
    if (this.pathGeometry) this.pathGeometry.dispose();
    this.pathCapacity = segments;
    this.pathPositions = new Float32Array(segments * 6);
    this.pathColors = new Float32Array(segments * 6);
    this.pathGeometry = new THREE.BufferGeometry();
    this.pathGeometry.setAttribute('position', new THREE.BufferAttribute(this.pathPositions, 3));
    this.pathGeometry.setAttribute('color', new THREE.BufferAttribute(this.pathColors, 3));
    this.pathGeometry.setDrawRange(0, 0);
    if (this.pathLines) {
      this.pathLines.geometry = this.pathGeometry;
    } else {
      this.pathLines = new THREE.LineSegments(this.pathGeometry, this.pathMaterial);
      this.pathLines.name = 'nav-paths';
      this.pathLines.frustumCulled = false;
      this.pathLines.renderOrder = 20;
      this.pathLines.visible = false;
      this.group.add(this.pathLines);
    }
  }

  clearPaths() {
    this.pathGeometry.setDrawRange(0, 0);
    this.pathsDrawn = 0;
  }

  /** Called every rendered frame; asks for fresh paths when they are shown and stale. */
  update(frame, now) {
    if (!this.pathsVisible || !this.worldHash || !frame || this.pathsInFlight) return;
    if (frame === this.pathFrame || now - this.pathRequestAt < PATH_REFRESH_MS) return;
    this.pathFrame = frame;
    this.pathRequestAt = now;
    this.requestPaths(frame);
  }

  async requestPaths(frame) {
    const center = frame.objective && frame.objective.zone_center;
    if (!Array.isArray(center)) {
      this.clearPaths();
      this.pathError = 'no objective in frame';
      this.onChange();
      return;
    }
    const goal = [center[0], center[1], 0];
    const living = Object.entries(frame.mechs || {}).filter(([, mech]) => mech && mech.alive !== false && Array.isArray(mech.pos));
    const batch = ++this.pathBatch;
    const worldHash = this.worldHash;
    this.pathsInFlight = true;
    const answers = await Promise.allSettled(living.map(([, mech]) => fetchNavPath(worldHash, mech.pos, goal)));
    this.pathsInFlight = false;
    if (batch !== this.pathBatch || worldHash !== this.worldHash) return;

    const found = [];
    let firstError = '';
    answers.forEach((answer, i) => {
      if (answer.status === 'fulfilled' && answer.value && answer.value.found && Array.isArray(answer.value.path)) {
        found.push({ team: living[i][1].team, path: answer.value.path });
      } else if (!firstError) {
        firstError = answer.status === 'rejected' ? answer.reason.message : (answer.value && answer.value.error) || 'search limit';
      }
    });
    this.pathsRequested = living.length;
    this.pathError = firstError;
    this.drawPaths(found);
    this.onChange();
  }

  drawPaths(found) {
    const segments = found.reduce((sum, { path }) => sum + Math.max(0, path.length - 1), 0);
    if (segments > this.pathCapacity) this.allocatePathBuffer(Math.ceil(segments * 1.5));
    let vertex = 0;
    for (const { team, path } of found) {
      this.color.setHex(teamColor(team)).lerp(this.white, 0.35);
      for (let i = 0; i + 1 < path.length; i += 1) {
        this.writePathVertex(vertex++, path[i]);
        this.writePathVertex(vertex++, path[i + 1]);
      }
    }
    this.pathGeometry.attributes.position.needsUpdate = true;
    this.pathGeometry.attributes.color.needsUpdate = true;
    this.pathGeometry.setDrawRange(0, vertex);
    this.pathsDrawn = found.length;
  }

  writePathVertex(vertex, point) {
    const o = vertex * 3;
    this.pathPositions[o] = point[0];
    this.pathPositions[o + 1] = point[1];
    this.pathPositions[o + 2] = point[2] + PATH_LIFT_M;
    this.pathColors[o] = this.color.r;
    this.pathColors[o + 1] = this.color.g;
    this.pathColors[o + 2] = this.color.b;
  }

  graphStatusText() {
    switch (this.graphState) {
      case 'loading': return 'loading…';
      case 'error': return `error: ${this.graphError}`;
      case 'ready': return `${this.graphNodesDrawn.toLocaleString('en-US')} nodes · ${Math.round(this.graphFetchMs)} ms`;
      default: return '';
    }
  }

  pathStatusText() {
    if (!this.pathsVisible) return '';
    if (this.pathsRequested === 0) return this.pathError || 'loading…';
    const text = `${this.pathsDrawn}/${this.pathsRequested} found`;
    const failed = this.pathsRequested - this.pathsDrawn;
    return failed > 0 ? `${text} · ${failed} without path` : text;
  }

  /** Why paths are missing (the first error of the last batch), for the status tooltip. */
  pathStatusDetail() {
    return this.pathsVisible ? this.pathError : '';
  }

  dispose() {
    if (this.graphAbort) this.graphAbort.abort();
    this.clearGraph();
    this.scene.remove(this.group);
    for (const resource of [this.nodeMaterial, this.edgeMaterial, this.pathMaterial, this.pathGeometry]) resource.dispose();
  }
}
