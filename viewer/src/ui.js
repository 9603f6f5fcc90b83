// The page's controls and status text. The UI never changes viewer state itself:
// user input becomes a call on `intents`, and main.js pushes state back through the
// show*() methods, which touch the DOM only when what they display changed.

export function formatClock(seconds) {
  const whole = Math.max(0, Math.floor(Number(seconds) || 0));
  const minutes = Math.floor(whole / 60);
  return `${String(minutes).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const CONNECTION_TEXT = {
  connecting: () => 'Connecting…',
  connected: () => 'Connected',
  reconnecting: (seconds) => (seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…'),
  disconnected: () => 'Disconnected',
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
    };
    this.shown = new Map(); // element -> last text/attribute written, to skip no-op DOM writes
    this.scrubbing = false;
    this.bindInputs(doc, intents);
  }

  bindInputs(doc, intents) {
    const el = this.el;
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
    doc.addEventListener('keydown', (event) => {
      // Form controls keep their own keys (arrows move the slider), except Escape.
      const inControl = event.target.closest && event.target.closest('input, select, textarea');
      if (inControl && event.key !== 'Escape') return;
      const action = { ' ': intents.togglePlay, ArrowLeft: intents.stepBack, ArrowRight: intents.stepForward,
        Escape: intents.closeInspector }[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    });
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
    this.setText(this.el.rates, `(${streamFramesPerSecond.toFixed(1)} fps in · ${Math.round(renderFramesPerSecond)} fps drawn)`);
  }

  showReplayInfo(replay) {
    if (!replay) {
      this.setText(this.el.replayInfo, 'No replay yet');
      return;
    }
    const run = replay.meta.run && typeof replay.meta.run === 'object' ? replay.meta.run : null;
    const extra = run && (run.name || run.id) ? ` · run ${run.name || run.id}` : '';
    this.setText(this.el.replayInfo, `Replay ${replay.id} · world ${replay.worldRef}${extra}`);
  }

  showPlayback({ hasFrame, playing, time, start, end, speed }) {
    const el = this.el;
    el.stepBack.disabled = !hasFrame;
    el.stepForward.disabled = !hasFrame;
    el.playPause.disabled = !hasFrame;
    el.scrub.disabled = !hasFrame;
    this.setText(el.playPause, playing ? '❚❚' : '▶');
    this.setAttribute(el.playPause, 'aria-label', playing ? 'Pause' : 'Play');
    this.setText(el.time, `${formatClock(time)} / ${formatClock(end)}`);
    if (!this.scrubbing) {
      const min = String(start);
      const max = String(Math.max(start, end));
      if (el.scrub.min !== min) el.scrub.min = min;
      if (el.scrub.max !== max) el.scrub.max = max;
      el.scrub.valueAsNumber = time;
    }
    const speedText = String(speed);
    if (el.speed.value !== speedText) el.speed.value = speedText;
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

  showWorldError(message) {
    this.setHidden(this.el.worldError, !message);
    if (message) this.setText(this.el.worldError, message);
  }
}
