// Smoothness: no main-thread task over 100 ms while the largest fixtures stream in
// and play: the largest replay, and the replay with the largest world (the stream's
// and the library's JSON is parsed in the stream worker, worlds are meshed in the
// world mesh worker). Measured with a PerformanceObserver of long tasks from before
// the first push to the end of the last playback.
//
// The browser composites on the GPU process (SwiftShader here), as a browser with
// a GPU does: see launchBrowser's gpuCompositing for why --disable-gpu is wrong for this.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connectedViewerSuite, waitForHook } from './browser.mjs';
import { REPLAY_FIXTURES, loadFixtureReplay, pushReplay } from './pusher.mjs';

const LONG_TASK_LIMIT_MS = 100;
const viewer = connectedViewerSuite({ gpuCompositing: true });

/** The fixture with the most bytes of replay, and the one with the largest world (the same one or two names). */
function largestFixtures() {
  const names = fs.readdirSync(REPLAY_FIXTURES).filter((file) => file.endsWith('.replay.json'))
    .map((file) => file.replace(/\.replay\.json$/, ''));
  const largestBy = (size) => names.reduce((best, name) => (size(name) > size(best) ? name : best));
  const largestReplay = largestBy((name) => fs.statSync(path.join(REPLAY_FIXTURES, `${name}.replay.json`)).size);
  const largestWorld = largestBy((name) => loadFixtureReplay(name).worldText.length);
  return [...new Set([largestReplay, largestWorld])];
}

test('no long task over 100 ms while the largest fixtures load and play', async () => {
  const { page, server } = viewer;
  // A first replay warms up what any page does once (script compilation, first world).
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'smooth-warmup' });
  await waitForHook(page, (h) => h.replayId === 'smooth-warmup' && h.complete && h.worldShown === h.worldHash);
  await page.evaluate(() => {
    window.testLongTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.testLongTasks.push(Math.round(entry.duration));
    }).observe({ type: 'longtask' });
  });
  await page.selectOption('#speed', '8');
  await page.check('#speed-pinned');
  const names = largestFixtures();
  for (const [index, name] of names.entries()) {
    const replayId = `smooth-${index}`;
    await pushReplay(server.url, loadFixtureReplay(name), { replayId, delayMs: 300 });
    await waitForHook(page, (h, id) => h.replayId === id && h.complete && h.worldShown === h.worldHash, replayId, 60000);
    await waitForHook(page, (h, id) => h.replayId === id && h.atEnd, replayId, 120000);
  }
  const longTasks = await page.evaluate(() => window.testLongTasks);
  console.log(`# ${names.join(' + ')}: long tasks (ms) ${JSON.stringify(longTasks)}, max ${Math.max(0, ...longTasks)}`);
  assert.ok(longTasks.every((ms) => ms <= LONG_TASK_LIMIT_MS), `long tasks over ${LONG_TASK_LIMIT_MS} ms: ${JSON.stringify(longTasks)}`);
  assert.deepEqual(viewer.session.consoleErrors, []);
});
