// Renderer, camera, lights and orbit controls. The simulation is z-up with x/y on
// the ground, so the camera's up is +z and world coordinates go into three.js as
// they are: no axis swapping anywhere else in the viewer.

import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const BACKGROUND = 0x0d1117;
const FOLLOW_RATE = 6; // 1/s: how fast the followed point catches up (exponential, frame-rate independent)

/**
 * True when WebGL runs in software (SwiftShader, llvmpipe: no GPU, e.g. a headless
 * test browser or a VM). Multisampling there costs more than everything else.
 */
function isSoftwareRenderer() {
  const canvas = document.createElement('canvas');
  const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
  if (!gl) return false;
  const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(debugInfo ? debugInfo.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  const loseContext = gl.getExtension('WEBGL_lose_context');
  if (loseContext) loseContext.loseContext();
  return /swiftshader|llvmpipe|softpipe|software/i.test(name);
}

export class SceneView {
  constructor(container) {
    this.container = container;
    this.softwareRendering = isSoftwareRenderer();
    this.renderer = new THREE.WebGLRenderer({ antialias: !this.softwareRendering });
    this.renderer.setPixelRatio(this.softwareRendering ? 1 : Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.setClearColor(BACKGROUND);
    this.renderer.domElement.className = 'viewport-canvas';
    container.prepend(this.renderer.domElement);

    this.scene = new THREE.Scene();
    this.scene.fog = new THREE.Fog(BACKGROUND, 400, 900);

    this.camera = new THREE.PerspectiveCamera(50, 1, 0.1, 2000);
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(60, -40, 70);

    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = true;
    this.controls.maxPolarAngle = Math.PI * 0.49; // stay above the ground
    this.controls.target.set(50, 50, 0);
    // Draw only when something changed: a paused viewer costs nothing.
    this.renderRequested = true;
    this.controls.addEventListener('change', () => this.requestRender());

    this.scene.add(new THREE.HemisphereLight(0xdfe8ff, 0x2a2f3a, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(0.4, -0.6, 1).normalize();
    this.scene.add(sun);

    this.framedSize = null;
    this.framedExtent = null;
    this.followDelta = new THREE.Vector3();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  resize() {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender() {
    this.renderRequested = true;
  }

  /** Points the camera at a new world, unless it has the same extent as the last one (keeps the user's view). */
  frameWorld(extentX, extentY, extentZ) {
    const key = `${extentX}x${extentY}x${extentZ}`;
    if (this.framedSize === key) return;
    this.framedSize = key;
    this.framedExtent = [extentX, extentY, extentZ];
    const span = Math.max(extentX, extentY);
    this.controls.target.set(extentX / 2, extentY / 2, 0);
    this.camera.position.set(extentX / 2, extentY / 2 - span * 0.76, span * 1.02);
    this.camera.far = span * 10;
    this.scene.fog.near = span * 1.5;
    this.scene.fog.far = span * 4;
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.requestRender();
  }

  /** Back to the view of the whole world (key R). */
  resetView() {
    if (!this.framedExtent) return;
    this.framedSize = null;
    this.frameWorld(...this.framedExtent);
  }

  /**
   * Moves the orbit target (and the camera with it, keeping the user's angle and
   * distance) toward `point`, smoothly: a follow camera that does not jump when
   * playback seeks.
   */
  followPoint(point, dtSeconds) {
    const blend = dtSeconds > 0 ? 1 - Math.exp(-FOLLOW_RATE * dtSeconds) : 0;
    this.followDelta.subVectors(point, this.controls.target).multiplyScalar(blend);
    if (this.followDelta.lengthSq() < 1e-8) return;
    this.controls.target.add(this.followDelta);
    this.camera.position.add(this.followDelta);
    this.requestRender();
  }

  /** Camera position and orbit target as six numbers (for links). */
  cameraState() {
    const p = this.camera.position;
    const t = this.controls.target;
    return [p.x, p.y, p.z, t.x, t.y, t.z].map((v) => Math.round(v * 100) / 100);
  }

  setCameraState(values) {
    if (!Array.isArray(values) || values.length !== 6 || !values.every(Number.isFinite)) return false;
    this.camera.position.set(values[0], values[1], values[2]);
    this.controls.target.set(values[3], values[4], values[5]);
    this.controls.update();
    this.requestRender();
    return true;
  }

  /** A PNG of the view as it is now (rendered in the same task: the drawing buffer is not kept). */
  snapshotPng() {
    this.render();
    return new Promise((resolve, reject) => {
      this.renderer.domElement.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas gave no image'))), 'image/png');
    });
  }

  /** Applies orbit input; call before layers that face the camera read its orientation. */
  updateCamera() {
    this.controls.update();
    this.camera.updateMatrixWorld();
  }

  /**
   * Compiles the shaders `object` (e.g. the scene) needs, without waiting on the
   * compiler where the browser can (KHR_parallel_shader_compile). Otherwise the first
   * draw of each material waits for it on the main thread: hundreds of ms with
   * software WebGL, in the middle of playback when an effect first appears.
   */
  precompile(object) {
    return this.renderer.compileAsync(object, this.camera, this.scene).then(() => {
      // Without that extension the first draw still waits for the link result (a sync call that also
      // waits for every frame queued on the GPU): ask for it now, before any replay plays.
      for (const program of this.renderer.info.programs) program.getUniforms();
    }).catch((error) => {
      console.warn(`shader precompile failed: ${error.message}`); // the first draw compiles them instead
    });
  }

  render() {
    this.renderRequested = false;
    this.renderer.render(this.scene, this.camera);
  }

  /**
   * Renders and reads back a grid of pixels in the same task (the drawing buffer
   * is not preserved afterwards). For tests: proves the canvas really draws.
   * Returns how many distinct colours the grid has and how many differ from the background.
   */
  samplePixels(gridSize = 16) {
    this.render();
    const gl = this.renderer.getContext();
    const width = gl.drawingBufferWidth;
    const height = gl.drawingBufferHeight;
    const pixel = new Uint8Array(4);
    const background = [(BACKGROUND >> 16) & 0xff, (BACKGROUND >> 8) & 0xff, BACKGROUND & 0xff];
    const colors = new Set();
    let nonBackground = 0;
    for (let gy = 0; gy < gridSize; gy += 1) {
      for (let gx = 0; gx < gridSize; gx += 1) {
        const x = Math.floor(((gx + 0.5) / gridSize) * width);
        const y = Math.floor(((gy + 0.5) / gridSize) * height);
        gl.readPixels(x, y, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
        colors.add((pixel[0] << 16) | (pixel[1] << 8) | pixel[2]);
        const isBackground = Math.abs(pixel[0] - background[0]) < 3 && Math.abs(pixel[1] - background[1]) < 3
          && Math.abs(pixel[2] - background[2]) < 3;
        if (!isBackground) nonBackground += 1;
      }
    }
    return { width, height, samples: gridSize * gridSize, distinctColors: colors.size, nonBackground };
  }

  /** The canvas' size in CSS pixels, {width, height} (reading it may lay the page out). */
  canvasSize() {
    const canvas = this.renderer.domElement;
    return { width: canvas.clientWidth, height: canvas.clientHeight };
  }

  /**
   * Canvas-relative pixel position of a world point, written into `out` ({x, y, visible}).
   * Projecting many points after changing the page: pass `size` (canvasSize(), read
   * once before the changes), or each call lays the page out again.
   */
  projectToCanvas(x, y, z, out, scratch, size = this.canvasSize()) {
    scratch.set(x, y, z).project(this.camera);
    out.x = (scratch.x * 0.5 + 0.5) * size.width;
    out.y = (-scratch.y * 0.5 + 0.5) * size.height;
    out.visible = scratch.z > -1 && scratch.z < 1 && Math.abs(scratch.x) <= 1 && Math.abs(scratch.y) <= 1;
    return out;
  }

  dispose() {
    this.resizeObserver.disconnect();
    this.controls.dispose();
    this.renderer.dispose();
  }
}
