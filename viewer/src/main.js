// Entry point: wires the event stream, the replay store, playback, the 3D layers
// and the UI together. Data flows one way: stream events (and library chunks)
// update the store, playback picks the frame, the layers draw it, the UI shows
// the state. The researcher's tools (picker, links, follow camera, markers,
// export, login) are intents on this app; each lives in its own module.

import * as THREE from 'three';
import { EventStream } from './stream.js';
import { Replay, ReplayStore } from './replay_store.js';
import { WorldCache } from './world_cache.js';
import { Playback, SPEEDS } from './playback.js';
import { SceneView } from './scene.js';
import { WorldLayer } from './world_layer.js';
import { MechLayer, teamColor } from './mech_layer.js';
import { EffectsLayer } from './effects_layer.js';
import { NavLayer } from './nav_layer.js';
import { LabelLayer } from './label_layer.js';
import { ViewerUI } from './ui.js';
import { Inspector } from './inspector.js';
import { RateMeter } from './rate_meter.js';
import { MarkerIndex } from './markers.js';
import { Timeline, cssTeamColor } from './timeline.js';
import { ReplayPicker } from './picker.js';
import { LibraryLoader } from './library_loader.js';
import { parseViewFragment, formatViewFragment } from './deep_link.js';
import { fetchReplayList, postSession, replayDownloadUrl } from './api.js';
import { installTestHook } from './test_hook.js';

const UI_REFRESH_MS = 100;
const WORLD_RETRY_MS = 3000;
const CLICK_SLOP_PX = 5; // a pointer that moved further was orbiting, not clicking
const JUMP_S = 5;
const LINK_SEARCH_PAGES = 20; // pages of 200 replays searched for a linked replay

/** Starts a browser download of `href` as `fileName`. */
function download(doc, href, fileName) {
  const anchor = doc.createElement('a');
  anchor.href = href;
  anchor.download = fileName;
  anchor.hidden = true;
  doc.body.append(anchor);
  anchor.click();
  anchor.remove();
}

class ViewerApp {
  constructor(doc) {
    this.doc = doc;
    const viewport = doc.getElementById('viewport');
    this.view = new SceneView(viewport);
    this.worldLayer = new WorldLayer(this.view.scene);
    this.mechLayer = new MechLayer(this.view.scene);
    this.effects = new EffectsLayer(this.view.scene);
    this.nav = new NavLayer(this.view.scene, () => this.markUiDirty());
    this.labels = new LabelLayer(viewport, (team) => cssTeamColor(team, teamColor));

    this.store = new ReplayStore();
    this.worlds = new WorldCache((source) => this.worldLayer.buildWorld(source));
    this.playback = new Playback({
      onFrameEntered: (frame) => this.effects.spawnFrameEvents(frame),
      onJump: () => {
        this.restartEffects();
        this.markUiDirty();
      },
    });
    this.markers = new MarkerIndex();
    this.stayOnCurrent = false;
    this.speedPinned = false;
    this.selectedMechId = null;
    this.followedMechId = null;
    this.shownWorldHash = null;
    this.worldRequest = 0;
    this.worldError = '';
    this.orphanChunks = 0;
    this.liveAnnouncement = null; // the stream's newest replay_start, and whether it ended
    this.helpVisible = false;
    this.loginError = '';
    this.lastLink = '';
    this.libraryError = '';
    this.pendingLink = parseViewFragment(doc.defaultView.location.hash);
    if (!this.pendingLink.replayId) this.pendingLink = null;
    if (this.pendingLink) this.stayOnCurrent = true; // a link shows its replay, not the newest

    this.ui = new ViewerUI(doc, this.intents());
    this.inspector = new Inspector(doc, () => this.selectMech(null));
    this.timeline = new Timeline(doc, { index: this.markers, teamColor, seek: (t) => this.playback.seek(t) });
    this.stream = new EventStream({
      onEvent: (type, data) => this.handleStreamEvent(type, data),
      onStateChange: () => this.markUiDirty(),
    });
    this.loader = new LibraryLoader({
      fetchChunk: (url) => this.stream.fetchChunk(url),
      onChunk: (replay) => this.onReplayChunksChanged(replay),
      onError: (error) => {
        this.libraryError = `Library: ${error.message}`;
        if (error.status === 401) this.loginError = 'Log in to load stored replays';
        this.markUiDirty();
      },
    });
    this.picker = new ReplayPicker(doc, {
      onChoose: (entry) => this.showLibraryEntry(entry),
      onChooseLive: () => this.showLive(),
      liveReplay: () => this.liveReplayForPicker(),
      shownReplayId: () => (this.store.displayed ? this.store.displayed.id : null),
      onUnauthorized: () => this.markUiDirty(),
    });
    doc.getElementById('push-hint-command').textContent = `echelon-push --http ${doc.defaultView.location.origin} replay.json`;

    this.streamRate = new RateMeter();
    this.renderRate = new RateMeter();
    this.framesRendered = 0;
    this.lastAnimateMs = null;
    this.lastUiMs = -Infinity;
    this.uiDirty = true;
    this.followPoint = new THREE.Vector3();
    this.installPicking();
  }

