// Missing chunks: shown as a gap warning, skipped in playback, never a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, waitForText, setPlaying } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const FIXTURE = 'w100x100x20_s4_p2'; // 5 chunks of 100 frames, t = 0.25 .. 120
const viewer = connectedViewerSuite();

test('a replay with a missing chunk shows a gap warning and keeps playing past it', async () => {
  const { page, server, session } = viewer;
  await pushReplay(server.url, loadFixtureReplay(FIXTURE), { replayId: 'gap-1', skipChunks: [2] });
  await waitForHook(page, (h) => h.replayId === 'gap-1' && h.complete && h.chunksReceived === 4);
  assert.deepEqual(await hook(page, 'gaps'), [2]);
  await page.locator('#gap-warning').waitFor({ state: 'visible' });
  await waitForText(page, '#gap-warning', /Missing chunk 3 of 5/);
  await waitForText(page, '#progress-text', /chunk 4\/5/);

  // Play from just before the hole (chunk 1 ends at t = 50) at 8x: playback jumps to chunk 3.
  await setPlaying(page, false);
  await page.locator('#scrub').fill('48');
  await waitForHook(page, (h) => h.chunkIndex === 1 && !h.playing);
  await page.selectOption('#speed', '8');
  await setPlaying(page, true);
  await waitForHook(page, (h) => h.chunkIndex >= 3 && h.gapsSkipped >= 1 && h.time >= 75.25, null, 60000);
  assert.ok(await hook(page, 'playing') || await hook(page, 'chunkIndex') === 4);

  // Scrubbing into the hole lands on a frame that exists.
  await page.locator('#scrub').fill('60');
  await waitForHook(page, (h) => h.chunkIndex === 1 || h.chunkIndex === 3);
  assert.deepEqual(session.consoleErrors, []);
});

test('a gap is reported before replay_end when a later chunk arrives first', async () => {
  const { page, server, session } = viewer;
  // Chunks 0, 1 and 3 only: the last chunk (and so replay_end) never comes.
  await pushReplay(server.url, loadFixtureReplay(FIXTURE), { replayId: 'gap-2', skipChunks: [2, 4] });
  await waitForHook(page, (h) => h.replayId === 'gap-2' && h.chunksReceived === 3);
  assert.equal(await hook(page, 'complete'), false);
  assert.deepEqual(await hook(page, 'gaps'), [2]);
  await page.locator('#gap-warning').waitFor({ state: 'visible' });
  await waitForText(page, '#progress-text', /chunk 3\/5/);
  assert.deepEqual(session.consoleErrors, []);
});
