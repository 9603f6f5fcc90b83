// Soak: replays pushed back to back while the page plays them at 8x with the nav
// graph on (so every replay also swaps the world and the graph). After each
// replay, garbage is collected and the JS heap measured through the DevTools
// protocol. Warm-up is the first 20% of the run (at least 4 replays): V8 keeps
// compiling hot code and the browser fills its fixed-size performance-entry
// buffers for a while. After it the heap must stay within 10% of the median of
// the first three samples, and GPU resources (geometries, textures) must not grow.
//   ECHELON_SOAK_SECONDS=3600 tests/browser/run.sh --soak

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ServerUnderTest } from './server_harness.mjs';
import { launchBrowser, openViewer, waitForHook } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const DURATION_S = Number(process.env.ECHELON_SOAK_SECONDS || 60);
const WARMUP_FRACTION = 0.2;
const MIN_WARMUP_REPLAYS = 4;
const MIN_MEASURED_REPLAYS = 4;
const TOLERANCE = 0.10;
// Two fixtures with different worlds, alternating: the page always holds one of each.
const FIXTURES = ['w100x100x20_s1', 'w80x50x20_s2'];

let server;
let browser;
let session;
let page;

before(async () => {
  server = await ServerUnderTest.start();
  browser = await launchBrowser();
  session = await openViewer(browser, server.url);
  page = session.page;
  await waitForHook(page, (h) => h.connection === 'connected');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function measureHeap(cdp) {
  for (let i = 0; i < 2; i += 1) await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const memory = await page.evaluate(() => window.__echelon.rendererMemory);
  return { usedMB: usedSize / 1048576, geometries: memory.geometries, textures: memory.textures };
}

test(`JS heap stays flat while replays stream back to back (${DURATION_S} s)`, { timeout: (DURATION_S + 300) * 1000 }, async () => {
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
    samples.push({ replay: i, ...(await measureHeap(cdp)) });
  }
  const afterWarmup = samples.slice(warmupReplays);
  const firstThree = afterWarmup.slice(0, 3).map((s) => s.usedMB).sort((a, b) => a - b);
  const baseline = { ...afterWarmup[0], usedMB: firstThree[1] };
  const maxHeap = Math.max(...afterWarmup.map((s) => s.usedMB));
  console.log(JSON.stringify({
    durationS: (Date.now() - started) / 1000,
    replays: samples.length,
    warmupReplays,
    baselineMB: baseline.usedMB.toFixed(2),
    maxMB: maxHeap.toFixed(2),
    samplesMB: samples.map((s) => Number(s.usedMB.toFixed(2))),
    geometries: samples.map((s) => s.geometries),
  }));
  assert.ok(maxHeap <= baseline.usedMB * (1 + TOLERANCE),
    `heap grew from ${baseline.usedMB.toFixed(2)} MB to ${maxHeap.toFixed(2)} MB after warm-up`);
  assert.ok(afterWarmup.every((s) => s.geometries <= baseline.geometries && s.textures <= baseline.textures),
    `GPU resources grew: ${JSON.stringify(afterWarmup)}`);
  assert.deepEqual(session.consoleErrors, []);
});