  /** What the UI's controls and keys can ask for. */
  intents() {
    const playback = this.playback;
    return {
      togglePlay: () => playback.togglePlaying(),
      stepBack: () => playback.stepBack(),
      stepForward: () => playback.stepForward(),
      jumpBack: () => playback.seek(playback.time - JUMP_S),
      jumpForward: () => playback.seek(playback.time + JUMP_S),
      goToStart: () => playback.seek(playback.startTime()),
      goToEnd: () => playback.seek(playback.endTime()),
      slower: () => this.changeSpeed(-1),
      faster: () => this.changeSpeed(1),
      previousMarker: () => this.jumpToMarker(false),
      nextMarker: () => this.jumpToMarker(true),
      seek: (t) => playback.seek(t),
      setSpeed: (speed) => playback.setSpeed(speed),
      setSpeedPinned: (pinned) => { this.speedPinned = pinned; },
      toggleNavGraph: () => this.nav.setGraphVisible(!this.nav.graphVisible),
      togglePaths: () => this.nav.setPathsVisible(!this.nav.pathsVisible),
      setStayOnCurrent: (stay) => this.setStayOnCurrent(stay),
      showNewestReplay: () => this.showNewestReplay(),
      closeInspector: () => this.selectMech(null),
      followSelected: () => this.follow(this.selectedMechId),
      resetView: () => {
        this.follow(null);
        this.view.resetView();
      },
      escape: () => this.escape(),
      toggleHelp: () => {
        this.helpVisible = !this.helpVisible;
        this.markUiDirty();
      },
      retryNow: () => this.stream.retryNow(),
      login: (token) => this.login(token),
      copyLink: () => this.copyLink(),
      exportReplay: () => this.exportReplay(),
      exportPng: () => this.exportPng(),
    };
  }

  start() {
    // Every layer's objects exist from the start (pools, hidden): their shaders compile now, not mid-replay.
    this.view.precompile(this.view.scene);
    this.worldLayer.precompileShaders(this.view);
    this.stream.start();
    if (this.pendingLink) this.findLinkedReplay(this.pendingLink.replayId);
    // A link pasted into this tab's address bar changes only the fragment.
    this.doc.defaultView.addEventListener('hashchange', () => {
      if (this.doc.defaultView.location.href !== this.lastLink) this.openLink(this.doc.defaultView.location.hash);
    });
    this.view.renderer.setAnimationLoop((now) => this.animate(now));
  }

