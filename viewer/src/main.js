// Entry point: wires the event stream, the replay store, playback, the 3D layers
// and the UI together. Data flows one way: stream events update the store,
// playback picks the frame, the layers draw it, the UI shows the state.

import * as THREE from 'three';
import { EventStream } from './stream.js';
import { Replay, ReplayStore } from './replay_store.js';
import { WorldCache } from './world_cache.js';
import { Playback } from './playback.js';
import { SceneView } from './scene.js';
import { WorldLayer } from './world_layer.js';
import { MechLayer } from './mech_layer.js';
import { EffectsLayer } from './effects_layer.js';
import { NavLayer } from './nav_layer.js';
import { ViewerUI } from './ui.js';
import { Inspector } from './inspector.js';
import { RateMeter } from './rate_meter.js';
import { installTestHook } from './test_hook.js';

const UI_REFRESH_MS = 100;
const WORLD_RETRY_MS = 3000;
const CLICK_SLOP_PX = 5; // a pointer that moved further was orbiting, not clicking

class ViewerApp {
  constructor(doc) {
    this.view = new SceneView(doc.getElementById('viewport'));
    this.worldLayer = new WorldLayer(this.view.scene);
    this.mechLayer = new MechLayer(this.view.scene);
    this.effects = new EffectsLayer(this.view.scene);
    this.nav = new NavLayer(this.view.scene, () => this.markUiDirty());

    this.store = new ReplayStore();
    this.worlds = new WorldCache();
    this.playback = new Playback({
      onFrameEntered: (frame) => this.effects.spawnFrameEvents(frame),
      onJump: () => {
        this.restartEffects();
        this.markUiDirty();
      },
    });
    this.stayOnCurrent = false;
    this.selectedMechId = null;
    this.shownWorldHash = null;
    this.worldRequest = 0;
    this.worldError = '';
    this.orphanChunks = 0;

    this.ui = new ViewerUI(doc, {
      togglePlay: () => this.playback.togglePlaying(),
      stepBack: () => this.playback.stepBack(),
      stepForward: () => this.playback.stepForward(),
      seek: (t) => this.playback.seek(t),
      setSpeed: (speed) => this.playback.setSpeed(speed),
      toggleNavGraph: () => this.nav.setGraphVisible(!this.nav.graphVisible),
      togglePaths: () => this.nav.setPathsVisible(!this.nav.pathsVisible),
      setStayOnCurrent: (stay) => this.setStayOnCurrent(stay),
      showNewestReplay: () => this.showNewestReplay(),
      closeInspector: () => this.selectMech(null),
    });
    this.inspector = new Inspector(doc, () => this.selectMech(null));
    this.stream = new EventStream({
      onEvent: (type, data) => this.handleStreamEvent(type, data),
      onStateChange: () => this.markUiDirty(),
    });

    this.streamRate = new RateMeter();
    this.renderRate = new RateMeter();
    this.framesRendered = 0;
    this.lastAnimateMs = null;
    this.lastUiMs = -Infinity;
    this.uiDirty = true;
    this.installPicking();
  }

  start() {
    this.stream.start();
    this.view.renderer.setAnimationLoop((now) => this.animate(now));
  }

  /** Something visible changed: refresh the status text and draw the next frame. */
  markUiDirty() {
    this.uiDirty = true;
    this.view.requestRender();
  }

  // ---- stream events ------------------------------------------------------

  handleStreamEvent(type, data) {
    if (!data || typeof data !== 'object') return;
    if (type === 'replay_start') this.onReplayStart(data);
    else if (type === 'replay_chunk') this.onReplayChunk(data);
    else if (type === 'replay_end') this.onReplayEnd(data);
    else if (type === 'world') this.worlds.put(data.hash, data.data);
    this.markUiDirty();
  }

  onReplayStart(data) {
    if (data.replay_id === undefined || !data.world_ref) return;
    if (this.store.get(String(data.replay_id))) return; // announced again after a resume
    if (data.world) this.worlds.put(data.world_ref, data.world);
    const replay = new Replay(data);
    const displayedChanged = this.store.add(replay, !this.stayOnCurrent);
    this.worlds.retainOnly(this.store.worldRefsInUse());
    this.worlds.get(replay.worldRef).catch(() => {}); // prefetch; errors surface when shown
    if (displayedChanged) this.showReplay(replay);
  }

  onReplayChunk(data) {
    const replay = this.store.get(String(data.replay_id));
    if (!replay) {
      this.orphanChunks += 1; // its replay_start came before we connected, or it was evicted
      return;
    }
    if (!replay.addChunk(data.chunk_index, data.frames)) return;
    this.streamRate.add(data.frames.length);
    if (replay === this.store.displayed) this.playback.onChunksChanged();
  }

  onReplayEnd(data) {
    const replay = this.store.get(String(data.replay_id));
    if (replay) replay.markComplete();
  }

  // ---- what is on screen ----------------------------------------------------

  showReplay(replay) {
    this.playback.load(replay);
    this.mechLayer.reset();
    this.effects.reset();
    this.loadWorld(replay.worldRef);
  }

