// Timeline markers derived from the frames themselves, for any replay: deaths
// (a mech's `alive` turning false), zone captures (a team's `zone_score`
// reaching `zone_score_to_win`, or every score resetting after a won round),
// every event type found in `frame.events`, and the match result. Nothing here
// knows a fixture: event types and teams are read from the data.
//
// Markers are kept per chunk, so a chunk is scanned once when it arrives (and
// the next chunk once more, when its predecessor's last frame becomes known).
// Owned by the page's main thread; no DOM, no three.js.

export const MarkerKind = Object.freeze({ DEATH: 'death', CAPTURE: 'capture', EVENT: 'event', RESULT: 'result' });

// Mech-id fields an event may carry, in the order that names its actor first.
const ACTOR_KEYS = ['shooter', 'defender', 'painter', 'attacker', 'source', 'mech', 'target', 'victim'];

/** Team of the mech an event is about (its actor first), or null. */
function eventTeam(event, mechs) {
  for (const key of ACTOR_KEYS) {
    const mech = typeof event[key] === 'string' ? mechs[event[key]] : undefined;
    if (mech && typeof mech.team === 'string') return mech.team;
  }
  for (const key in event) {
    const mech = typeof event[key] === 'string' ? mechs[event[key]] : undefined;
    if (mech && typeof mech.team === 'string') return mech.team;
  }
  return null;
}

/** "laser_hit: blue_3 → red_3" from whichever mech ids the event names. */
function describeEvent(event, mechs) {
  const names = [];
  for (const key in event) {
    if (key !== 'type' && typeof event[key] === 'string' && mechs[event[key]]) names.push(event[key]);
  }
  const type = event.type.replace(/_/g, ' ');
  return names.length > 0 ? `${type}: ${names.join(' → ')}` : type;
}

function killerOf(mechId, events) {
  if (!Array.isArray(events)) return null;
  for (const event of events) {
    if (event && event.type === 'kill' && event.target === mechId && typeof event.shooter === 'string') return event.shooter;
  }
  return null;
}

const scoreText = (value) => (Number(value) || 0).toFixed(1);

/** The markers between `previous` (may be null) and `frame`, appended to `out`. */
function scanFrame(previous, frame, out) {
  const t = Number(frame.t);
  const mechs = frame.mechs && typeof frame.mechs === 'object' ? frame.mechs : {};
  if (previous && previous.mechs) {
    for (const id in mechs) {
      const before = previous.mechs[id];
      const now = mechs[id];
      if (!now || !before || before.alive === false || now.alive !== false) continue;
      const killer = killerOf(id, frame.events);
      out.push({ t, kind: MarkerKind.DEATH, type: 'death', team: now.team ?? null,
        text: `${id} destroyed${killer ? ` by ${killer}` : ''}` });
    }
  }
  scanZone(previous && previous.objective, frame.objective, t, out);
  if (Array.isArray(frame.events)) {
    for (const event of frame.events) {
      if (!event || typeof event.type !== 'string') continue;
      out.push({ t, kind: MarkerKind.EVENT, type: event.type, team: eventTeam(event, mechs), text: describeEvent(event, mechs) });
    }
  }
}

function scanZone(before, now, t, out) {
  const scores = now && now.zone_score;
  const previous = before && before.zone_score;
  if (!scores || typeof scores !== 'object' || !previous || typeof previous !== 'object') return;
  const toWin = Number(now.zone_score_to_win);
  let leader = null;
  let dropped = true;
  for (const team in previous) {
    if (leader === null || Number(previous[team]) > Number(previous[leader])) leader = team;
    if (!(Number(scores[team]) < Number(previous[team]))) dropped = false;
  }
  for (const team in scores) {
    if (toWin > 0 && Number(previous[team]) < toWin && Number(scores[team]) >= toWin) {
      out.push({ t, kind: MarkerKind.CAPTURE, type: 'capture', team,
        text: `${team} captured the zone (${scoreText(scores[team])} / ${scoreText(toWin)})` });
    }
  }
  // A round won and scores reset within one frame: the team that led took it.
  if (dropped && leader !== null && !(Number(previous[leader]) >= toWin)) {
    out.push({ t, kind: MarkerKind.CAPTURE, type: 'capture', team: leader,
      text: `${leader} won the zone round (${scoreText(previous[leader])}), scores reset` });
  }
}

/**
 * The match result from a replay's markers and last frame: the team with most zone
 * captures, else the only team with living mechs, else the higher zone score.
 */
