// Small text formatting shared by the UI modules.

export function formatClock(seconds) {
  const whole = Math.max(0, Math.floor(Number(seconds) || 0));
  const minutes = Math.floor(whole / 60);
  return `${String(minutes).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/** A run as a name: a string as is, an object by its name or id. */
export function runName(run) {
  if (run === null || run === undefined || run === '') return '';
  if (typeof run !== 'object') return String(run);
  return String(run.name ?? run.id ?? JSON.stringify(run));
}

const PROGRESS_KEYS = /^(episode|update|iteration|epoch|step|generation|round)s?$/i;
// Coarsest first, whatever order the JSON had (the server sorts keys).
const PROGRESS_ORDER = ['generation', 'epoch', 'update', 'iteration', 'round', 'episode', 'step'];
const progressRank = (key) => PROGRESS_ORDER.indexOf(key.toLowerCase().replace(/s$/, ''));

/** "update 400 · episode 12" from the keys of `meta` (and meta.run) that count training progress. */
export function progressLabel(meta) {
  const parts = [];
  const scan = (object) => {
    if (!object || typeof object !== 'object') return;
    for (const [key, value] of Object.entries(object)) {
      if (PROGRESS_KEYS.test(key) && (typeof value === 'number' || typeof value === 'string')) parts.push({ key, value });
    }
  };
  scan(meta);
  if (meta && typeof meta.run === 'object') scan(meta.run);
  parts.sort((a, b) => progressRank(a.key) - progressRank(b.key));
  return parts.map(({ key, value }) => `${key} ${value}`).join(' · ');
}

export function formatBytes(bytes) {
  const value = Number(bytes) || 0;
  if (value >= 1048576) return `${(value / 1048576).toFixed(1)} MB`;
  if (value >= 1024) return `${Math.round(value / 1024)} kB`;
  return `${value} B`;
}