  loadWorld(hash) {
    const request = ++this.worldRequest; // any older request in flight is now stale
    this.worldError = '';
    if (hash === this.shownWorldHash) return;
    this.worlds.get(hash).then((world) => {
      if (request !== this.worldRequest) return;
      this.applyWorld(hash, world);
    }).catch((error) => {
      if (request !== this.worldRequest) return;
      this.worldError = `World ${hash} unavailable (${error.message}); retrying`;
      this.markUiDirty();
      setTimeout(() => {
        if (request === this.worldRequest) this.loadWorld(hash);
      }, WORLD_RETRY_MS);
    });
  }

  applyWorld(hash, world) {
    try {
      const [x, y, z] = this.worldLayer.setWorld(world);
      this.view.frameWorld(x, y, z);
    } catch (error) {
      this.worldError = `World ${hash} could not be drawn: ${error.message}`;
      console.warn(this.worldError);
    }
    this.shownWorldHash = hash;
    this.nav.setWorld(hash);
    this.markUiDirty();
  }

  restartEffects() {
    this.effects.reset();
    const frame = this.playback.currentFrame();
    if (frame) this.effects.spawnFrameEvents(frame);
  }

  setStayOnCurrent(stay) {
    this.stayOnCurrent = stay;
    if (!stay) this.showNewestReplay();
    this.markUiDirty();
  }

  showNewestReplay() {
    if (this.store.switchToNewest()) this.showReplay(this.store.displayed);
    this.markUiDirty();
  }

  selectMech(mechId) {
    this.selectedMechId = mechId;
    this.markUiDirty();
    this.mechLayer.setSelected(mechId);
    if (mechId === null) {
      this.inspector.close();
      return;
    }
    // Fill the panel now, not on the next animation frame: it must never show up empty.
    this.inspector.open(mechId);
    this.inspector.update(this.playback.currentFrame());
  }

  installPicking() {
    const canvas = this.view.renderer.domElement;
    const raycaster = new THREE.Raycaster();
    const pointer = new THREE.Vector2();
    let downX = 0;
    let downY = 0;
    canvas.addEventListener('pointerdown', (event) => {
      downX = event.clientX;
      downY = event.clientY;
    });
    canvas.addEventListener('pointerup', (event) => {
      if (Math.hypot(event.clientX - downX, event.clientY - downY) > CLICK_SLOP_PX) return;
      const rect = canvas.getBoundingClientRect();
      pointer.set(((event.clientX - rect.left) / rect.width) * 2 - 1, -((event.clientY - rect.top) / rect.height) * 2 + 1);
      raycaster.setFromCamera(pointer, this.view.camera);
      const mechId = this.mechLayer.pick(raycaster);
      if (mechId) this.selectMech(mechId);
    });
  }

  // ---- per rendered frame -----------------------------------------------------

  animate(nowMs) {
    const dtSeconds = this.lastAnimateMs === null ? 0 : (nowMs - this.lastAnimateMs) / 1000;
    this.lastAnimateMs = nowMs;
    this.playback.advance(dtSeconds);
    this.view.updateCamera();

    const frame = this.playback.currentFrame();
    if (frame) {
      this.mechLayer.update(frame, this.playback.interpolationTarget, this.playback.interpolationAlpha, this.view.camera);
      this.worldLayer.updateObjective(frame.objective);
      this.inspector.update(frame);
      this.nav.update(frame, nowMs);
    }
    this.effects.update(this.playback.time, frame);
    if (this.playback.playing || this.effects.activeCount > 0 || this.view.renderRequested) {
      this.view.render();
      this.framesRendered += 1;
      this.renderRate.add(1, nowMs);
    }

    if (this.uiDirty || nowMs - this.lastUiMs >= UI_REFRESH_MS) {
      this.uiDirty = false;
      this.lastUiMs = nowMs;
      this.refreshUi(frame, nowMs);
    }
  }

  refreshUi(frame, nowMs) {
    const ui = this.ui;
    const replay = this.store.displayed;
    const playback = this.playback;
    ui.showConnection(this.stream.state, this.stream.secondsUntilRetry(nowMs));
    ui.showRates(this.streamRate.rate(nowMs), this.renderRate.rate(nowMs));
    ui.showReplayInfo(replay);
    ui.showPlayback({
      hasFrame: playback.hasFrame(),
      playing: playback.playing,
      time: playback.time,
      start: playback.startTime(),
      end: playback.endTime(),
      speed: playback.speed,
    });
    ui.showProgress(replay);
    ui.showNav({
      graphVisible: this.nav.graphVisible,
      graphText: this.nav.graphStatusText(),
      pathsVisible: this.nav.pathsVisible,
      pathsText: this.nav.pathStatusText(),
      pathsDetail: this.nav.pathStatusDetail(),
    });
    ui.showFollow(this.stayOnCurrent, this.store.hasNewerPending());
    ui.showScore(frame && frame.objective);
    ui.showEmptyHint(!frame);
    ui.showWorldError(this.worldError);
  }
}

const app = new ViewerApp(document);
installTestHook(app);
app.start();
