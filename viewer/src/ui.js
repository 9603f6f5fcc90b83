// The page's controls and status text. The UI never changes viewer state itself:
// user input becomes a call on `intents`, and main.js pushes state back through the
// show*() methods, which touch the DOM only when what they display changed.

import { formatClock, progressLabel, runName } from './format.js';
import { SHORTCUTS, intentForKey, keyBelongsToControl } from './shortcuts.js';

export { formatClock };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const CONNECTION_TEXT = {
  connecting: () => 'Connecting…',
  connected: () => 'Connected',
  reconnecting: (seconds) => (seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…'),
  disconnected: () => 'Disconnected',
  unauthorized: () => 'Login needed',
};

export class ViewerUI {
  /**
   * @param {Document} doc
   * @param {object} intents  togglePlay, stepBack, stepForward, seek(t), setSpeed(x), toggleNavGraph,
   *   togglePaths, setStayOnCurrent(bool), showNewestReplay, closeInspector
   */
  constructor(doc, intents) {
    const byId = (id) => doc.getElementById(id);
    this.el = {
      connection: byId('connection'),
      connectionText: byId('connection-text'),
      rates: byId('rates'),
      replayInfo: byId('replay-info'),
      score: byId('score'),
      gapWarning: byId('gap-warning'),
      emptyHint: byId('empty-hint'),
      worldError: byId('world-error'),
      stepBack: byId('step-back'),
      playPause: byId('play-pause'),
      stepForward: byId('step-forward'),
      scrub: byId('scrub'),
      time: byId('time'),
      speed: byId('speed'),
      toggleNav: byId('toggle-nav'),
      navStatus: byId('nav-status'),
      togglePaths: byId('toggle-paths'),
      pathsStatus: byId('paths-status'),
      progress: byId('progress'),
      progressFill: byId('progress-fill'),
      progressText: byId('progress-text'),
      stayOnCurrent: byId('stay-on-current'),
      newerReplay: byId('newer-replay'),
      speedPinned: byId('speed-pinned'),
      connectionBanner: byId('connection-banner'),
      connectionBannerText: byId('connection-banner-text'),
      retryNow: byId('retry-now'),
      login: byId('login'),
      loginForm: byId('login-form'),
      loginToken: byId('login-token'),
      loginError: byId('login-error'),
      help: byId('help'),
      helpList: byId('help-list'),
      resultBanner: byId('result-banner'),
      followStatus: byId('follow-status'),
      copyLink: byId('copy-link'),
      linkStatus: byId('link-status'),
      exportReplay: byId('export-replay'),
      exportPng: byId('export-png'),
      openHelp: byId('open-help'),
    };
    this.fillHelp(doc);
    this.shown = new Map(); // element -> last text/attribute written, to skip no-op DOM writes
    this.scrubbing = false;
    this.bindInputs(doc, intents);
  }

  bindInputs(doc, intents) {
    const el = this.el;
    const byId = (d, id) => d.getElementById(id);
    el.stepBack.addEventListener('click', () => intents.stepBack());
    el.playPause.addEventListener('click', () => intents.togglePlay());
    el.stepForward.addEventListener('click', () => intents.stepForward());
    el.scrub.addEventListener('pointerdown', () => { this.scrubbing = true; });
    el.scrub.addEventListener('input', () => intents.seek(Number(el.scrub.value)));
    el.scrub.addEventListener('change', () => {
      this.scrubbing = false;
      intents.seek(Number(el.scrub.value));
    });
    el.speed.addEventListener('change', () => intents.setSpeed(Number(el.speed.value)));
    el.toggleNav.addEventListener('click', () => intents.toggleNavGraph());
    el.togglePaths.addEventListener('click', () => intents.togglePaths());
    el.stayOnCurrent.addEventListener('change', () => intents.setStayOnCurrent(el.stayOnCurrent.checked));
    el.newerReplay.addEventListener('click', () => intents.showNewestReplay());
    el.speedPinned.addEventListener('change', () => intents.setSpeedPinned(el.speedPinned.checked));
    el.retryNow.addEventListener('click', () => intents.retryNow());
    el.loginForm.addEventListener('submit', (event) => {
      event.preventDefault();
      intents.login(el.loginToken.value);
    });
    el.copyLink.addEventListener('click', () => intents.copyLink());
    el.exportReplay.addEventListener('click', () => intents.exportReplay());
    el.exportPng.addEventListener('click', () => intents.exportPng());
    el.openHelp.addEventListener('click', () => intents.toggleHelp());
    byId(doc, 'help-close').addEventListener('click', () => intents.toggleHelp());
    // A slider or button used with the mouse must not keep the keys: Space and arrows stay the viewer's.
    for (const control of [el.scrub, el.speed]) control.addEventListener('change', () => control.blur());
    doc.addEventListener('keydown', (event) => {
      if (keyBelongsToControl(event)) return;
      const intent = intentForKey(event);
      if (!intent || !intents[intent]) return;
      event.preventDefault();
      intents[intent]();
    });
    // Space on a focused button would also click it on keyup: the keydown above already acted.
    doc.addEventListener('keyup', (event) => {
      if (event.key === ' ' && event.target.closest && event.target.closest('button')) event.preventDefault();
    });
  }

  fillHelp(doc) {
    const rows = SHORTCUTS.map(({ keys, label }) => {
      const row = doc.createElement('tr');
      const keyCell = doc.createElement('th');
      for (const key of keys) {
        const kbd = doc.createElement('kbd');
        kbd.textContent = key;
        keyCell.append(kbd, ' ');
      }
      const labelCell = doc.createElement('td');
      labelCell.textContent = label;
      row.append(keyCell, labelCell);
      return row;
    });
    this.el.helpList.replaceChildren(...rows);
  }

  setText(element, text) {
    if (this.shown.get(element) === text) return;
    this.shown.set(element, text);
    element.textContent = text;
  }

  setAttribute(element, name, value) {
    if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  setHidden(element, hidden) {
    if (element.hidden !== hidden) element.hidden = hidden;
  }

  showConnection(state, secondsUntilRetry) {
    this.setAttribute(this.el.connection, 'data-state', state);
    this.setText(this.el.connectionText, CONNECTION_TEXT[state](secondsUntilRetry));
  }

  showRates(streamFramesPerSecond, renderFramesPerSecond) {
    this.setText(this.el.rates, `receiving ${streamFramesPerSecond.toFixed(1)} frames/s · drawing ${Math.round(renderFramesPerSecond)}/s`);
  }

  showReplayInfo(replay, shownFromLibrary) {
    if (!replay) {
      this.setText(this.el.replayInfo, 'No replay yet');
      this.setAttribute(this.el.replayInfo, 'title', 'No replay on screen');
      return;
    }
    const run = runName(replay.meta.run) || runName(replay.run);
    const progress = progressLabel(replay.meta);
    const state = replay.complete ? (replay.missingChunks().length ? 'partial' : 'complete') : 'live';
    const source = shownFromLibrary ? 'from the library' : state;
    const parts = [run ? `Run ${run}` : 'Replay', progress, source].filter(Boolean);
    this.setText(this.el.replayInfo, parts.join(' · '));
    this.setAttribute(this.el.replayInfo, 'title', `Replay ${replay.id} · world ${replay.worldRef}`);
  }

  showPlayback({ hasFrame, playing, time, start, end, expectedEnd, speed, speedPinned }) {
    const el = this.el;
    el.stepBack.disabled = !hasFrame;
    el.stepForward.disabled = !hasFrame;
    el.playPause.disabled = !hasFrame;
    el.scrub.disabled = !hasFrame;
    this.setText(el.playPause, playing ? '❚❚' : '▶');
    this.setAttribute(el.playPause, 'aria-label', playing ? 'Pause' : 'Play');
    // A live replay's bar spans its expected length, so it does not rescale as chunks arrive.
    const barEnd = Math.max(end, expectedEnd || 0);
    const expected = expectedEnd > end ? ` (~${formatClock(Math.round(expectedEnd))})` : '';
    this.setText(el.time, `${formatClock(time)} / ${formatClock(end)}${expected}`);
    if (!this.scrubbing) {
      const min = String(start);
      const max = String(Math.max(start, barEnd));
      if (el.scrub.min !== min) el.scrub.min = min;
      if (el.scrub.max !== max) el.scrub.max = max;
      el.scrub.valueAsNumber = time;
    }
    const speedText = String(speed);
    if (el.speed.value !== speedText) el.speed.value = speedText;
    if (el.speedPinned.checked !== speedPinned) el.speedPinned.checked = speedPinned;
    return barEnd;
  }

  showProgress(replay) {
    const el = this.el;
    // Only chunk arrival and replay_end change what this shows.
    const key = replay ? `${replay.id}|${replay.chunksReceived}|${replay.chunkCount}|${replay.complete}` : '';
    if (key === this.progressKey) return;
    this.progressKey = key;
    if (!replay) {
      this.setText(el.progressText, 'no replay');
      el.progressFill.style.width = '0%';
      return;
    }
    const total = Math.max(replay.chunkCount, replay.chunksReceived);
    const percent = total > 0 ? Math.round((100 * replay.chunksReceived) / total) : 0;
    const missing = replay.missingChunks();
    const state = missing.length > 0 ? 'gaps' : replay.complete ? 'complete' : 'loading';
    this.setAttribute(el.progress, 'data-state', state);
    this.setAttribute(el.progress, 'aria-valuenow', String(percent));
    el.progressFill.style.width = `${percent}%`;
    const suffix = replay.complete ? (missing.length ? ' · ended with gaps' : ' · complete') : '';
    this.setText(el.progressText, `${percent}% (chunk ${replay.chunksReceived}/${total})${suffix}`);

    this.setHidden(el.gapWarning, missing.length === 0);
    if (missing.length > 0) {
      const names = missing.map((index) => index + 1).join(', ');
      this.setText(el.gapWarning,
        `⚠ Missing chunk${missing.length > 1 ? 's' : ''} ${names} of ${total}: skipped in playback`);
    }
  }

  showNav({ graphVisible, graphText, pathsVisible, pathsText, pathsDetail }) {
    this.setAttribute(this.el.toggleNav, 'aria-pressed', String(graphVisible));
    this.setAttribute(this.el.togglePaths, 'aria-pressed', String(pathsVisible));
    this.setText(this.el.navStatus, graphText);
    this.setText(this.el.pathsStatus, pathsText);
    this.setAttribute(this.el.pathsStatus, 'title', pathsDetail);
  }

  showFollow(stayOnCurrent, newerReplayWaiting) {
    if (this.el.stayOnCurrent.checked !== stayOnCurrent) this.el.stayOnCurrent.checked = stayOnCurrent;
    this.setHidden(this.el.newerReplay, !newerReplayWaiting);
  }

  showScore(objective) {
    const score = objective && objective.zone_score;
    this.setHidden(this.el.score, !score);
    if (!score) return;
    const toWin = Number(objective.zone_score_to_win);
    const format = (value) => (Number(value) || 0).toFixed(1);
    const teams = Object.keys(score).map((team) => {
      const name = escapeHtml(team);
      return `<span class="${name}">${name} ${format(score[team])}</span>`;
    });
    const html = `Zone ${teams.join(' · ')}${toWin > 0 ? ` <span class="muted">/ ${format(toWin)} to win</span>` : ''}`;
    if (this.shown.get(this.el.score) !== html) {
      this.shown.set(this.el.score, html);
      this.el.score.innerHTML = html;
    }
  }

  showEmptyHint(visible) {
    this.setHidden(this.el.emptyHint, !visible);
  }

  /** The banner over the view while the stream is down, with "retry now". */
  showConnectionBanner(state, secondsUntilRetry, everConnected, detail) {
    // Once connected, the banner stays up through every attempt until the stream is back.
    const down = state === 'reconnecting' || (everConnected && (state === 'connecting' || state === 'disconnected'));
    this.setHidden(this.el.connectionBanner, !down);
    if (!down) return;
    const when = state === 'reconnecting' && secondsUntilRetry > 0 ? `retrying in ${secondsUntilRetry} s` : 'retrying…';
    const lost = everConnected ? 'Connection to the server lost' : 'Cannot reach the server';
    this.setText(this.el.connectionBannerText, `${lost}: ${when}`);
    this.setAttribute(this.el.connectionBannerText, 'title', detail || '');
  }

  showLogin(visible, error) {
    const wasHidden = this.el.login.hidden;
    this.setHidden(this.el.login, !visible);
    this.setText(this.el.loginError, error || '');
    if (visible && wasHidden) this.el.loginToken.focus();
  }

  showHelp(visible) {
    this.setHidden(this.el.help, !visible);
  }

  showResult(marker) {
    this.setHidden(this.el.resultBanner, !marker);
    if (!marker) return;
    this.setText(this.el.resultBanner, marker.text.replace(/^./, (c) => c.toUpperCase()));
    if (this.el.resultBanner.dataset.team !== (marker.team || '')) this.el.resultBanner.dataset.team = marker.team || '';
  }

  showFollowing(mechId) {
    this.setHidden(this.el.followStatus, !mechId);
    if (mechId) this.setText(this.el.followStatus, `Following ${mechId} · Esc or drag to stop`);
  }

  showLinkStatus(text) {
    this.setText(this.el.linkStatus, text);
  }

  showExport(canDownload) {
    this.el.exportReplay.disabled = !canDownload;
  }

  showWorldError(message) {
    this.setHidden(this.el.worldError, !message);
    if (message) this.setText(this.el.worldError, message);
  }
}
