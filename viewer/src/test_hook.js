// `window.__echelon`: a read-only view of the viewer's state for browser tests and
// for debugging from the console. Getters compute on read, so the hook costs
// nothing while nobody looks at it. It cannot change the viewer's state.

import * as THREE from 'three';

export function installTestHook(app) {
  const scratch = new THREE.Vector3();
  const projected = { x: 0, y: 0, visible: false };
  const displayed = () => app.store.displayed;

  const hook = {
    get connection() { return app.stream.state; },
    get lastEventId() { return app.stream.lastEventId; },
    get connectionCount() { return app.stream.connectionCount; },
    get nextReconnectDelayMs() { return app.stream.nextDelayMs; },
    get streamUrl() { return app.stream.buildUrl(); },
    get streamShared() { return app.stream.shared; },
    get streamTabs() { return app.stream.tabs; },
    get streamAttemptTimes() { return app.stream.attemptTimes.slice(); },
    get loginVisible() { return !document.getElementById('login').hidden; },
    get connectionBannerVisible() { return !document.getElementById('connection-banner').hidden; },

    get replayId() { return displayed() ? displayed().id : null; },
    get worldHash() { return displayed() ? displayed().worldRef : null; },
    // The world on screen: its hash once all its mesh slices are in the scene.
    get worldShown() { return app.worldLayer.slicesPending ? null : app.shownWorldHash; },
    get worldError() { return app.worldError; },
    get voxelsDrawn() { return app.worldLayer.voxelsDrawn; },
    get chunksReceived() { return displayed() ? displayed().chunksReceived : 0; },
    get chunksTotal() { return displayed() ? displayed().chunkCount : 0; },
    get framesReceived() { return displayed() ? displayed().framesReceived : 0; },
    get complete() { return displayed() ? displayed().complete : false; },
    get gaps() { return displayed() ? displayed().missingChunks() : []; },
    get gapsSkipped() { return app.playback.gapsSkipped; },
    get otherReplayId() { return app.store.other ? app.store.other.id : null; },
    get replaysKept() { return app.store.keptCount(); },
    get worldsCached() { return app.worlds.size; },
    get newerReplayWaiting() { return app.store.hasNewerPending(); },
    get stayOnCurrent() { return app.stayOnCurrent; },
    get orphanChunks() { return app.orphanChunks; },
    get shownFromLibrary() { return displayed() ? displayed().fromLibrary : false; },
    get libraryLoading() { return app.loader.active; },
    get libraryError() { return app.libraryError; },
    get expectedEndTime() { return displayed() && !displayed().complete ? displayed().expectedEndTime() : 0; },
    get pendingLink() { return app.pendingLink ? { ...app.pendingLink } : null; },
    get lastLink() { return app.lastLink; },

    get frameIndex() { return app.playback.receivedFrameIndex(); },
    get chunkIndex() { return app.playback.chunkIndex; },
    get time() { return app.playback.time; },
    get tick() { const frame = app.playback.currentFrame(); return frame ? frame.tick : null; },
    get startTime() { return app.playback.startTime(); },
    get endTime() { return app.playback.endTime(); },
    get playing() { return app.playback.playing; },
    get buffering() { return app.playback.isBuffering(); },
    get speed() { return app.playback.speed; },
    get speedPinned() { return app.speedPinned; },
    get atEnd() { return app.playback.atEnd(); },
    get helpVisible() { return app.helpVisible; },
    get pickerOpen() { return app.picker.isOpen; },

    get navGraphVisible() { return app.nav.graphVisible; },
    get navState() { return app.nav.graphState; },
    get navNodesDrawn() { return app.nav.graphNodesDrawn; },
    get navEdgesDrawn() { return app.nav.graphEdgesDrawn; },
    get navFetchMs() { return app.nav.graphFetchMs; },
    get pathsVisible() { return app.nav.pathsVisible; },
    get pathsDrawn() { return app.nav.pathsDrawn; },
    get pathsRequested() { return app.nav.pathsRequested; },

    get selectedMechId() { return app.selectedMechId; },
    get followedMechId() { return app.followedMechId; },
    get cameraState() { return app.view.cameraState(); },
    get cameraTarget() { const t = app.view.controls.target; return [t.x, t.y, t.z]; },
    get labelsVisible() { return app.labels.visibleCount; },
    get result() { return app.markers.resultMarker ? { ...app.markers.resultMarker } : null; },
    get disposed() { return Boolean(app.disposed); },
    get effectsActive() { return app.effects.activeCount; },
    get effectsSpawned() { return app.effects.spawnedTotal; },
    get smokeCloudsDrawn() { return app.effects.smoke.count; },
    get framesRendered() { return app.framesRendered; },
    get renderFps() { return app.renderRate.rate(); },
    get streamFps() { return app.streamRate.rate(); },
    get rendererMemory() { return { ...app.view.renderer.info.memory }; },

    /** A copy of mech `mechId` as it is in the current frame, or null. */
    mech(mechId) {
      const frame = app.playback.currentFrame();
      const mech = frame && frame.mechs ? frame.mechs[mechId] : undefined;
      return mech ? structuredClone(mech) : null;
    },

    /** A copy of the selected mech as it is in the current frame, or null. */
    selectedMech() {
      return app.selectedMechId === null ? null : hook.mech(app.selectedMechId);
    },

    /** Ids of the mechs drawn in the current frame. */
    mechIds() { return app.mechLayer.drawnIds(); },

    /** Page (client) coordinates of a mech's body centre, or null if it is not drawn or off screen. */
    mechScreenPosition(mechId) {
      if (!app.mechLayer.drawnPositionOf(mechId, scratch)) return null;
      app.view.projectToCanvas(scratch.x, scratch.y, scratch.z, projected, scratch);
      if (!projected.visible) return null;
      const rect = app.view.renderer.domElement.getBoundingClientRect();
      return { x: rect.left + projected.x, y: rect.top + projected.y };
    },

    /** Copies of the timeline markers ({t, kind, type, team, text}); `shownOnly` as drawn on the bar. */
    markers(shownOnly = false) {
      const list = shownOnly ? app.timeline.shownMarkers() : app.markers.markers();
      return list.map((marker) => ({ ...marker }));
    },

    /** Renders once and samples the canvas pixels (proves WebGL draws). */
    samplePixels(gridSize) { return app.view.samplePixels(gridSize); },
  };
  Object.freeze(hook);
  Object.defineProperty(window, '__echelon', { value: hook, writable: false, configurable: false });
}
