// The replay picker and export: the live replay plus the library (GET /replays)
// with run, training progress from meta, length and state; filtering by run;
// loading a stored replay chunk by chunk; live mode and "Stay on current" keep
// their meaning; downloading the replay (GET /replays/{id}) and a PNG of the view.

import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, waitForText, saveScreenshot, getJson } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const viewer = connectedViewerSuite();
const big = () => loadFixtureReplay('w100x100x20_s4_p2'); // 480 frames
const small = () => loadFixtureReplay('w40x40x20_s3');     // 120 frames

test('the picker lists the live replay and the library with run, progress, length and state', async () => {
  const { page, server } = viewer;
  await pushReplay(server.url, big(), { replayId: 'lib-a', meta: { update: 400, episode: 12 }, chunkSize: 100 });
  await pushReplay(server.url, small(), { replayId: 'lib-partial', meta: { update: 401 }, chunkSize: 30, skipChunks: [2] });
  await pushReplay(server.url, small(), { replayId: 'lib-b', meta: { update: 402 }, run: 'ppo-seed2', chunkSize: 30 });
  await waitForHook(page, (h) => h.replayId === 'lib-b' && h.complete);
  const listed = await getJson(server.url, '/replays');
  assert.deepEqual(listed.replays.map((r) => r.replay_id).slice(0, 3), ['lib-b', 'lib-partial', 'lib-a']);

  await page.click('#open-picker');
  await page.locator('#picker').waitFor({ state: 'visible' });
  await page.locator('#picker-list [data-replay-id="lib-a"]').waitFor();
  const rows = await page.locator('#picker-list .picker-row').allInnerTexts();
  assert.match(rows[0], /Live: follow the newest replay/); // the stream's newest replay first
  const rowOf = async (id) => page.locator(`#picker-list [data-replay-id="${id}"][data-live=""]`).innerText();
  assert.match(await rowOf('lib-a'), /complete/);
  assert.match(await rowOf('lib-a'), /update 400 · episode 12/);
  assert.match(await rowOf('lib-a'), /480 frames · 5\/5 chunks/);
  assert.match(await rowOf('lib-partial'), /partial/);
  assert.match(await rowOf('lib-partial'), /3\/4 chunks/);
  assert.match(await rowOf('lib-b'), /run ppo-seed2 · update 402/);
  await saveScreenshot(page, 'replay-picker.png', { docs: true });

  // Filter by run.
  await page.fill('#picker-run', 'ppo-seed2');
  await waitForHook(page, () => document.querySelectorAll('#picker-list [data-live=""]').length === 1);
  assert.match(await rowOf('lib-b'), /ppo-seed2/);
  await page.fill('#picker-run', '');
  await page.locator('#picker-list [data-replay-id="lib-a"]').waitFor();
});

test('choosing a stored replay loads it chunk by chunk and keeps it on screen', async () => {
  const { page, server } = viewer;
  await page.click('#picker-list [data-replay-id="lib-a"][data-live=""]');
  await waitForHook(page, (h) => h.replayId === 'lib-a' && h.shownFromLibrary && h.stayOnCurrent);
  await waitForHook(page, (h) => h.complete && h.chunksReceived === 5 && !h.libraryLoading);
  await waitForText(page, '#progress-text', /100% \(chunk 5\/5\) · complete/);
  assert.equal(await hook(page, 'framesReceived'), 480);
  assert.equal(await hook(page, 'playing'), true);
  assert.ok(await hook(page, 'replaysKept') <= 2);
  await waitForText(page, '#replay-info', /update 400 · episode 12 · from the library/);

  // A partial replay: its missing chunk is a gap, shown and skipped.
  await page.click('#open-picker');
  await page.click('#picker-list [data-replay-id="lib-partial"][data-live=""]');
  await waitForHook(page, (h) => h.replayId === 'lib-partial' && h.complete && h.chunksReceived === 3);
  assert.deepEqual(await hook(page, 'gaps'), [2]);
  await page.locator('#gap-warning').waitFor({ state: 'visible' });
  assert.ok(await hook(page, 'replaysKept') <= 2);

  // "Stay on current": a new live replay does not take over; it is offered.
  await pushReplay(server.url, small(), { replayId: 'lib-c' });
  await page.locator('#newer-replay').waitFor({ state: 'visible' });
  assert.equal(await hook(page, 'replayId'), 'lib-partial');

  // Live from the picker follows the newest again.
  await page.click('#open-picker');
  await page.click('#picker-list [data-live="stream"]');
  await waitForHook(page, (h) => h.replayId === 'lib-c' && h.complete && !h.stayOnCurrent);
  await pushReplay(server.url, small(), { replayId: 'lib-d' });
  await waitForHook(page, (h) => h.replayId === 'lib-d' && h.complete);
  assert.ok(await hook(page, 'replaysKept') <= 2);
  assert.deepEqual(viewer.session.consoleErrors, []);
});

test('export downloads the watched replay and a PNG of the view', async () => {
  const { page } = viewer;
  const [replayDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-replay')]);
  assert.equal(replayDownload.suggestedFilename(), 'lib-d.replay.json');
  const document = JSON.parse(fs.readFileSync(await replayDownload.path(), 'utf8'));
  // Compared as JSON text: the round trip through the server may turn -0.0 into 0.
  assert.equal(JSON.stringify(document.frames), JSON.stringify(small().frames));
  assert.ok(document.world && Array.isArray(document.world.walls));

  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  assert.match(pngDownload.suggestedFilename(), /^lib-d-t[\d.]+\.png$/);
  const png = fs.readFileSync(await pngDownload.path());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.readUInt32BE(16), await page.evaluate(() => document.querySelector('canvas').width));
  assert.ok(png.length > 10000, `PNG of ${png.length} bytes is too small to show the world`);
  assert.deepEqual(viewer.session.consoleErrors, []);
});
