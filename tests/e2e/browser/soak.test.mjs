// Soak: replays pushed back to back while the page plays them at 8x with the nav
// graph on (so every replay also swaps the world and the graph). After each
// replay, garbage is collected and the JS heap measured through the DevTools
// protocol. Warm-up is the first 20% of the run (at least 4 replays): V8 keeps
// compiling hot code and the browser fills its fixed-size performance-entry
// buffers for a while. After it the heap must stay within 10% of the median of
// the first three samples, and GPU resources (geometries, textures) must not grow
// (compared per fixture: a world's mesh has as many slices as its size needs).
// Every sample is logged as it is taken ("soak sample ..."); at the end a table of
// the heap per minute is logged and, with ECHELON_SOAK_REPORT=FILE, written there
// as markdown (before the checks, so a failed run still leaves its numbers). The
// browser's memory as the OS sees it is sampled too (PSS of all its processes:
// page, workers, GPU process), and reported, not checked: it follows the allocator.
//   ECHELON_SOAK_SECONDS=3600 ECHELON_SOAK_REPORT=/tmp/soak.md tests/e2e/browser/run.sh --soak

import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, waitForHook } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const DURATION_S = Number(process.env.ECHELON_SOAK_SECONDS || 60);
const WARMUP_FRACTION = 0.2;
const MIN_WARMUP_REPLAYS = 4;
const MIN_MEASURED_REPLAYS = 4;
const TOLERANCE = 0.10;
// Two fixtures with different worlds, alternating: the page always holds one of each.
const FIXTURES = ['w100x100x20_s1', 'w80x50x20_s2'];

const viewer = connectedViewerSuite();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

/** Markdown table of the samples per minute of the run: replays, heap min/median/max, GPU resources. */
function minuteTable(samples, warmupReplays) {
  const rows = ['| minute | replays | heap min MB | heap median MB | heap max MB | geometries | textures | browser PSS MB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const byMinute = new Map();
  for (const sample of samples) {
    const minute = Math.floor(sample.elapsedS / 60);
    if (!byMinute.has(minute)) byMinute.set(minute, []);
    byMinute.get(minute).push(sample);
  }
  for (const [minute, group] of byMinute) {
    const heaps = group.map((s) => s.usedMB);
    const warm = group.some((s) => s.replay < warmupReplays) ? ' (warm-up)' : '';
    rows.push(`| ${minute + 1}${warm} | ${group.length} | ${Math.min(...heaps).toFixed(2)} | ${median(heaps).toFixed(2)} `
      + `| ${Math.max(...heaps).toFixed(2)} | ${Math.max(...group.map((s) => s.geometries))} `
      + `| ${Math.max(...group.map((s) => s.textures))} | ${median(group.map((s) => s.browserPssMB)).toFixed(0)} |`);
  }
  return rows.join('\n');
}

/**
 * Proportional set size (MB) of the browser: every process under this test process
 * (playwright starts chromium as its child) whose command line is chromium's. Linux /proc.
 */
function browserPssMB() {
  const parentOf = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* the process ended meanwhile */ }
  }
  const underTest = (pid) => {
    for (let p = parentOf.get(pid); p > 1; p = parentOf.get(p)) if (p === process.pid) return true;
    return false;
  };
  let kB = 0;
  for (const pid of parentOf.keys()) {
    try {
      if (!underTest(pid) || !/chrom/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0])) continue;
      const match = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (match) kB += Number(match[1]);
    } catch { /* ended, or no smaps_rollup */ }
  }
  return kB / 1024;
}

async function measureHeap(page, cdp) {
  for (let i = 0; i < 2; i += 1) await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const memory = await page.evaluate(() => window.__echelon.rendererMemory);
  return {
    usedMB: usedSize / 1048576, geometries: memory.geometries, textures: memory.textures,
    browserPssMB: browserPssMB(),
  };
}

