// Smoothness: no main-thread task over 100 ms while the largest fixture streams
// in and plays (the stream's JSON is parsed in the stream worker), measured with
// a PerformanceObserver of long tasks from before the push to the end of playback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connectedViewerSuite, waitForHook } from './browser.mjs';
import { REPLAY_FIXTURES, loadFixtureReplay, pushReplay } from './pusher.mjs';

const LONG_TASK_LIMIT_MS = 100;
const viewer = connectedViewerSuite();

function largestFixture() {
  const files = fs.readdirSync(REPLAY_FIXTURES).filter((name) => name.endsWith('.replay.json'));
  files.sort((a, b) => fs.statSync(path.join(REPLAY_FIXTURES, b)).size - fs.statSync(path.join(REPLAY_FIXTURES, a)).size);
  return files[0].replace(/\.replay\.json$/, '');
}

test('no long task over 100 ms while the largest fixture loads and plays', async () => {
  const { page, server } = viewer;
  // A first replay warms up what any page does once (shader compilation, first world).
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'smooth-warmup' });
  await waitForHook(page, (h) => h.replayId === 'smooth-warmup' && h.complete && h.worldShown === h.worldHash);
  await page.evaluate(() => {
    window.testLongTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.testLongTasks.push(Math.round(entry.duration));
    }).observe({ type: 'longtask' });
  });
  const name = largestFixture();
  await page.selectOption('#speed', '8');
  await page.check('#speed-pinned');
  await pushReplay(server.url, loadFixtureReplay(name), { replayId: 'smooth-1', delayMs: 300 });
  await waitForHook(page, (h) => h.replayId === 'smooth-1' && h.complete && h.worldShown === h.worldHash, null, 60000);
  await waitForHook(page, (h) => h.atEnd, null, 120000);
  const longTasks = await page.evaluate(() => window.testLongTasks);
  console.log(`# ${name}: long tasks ${JSON.stringify(longTasks)}`);
  assert.ok(longTasks.every((ms) => ms <= LONG_TASK_LIMIT_MS), `long tasks over ${LONG_TASK_LIMIT_MS} ms: ${JSON.stringify(longTasks)}`);
  assert.deepEqual(viewer.session.consoleErrors, []);
});