export function matchResult(captures, lastFrame) {
  const t = Number(lastFrame.t);
  const wins = new Map();
  for (const marker of captures) wins.set(marker.team, (wins.get(marker.team) || 0) + 1);
  const ranked = [...wins].sort((a, b) => b[1] - a[1]);
  if (ranked.length > 0 && (ranked.length === 1 || ranked[0][1] > ranked[1][1])) {
    const [team, count] = ranked[0];
    return { t, kind: MarkerKind.RESULT, type: 'result', team, text: `${team} wins: took the zone${count > 1 ? ` ${count} times` : ''}` };
  }
  const living = new Map();
  for (const mech of Object.values(lastFrame.mechs || {})) {
    if (!mech || typeof mech.team !== 'string') continue;
    living.set(mech.team, (living.get(mech.team) || 0) + (mech.alive === false ? 0 : 1));
  }
  const standing = [...living].filter(([, count]) => count > 0).map(([team]) => team);
  if (living.size > 1 && standing.length === 1) {
    const beaten = [...living.keys()].filter((team) => team !== standing[0]).join(', ');
    return { t, kind: MarkerKind.RESULT, type: 'result', team: standing[0], text: `${standing[0]} wins: ${beaten} eliminated` };
  }
  const scores = lastFrame.objective && lastFrame.objective.zone_score;
  const byScore = scores ? Object.entries(scores).sort((a, b) => Number(b[1]) - Number(a[1])) : [];
  if (byScore.length > 1 && Number(byScore[0][1]) > Number(byScore[1][1])) {
    const line = byScore.map(([team, value]) => `${team} ${scoreText(value)}`).join(' : ');
    return { t, kind: MarkerKind.RESULT, type: 'result', team: byScore[0][0], text: `${byScore[0][0]} wins on zone points (${line})` };
  }
  return { t, kind: MarkerKind.RESULT, type: 'result', team: null, text: 'Draw' };
}

export class MarkerIndex {
  constructor() {
    this.reset(null);
  }

  reset(replay) {
    this.replay = replay;
    this.byChunk = [];        // chunk index -> markers of that chunk, or undefined
    this.scannedWithPrevious = [];
    this.typeCounts = new Map();
    this.framesScanned = 0;
    this.version = 0;         // bumps on every change, for cheap redraw checks
    this.resultMarker = null;
    this.resultKey = '';
  }

  /** Scans what arrived since the last call (new chunks, and chunks whose predecessor arrived). */
  update() {
    const replay = this.replay;
    if (!replay) return;
    const chunks = replay.chunks;
    let changed = false;
    for (let i = 0; i < chunks.length; i += 1) {
      if (!chunks[i]) continue;
      const previousChunk = i > 0 ? chunks[i - 1] : null;
      const hasPrevious = Boolean(previousChunk);
      if (this.byChunk[i] && this.scannedWithPrevious[i] === hasPrevious) continue;
      if (this.byChunk[i]) this.count(this.byChunk[i], -1);
      else this.framesScanned += chunks[i].length;
      const markers = [];
      let previous = hasPrevious ? previousChunk[previousChunk.length - 1] : null;
      for (const frame of chunks[i]) {
        if (frame && typeof frame === 'object') {
          scanFrame(previous, frame, markers);
          previous = frame;
        }
      }
      this.byChunk[i] = markers;
      this.scannedWithPrevious[i] = hasPrevious;
      this.count(markers, 1);
      changed = true;
    }
    const resultKey = replay.complete ? `${replay.chunksReceived}` : '';
    if (changed || resultKey !== this.resultKey) {
      this.resultKey = resultKey;
      const last = replay.complete ? replay.lastFrame() : null;
      this.resultMarker = last ? matchResult(this.markers((m) => m.kind === MarkerKind.CAPTURE), last) : null;
      this.version += 1;
    }
  }

  count(markers, sign) {
    for (const marker of markers) this.typeCounts.set(marker.type, (this.typeCounts.get(marker.type) || 0) + sign);
  }

  /** Every marker (time order) that passes `filter`. */
  markers(filter = () => true) {
    const all = [];
    for (const markers of this.byChunk) {
      if (!markers) continue;
      for (const marker of markers) if (filter(marker)) all.push(marker);
    }
    if (this.resultMarker && filter(this.resultMarker)) all.push(this.resultMarker);
    return all;
  }

  /** Event types seen so far with their counts, most frequent last. */
  types() {
    return [...this.typeCounts].filter(([, count]) => count > 0).sort((a, b) => a[1] - b[1]);
  }
}