test(`JS heap stays flat while replays stream back to back (${DURATION_S} s)`, { timeout: (DURATION_S + 300) * 1000 }, async () => {
  const { page, server, session } = viewer;
  const cdp = await page.context().newCDPSession(page);
  await page.selectOption('#speed', '8');
  await page.click('#toggle-nav');
  const fixtures = FIXTURES.map(loadFixtureReplay);
  const samples = [];
  const started = Date.now();
  const warmupEndsAt = started + DURATION_S * 1000 * WARMUP_FRACTION;
  let warmupReplays = null;
  for (let i = 0; ; i += 1) {
    if (warmupReplays === null && Date.now() >= warmupEndsAt && samples.length >= MIN_WARMUP_REPLAYS) {
      warmupReplays = samples.length;
    }
    const measured = warmupReplays === null ? 0 : samples.length - warmupReplays;
    if (Date.now() - started > DURATION_S * 1000 && measured >= MIN_MEASURED_REPLAYS) break;
    const replayId = `soak-${i}`;
    await pushReplay(server.url, fixtures[i % fixtures.length], { replayId });
    await waitForHook(page, (h, id) => h.replayId === id && h.complete && h.navState === 'ready', replayId, 120000);
    // The picker and the markers in use too: list the library, jump along the markers.
    await page.click('#open-picker');
    await page.locator(`#picker-list [data-replay-id="${replayId}"][data-live=""]`).waitFor();
    await page.keyboard.press('Escape');
    for (let jump = 0; jump < 3; jump += 1) await page.keyboard.press(']');
    const sample = { replay: i, elapsedS: (Date.now() - started) / 1000, ...(await measureHeap(page, cdp)) };
    samples.push(sample);
    console.log(`soak sample replay=${i} t=${sample.elapsedS.toFixed(1)}s heapMB=${sample.usedMB.toFixed(2)} `
      + `geometries=${sample.geometries} textures=${sample.textures} browserPssMB=${sample.browserPssMB.toFixed(0)}`);
  }
  const afterWarmup = samples.slice(warmupReplays);
  const firstThree = afterWarmup.slice(0, 3).map((s) => s.usedMB).sort((a, b) => a - b);
  const baseline = { ...afterWarmup[0], usedMB: firstThree[1] };
  const maxHeap = Math.max(...afterWarmup.map((s) => s.usedMB));
  const summary = {
    durationS: (Date.now() - started) / 1000,
    replays: samples.length,
    warmupReplays,
    baselineMB: baseline.usedMB.toFixed(2),
    maxMB: maxHeap.toFixed(2),
    samplesMB: samples.map((s) => Number(s.usedMB.toFixed(2))),
    geometries: samples.map((s) => s.geometries),
    browserPssMB: samples.map((s) => Math.round(s.browserPssMB)),
  };
  const table = minuteTable(samples, warmupReplays);
  console.log(JSON.stringify(summary));
  console.log(table);
  if (process.env.ECHELON_SOAK_REPORT) {
    const verdict = maxHeap <= baseline.usedMB * (1 + TOLERANCE) ? 'within' : 'OVER';
    fs.writeFileSync(process.env.ECHELON_SOAK_REPORT, `${table}\n\n${JSON.stringify(summary)}\n`
      + `baseline ${baseline.usedMB.toFixed(2)} MB, max after warm-up ${maxHeap.toFixed(2)} MB: ${verdict} ${TOLERANCE * 100}%\n`);
  }
  assert.ok(maxHeap <= baseline.usedMB * (1 + TOLERANCE),
    `heap grew from ${baseline.usedMB.toFixed(2)} MB to ${maxHeap.toFixed(2)} MB after warm-up`);
  // GPU resources depend on the world shown (its mesh comes in slices): compare each
  // sample with the first sample after warm-up of the same fixture.
  const firstOfFixture = (sample) => afterWarmup.find((s) => s.replay % FIXTURES.length === sample.replay % FIXTURES.length);
  assert.ok(afterWarmup.every((s) => s.geometries <= firstOfFixture(s).geometries && s.textures <= firstOfFixture(s).textures),
    `GPU resources grew: ${JSON.stringify(afterWarmup)}`);
  assert.deepEqual(session.consoleErrors, []);
});
