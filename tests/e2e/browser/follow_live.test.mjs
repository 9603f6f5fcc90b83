// New replays while one plays: followed by default; "Stay on current" keeps the
// one on screen and offers the newest. The page keeps at most two replays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const viewer = connectedViewerSuite();

const small = () => loadFixtureReplay('w40x40x20_s3');
const other = () => loadFixtureReplay('w80x50x20_s2');

test('a new replay replaces the one playing when following live', async () => {
  const { page, server } = viewer;
  await pushReplay(server.url, small(), { replayId: 'live-a' });
  await waitForHook(page, (h) => h.replayId === 'live-a' && h.complete && h.worldShown === h.worldHash);
  await pushReplay(server.url, other(), { replayId: 'live-b' });
  await waitForHook(page, (h) => h.replayId === 'live-b' && h.complete && h.worldShown === h.worldHash);
  assert.equal(await hook(page, 'replaysKept'), 2);
  assert.equal(await hook(page, 'playing'), true);
  assert.equal(await page.locator('#newer-replay').isVisible(), false);
});

test('"Stay on current" keeps the replay on screen and offers the newest one', async () => {
  const { page, server } = viewer;
  await page.check('#stay-on-current');
  await pushReplay(server.url, small(), { replayId: 'live-c' });
  await page.locator('#newer-replay').waitFor({ state: 'visible' });
  assert.equal(await hook(page, 'replayId'), 'live-b');
  assert.equal(await hook(page, 'newerReplayWaiting'), true);
  assert.equal(await hook(page, 'otherReplayId'), 'live-c');

  await pushReplay(server.url, small(), { replayId: 'live-d' });
  await waitForHook(page, (h) => h.otherReplayId === 'live-d' && h.replaysKept === 2);
  assert.equal(await hook(page, 'replayId'), 'live-b');

  await page.click('#newer-replay');
  await waitForHook(page, (h) => h.replayId === 'live-d' && h.complete);
  assert.equal(await hook(page, 'stayOnCurrent'), true);
  assert.equal(await page.locator('#newer-replay').isVisible(), false);
});

test('unticking "Stay on current" follows live again', async () => {
  const { page, server } = viewer;
  await pushReplay(server.url, other(), { replayId: 'live-e' });
  await page.locator('#newer-replay').waitFor({ state: 'visible' });
  assert.equal(await hook(page, 'replayId'), 'live-d');
  await page.uncheck('#stay-on-current');
  await waitForHook(page, (h) => h.replayId === 'live-e' && !h.stayOnCurrent);
  await pushReplay(server.url, small(), { replayId: 'live-f' });
  await waitForHook(page, (h) => h.replayId === 'live-f' && h.complete);
  assert.ok(await hook(page, 'replaysKept') <= 2);
  assert.ok(await hook(page, 'worldsCached') <= 2);
  assert.deepEqual(viewer.session.consoleErrors, []);
});

test('the bars do not move when a new world and its nav graph load', async () => {
  const { page, server } = viewer;
  await page.click('#toggle-nav');
  await page.click('#toggle-paths');
  await waitForHook(page, (h) => h.navState === 'ready' && h.pathsRequested > 0, null, 60000);
  // Layout shifts not caused by input, from now on (the clicks above were input).
  await page.evaluate(() => {
    window.testLayoutShifts = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.hadRecentInput) continue;
        for (const source of entry.sources) window.testLayoutShifts.push(source.node ? source.node.id || source.node.className : '?');
      }
    }).observe({ type: 'layout-shift' });
  });
  await pushReplay(server.url, other(), { replayId: 'live-g' });
  await waitForHook(page, (h) => h.replayId === 'live-g' && h.complete && h.worldShown === h.worldHash && h.navState === 'ready', null, 60000);
  await waitForHook(page, (h) => h.pathsRequested > 0, null, 60000);
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  assert.deepEqual(await page.evaluate(() => window.testLayoutShifts), []);
  assert.deepEqual(viewer.session.consoleErrors, []);
});
