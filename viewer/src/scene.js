// Renderer, camera, lights and orbit controls. The simulation is z-up with x/y on
// the ground, so the camera's up is +z and world coordinates go into three.js as
// they are: no axis swapping anywhere else in the viewer.

import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const BACKGROUND = 0x0d1117;

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

  /** Applies orbit input; call before layers that face the camera read its orientation. */
  updateCamera() {
    this.controls.update();
    this.camera.updateMatrixWorld();
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

  /** Canvas-relative pixel position of a world point, written into `out` ({x, y, visible}). */
  projectToCanvas(x, y, z, out, scratch) {
    scratch.set(x, y, z).project(this.camera);
    const canvas = this.renderer.domElement;
    out.x = (scratch.x * 0.5 + 0.5) * canvas.clientWidth;
    out.y = (-scratch.y * 0.5 + 0.5) * canvas.clientHeight;
    out.visible = scratch.z > -1 && scratch.z < 1 && Math.abs(scratch.x) <= 1 && Math.abs(scratch.y) <= 1;
    return out;
  }

  dispose() {
    this.resizeObserver.disconnect();
    this.controls.dispose();
    this.renderer.dispose();
  }
}