  /** Page teardown: every layer frees its GPU resources, the tab leaves the shared stream. */
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.loader.cancel();
    this.stream.stop();
    this.view.renderer.setAnimationLoop(null);
    for (const layer of [this.labels, this.nav, this.effects, this.mechLayer, this.worldLayer, this.view]) layer.dispose();
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
    const id = String(data.replay_id);
    this.liveAnnouncement = { replay_id: id, world_ref: data.world_ref, chunk_count: data.chunk_count, meta: data.meta, ended: false };
    if (this.store.get(id)) return; // announced again after a resume, or already loading from the library
    if (data.world) this.worlds.put(data.world_ref, data.world);
    const replay = new Replay(data);
    const linked = this.pendingLink && this.pendingLink.replayId === id;
    const displayedChanged = this.store.add(replay, !this.stayOnCurrent || linked);
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
    this.onReplayChunksChanged(replay);
  }

  onReplayEnd(data) {
    const id = String(data.replay_id);
    if (this.liveAnnouncement && this.liveAnnouncement.replay_id === id) this.liveAnnouncement.ended = true;
    const replay = this.store.get(id);
    if (replay) {
      replay.markComplete();
      this.onReplayChunksChanged(replay);
    }
  }

  onReplayChunksChanged(replay) {
    if (replay !== this.store.displayed) return;
    this.playback.onChunksChanged();
    this.markers.update();
    this.markUiDirty();
  }

  // ---- what is on screen ----------------------------------------------------

  showReplay(replay) {
    if (this.loader.replay && this.loader.replay !== replay) this.loader.cancel();
    if (!this.speedPinned) this.playback.setSpeed(1);
    this.playback.load(replay);
    this.mechLayer.reset();
    this.labels.reset();
    this.effects.reset();
    this.markers.reset(replay);
    this.markers.update();
    this.timeline.reset();
    this.follow(null);
    this.libraryError = '';
    this.loadWorld(replay.worldRef);
  }

  /** A replay chosen from the library: loaded chunk by chunk, and kept on screen when new ones arrive. */
  showLibraryEntry(entry) {
    if (!entry) return;
    const id = String(entry.replay_id);
    this.stayOnCurrent = true;
    let replay = this.store.get(id);
    if (!replay) {
      replay = new Replay(entry);
      replay.fromLibrary = true;
    }
    this.store.show(replay);
    this.worlds.retainOnly(this.store.worldRefsInUse());
    this.showReplay(replay);
    if (replay.chunksReceived < replay.chunkCount || !replay.complete) {
      this.loader.load(replay, { live: Boolean(entry.live) && !(entry.complete) });
    }
    this.markUiDirty();
  }

  /** Back to live: the stream's newest replay, following new ones. */
  showLive() {
    const announcement = this.liveAnnouncement;
    this.stayOnCurrent = false;
    this.pendingLink = null;
    if (announcement) {
      let replay = this.store.get(announcement.replay_id);
      if (!replay) {
        // Dropped from the page while another replay was shown: its earlier chunks come from the library.
        replay = new Replay(announcement);
        this.store.show(replay);
        this.showReplay(replay);
        this.loader.load(replay, { live: !announcement.ended });
      } else if (this.store.show(replay)) {
        this.showReplay(replay);
      }
      this.worlds.retainOnly(this.store.worldRefsInUse());
    }
    this.markUiDirty();
  }

  liveReplayForPicker() {
    const announcement = this.liveAnnouncement;
    if (!announcement) return null;
    return this.store.get(announcement.replay_id)
      || { id: announcement.replay_id, meta: announcement.meta || {}, complete: announcement.ended };
  }

  /**
   * Shows world `hash`: fetched and meshed in the worker (or cached), then swapped in.
   * Only the newest request is shown; a failed fetch is retried.
   */
  loadWorld(hash) {
    const request = ++this.worldRequest; // any older request in flight is now stale
    this.worldError = '';
    if (hash === this.shownWorldHash) return;
    this.worlds.get(hash).then((built) => {
      if (request === this.worldRequest) this.applyWorld(hash, built, null);
    }, (error) => {
      if (request !== this.worldRequest) return;
      if (error.stage === 'build') {
        this.applyWorld(hash, null, error);
        return;
      }
      this.worldError = `World ${hash} unavailable (${error.message}); retrying`;
      this.markUiDirty();
      setTimeout(() => {
        if (request === this.worldRequest) this.loadWorld(hash);
      }, WORLD_RETRY_MS);
    });
  }

  /** Puts a built world on screen, or says why it cannot be drawn (`error`). */
  applyWorld(hash, built, error) {
    if (error) {
      this.worldLayer.clearWorld();
      this.worldError = `World ${hash} could not be drawn: ${error.message}`;
      console.warn(this.worldError);
    } else {
      const [x, y, z] = this.worldLayer.showWorld(built);
      this.view.frameWorld(x, y, z);
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
    if (!stay) {
      this.showLive();
      return;
    }
    this.stayOnCurrent = true;
    this.markUiDirty();
  }

  showNewestReplay() {
    if (this.store.switchToNewest()) this.showReplay(this.store.displayed);
    this.markUiDirty();
  }

  changeSpeed(direction) {
    const index = SPEEDS.indexOf(this.playback.speed);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, index + direction))];
    this.playback.setSpeed(next);
    this.markUiDirty();
  }

  jumpToMarker(forward) {
    const marker = this.timeline.neighbour(this.playback.time, forward);
    if (marker) this.playback.seek(marker.t);
  }

  escape() {
    if (this.helpVisible) this.helpVisible = false;
    else if (this.picker.isOpen) this.picker.close();
    else if (this.followedMechId) this.follow(null);
    else this.selectMech(null);
    this.markUiDirty();
  }

  selectMech(mechId) {
    this.selectedMechId = mechId;
    this.markUiDirty();
    this.mechLayer.setSelected(mechId);
    if (mechId === null) {
      this.follow(null);
      this.inspector.close();
      return;
    }
    // Fill the panel now, not on the next animation frame: it must never show up empty.
    this.inspector.open(mechId);
    this.inspector.update(this.playback.currentFrame());
  }

  /** Follows `mechId` with the camera (null stops). */
  follow(mechId) {
    this.followedMechId = mechId || null;
    if (mechId && this.selectedMechId !== mechId) this.selectMech(mechId);
    this.markUiDirty();
  }

  installPicking() {
    const canvas = this.view.renderer.domElement;
    const raycaster = new THREE.Raycaster();
    const pointer = new THREE.Vector2();
    let downX = 0;
    let downY = 0;
    const mechAt = (event) => {
      const rect = canvas.getBoundingClientRect();
      pointer.set(((event.clientX - rect.left) / rect.width) * 2 - 1, -((event.clientY - rect.top) / rect.height) * 2 + 1);
      raycaster.setFromCamera(pointer, this.view.camera);
      return this.mechLayer.pick(raycaster);
    };
    canvas.addEventListener('pointerdown', (event) => {
      downX = event.clientX;
      downY = event.clientY;
    });
    canvas.addEventListener('pointermove', (event) => {
      // A drag (orbit or pan) takes the camera back from the follow; the wheel keeps it.
      if (event.buttons && this.followedMechId && Math.hypot(event.clientX - downX, event.clientY - downY) > CLICK_SLOP_PX) {
        this.follow(null);
      }
    });
    canvas.addEventListener('pointerup', (event) => {
      if (Math.hypot(event.clientX - downX, event.clientY - downY) > CLICK_SLOP_PX) return;
      const mechId = mechAt(event);
      if (mechId) this.selectMech(mechId);
    });
    canvas.addEventListener('dblclick', (event) => {
      const mechId = mechAt(event);
      if (mechId) this.follow(mechId);
    });
  }

  // ---- links, export, login ---------------------------------------------------

  currentView() {
    const replay = this.store.displayed;
    return {
      replayId: replay ? replay.id : null,
      time: this.playback.hasFrame() ? this.playback.time : null,
      follow: this.followedMechId,
      camera: this.view.cameraState(),
    };
  }

  async copyLink() {
    const win = this.doc.defaultView;
    const url = `${win.location.origin}${win.location.pathname}#${formatViewFragment(this.currentView())}`;
    win.history.replaceState(null, '', url);
    this.lastLink = url;
    let copied = false;
    try {
      await win.navigator.clipboard.writeText(url);
      copied = true;
    } catch {
      copied = false; // no clipboard outside a secure context: the link is in the address bar
    }
    this.ui.showLinkStatus(copied ? 'Link copied' : 'Link in the address bar');
  }

  /** Shows the view of a link: its replay from the page or the library, then its moment. */
  openLink(hash) {
    const link = parseViewFragment(hash);
    if (!link.replayId) return;
    this.pendingLink = link;
    this.stayOnCurrent = true;
    const replay = this.store.get(link.replayId);
    if (replay) {
      if (this.store.show(replay)) this.showReplay(replay);
    } else {
      this.findLinkedReplay(link.replayId);
    }
    this.markUiDirty();
  }

  /** Looks a linked replay up in the library; the stream may announce it first. */
  async findLinkedReplay(replayId) {
    let before = '';
    for (let page = 0; page < LINK_SEARCH_PAGES; page += 1) {
      let answer;
      try {
        answer = await fetchReplayList({ limit: 200, before });
      } catch (error) {
        if (!this.pendingLink) return;
        if (/^401/.test(error.message)) {
          setTimeout(() => this.findLinkedReplay(replayId), WORLD_RETRY_MS); // after the login
          return;
        }
        this.libraryError = `Linked replay ${replayId}: ${error.message}`;
        this.markUiDirty();
        return;
      }
      if (!this.pendingLink || this.pendingLink.replayId !== replayId) return;
      const entry = (answer.replays || []).find((candidate) => String(candidate.replay_id) === replayId);
      if (entry) {
        const shown = this.store.displayed;
        if (!shown || shown.id !== replayId) this.showLibraryEntry(entry);
        return;
      }
      if (!answer.next) break;
      before = answer.next;
    }
    if (this.pendingLink && (!this.store.displayed || this.store.displayed.id !== replayId)) {
      this.libraryError = `Linked replay ${replayId} is not in the library`;
      this.markUiDirty();
    }
  }

  /** Restores a linked view once its replay, world and moment are there. */
  applyPendingLink() {
    const link = this.pendingLink;
    const replay = this.store.displayed;
    if (!link || !replay || replay.id !== link.replayId || !this.playback.hasFrame()) return;
    if (this.shownWorldHash !== replay.worldRef) return;
    if (link.time !== null && this.playback.endTime() < link.time && !replay.complete && this.loader.replay === replay) return;
    this.pendingLink = null;
    if (link.time !== null) {
      this.playback.setPlaying(false);
      this.playback.seek(link.time);
    }
    if (link.camera) this.view.setCameraState(link.camera);
    if (link.follow) this.follow(link.follow);
    this.markUiDirty();
  }

  exportReplay() {
    const replay = this.store.displayed;
    if (replay) download(this.doc, replayDownloadUrl(replay.id), `${replay.id}.replay.json`);
  }

  async exportPng() {
    const replay = this.store.displayed;
    const blob = await this.view.snapshotPng();
    const url = URL.createObjectURL(blob);
    const time = this.playback.hasFrame() ? `-t${this.playback.time.toFixed(1)}` : '';
    download(this.doc, url, `${replay ? replay.id : 'echelon'}${time}.png`);
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async login(token) {
    this.loginError = '';
    try {
      await postSession(token);
      this.stream.retryNow();
      if (this.store.displayed && this.shownWorldHash !== this.store.displayed.worldRef) this.loadWorld(this.store.displayed.worldRef);
    } catch (error) {
      this.loginError = error.message.replace(/^\d+ /, '');
    }
    this.markUiDirty();
  }

  // ---- per rendered frame -----------------------------------------------------

  animate(nowMs) {
    const dtSeconds = this.lastAnimateMs === null ? 0 : (nowMs - this.lastAnimateMs) / 1000;
    this.lastAnimateMs = nowMs;
    this.playback.advance(dtSeconds);
    if (this.worldLayer.showNextSlice()) this.view.requestRender();
    if (this.pendingLink) this.applyPendingLink();

    const frame = this.playback.currentFrame();
    const camera = this.view.camera;
    if (frame) {
      this.mechLayer.update(frame, this.playback.interpolationTarget, this.playback.interpolationAlpha, camera);
      this.worldLayer.updateObjective(frame.objective);
      this.inspector.update(frame);
      this.nav.update(frame, nowMs);
    }
    if (this.followedMechId && this.mechLayer.drawnPositionOf(this.followedMechId, this.followPoint)) {
      this.view.followPoint(this.followPoint, dtSeconds);
    }
    this.view.updateCamera();
    this.effects.update(this.playback.time, frame);
    // Waiting for a live replay's next chunk changes nothing on screen: no need to draw.
    const moving = this.playback.playing && !this.playback.isBuffering();
    if (moving || this.effects.activeCount > 0 || this.view.renderRequested) {
      this.labels.update(frame, this.mechLayer, this.view, this.selectedMechId);
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
    const stream = this.stream;
    const now = Date.now();
    ui.showConnection(stream.state, stream.secondsUntilRetry(now));
    ui.showConnectionBanner(stream.state, stream.secondsUntilRetry(now), stream.connectionCount > 0, stream.detail);
    ui.showLogin(stream.state === 'unauthorized' || Boolean(this.loginError), this.loginError);
    ui.showHelp(this.helpVisible);
    ui.showRates(this.streamRate.rate(nowMs), this.renderRate.rate(nowMs));
    ui.showReplayInfo(replay, Boolean(replay && replay.fromLibrary));
    const end = playback.endTime();
    const expectedEnd = replay && !replay.complete ? replay.expectedEndTime() : 0;
    const barEnd = ui.showPlayback({
      hasFrame: playback.hasFrame(),
      playing: playback.playing,
      time: playback.time,
      start: playback.startTime(),
      end,
      expectedEnd,
      speed: playback.speed,
      speedPinned: this.speedPinned,
    });
    this.timeline.update(playback.startTime(), barEnd, end);
    ui.showResult(playback.atEnd() ? this.markers.resultMarker : null);
    ui.showProgress(replay);
    ui.showNav({
      graphVisible: this.nav.graphVisible,
      graphText: this.nav.graphStatusText(),
      pathsVisible: this.nav.pathsVisible,
      pathsText: this.nav.pathStatusText(),
      pathsDetail: this.nav.pathStatusDetail(),
    });
    ui.showFollow(this.stayOnCurrent, this.store.hasNewerPending());
    ui.showFollowing(this.followedMechId);
    ui.showExport(Boolean(replay));
    ui.showScore(frame && frame.objective);
    ui.showEmptyHint(!frame && !this.loader.active);
    ui.showWorldError(this.worldError || this.libraryError);
  }
}

const app = new ViewerApp(document);
installTestHook(app);
app.start();
window.addEventListener('pagehide', () => app.dispose());
// A page restored from the back/forward cache was torn down on pagehide: start it afresh.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.reload();
});
