// Frame content the fixtures lack or get wrong must still draw, never crash:
// smoke clouds, smoke launches, unknown event types, events without positions,
// mechs without a position, unknown teams and classes, extra keys.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, setPlaying } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const viewer = connectedViewerSuite();

/** The w40 fixture with smoke and odd content added to frames 8..40 (t = 2.25 .. 10.25). */
function oddReplay() {
  const base = loadFixtureReplay('w40x40x20_s3');
  const frames = structuredClone(base.frames);
  frames.forEach((frame, i) => {
    frame.future_key = { nested: [1, 2, 3] };
    if (i < 8 || i > 40) return;
    frame.smoke_clouds = [{ pos: [20, 20, 1], radius: 4 }, { pos: [25, 22, 1], radius: 3, extra: true }, { radius: 2 }];
    frame.events = [
      ...frame.events,
      { type: 'smoke_launch', pos: [20, 20, 1], shooter: 'blue_0' },
      { type: 'brand_new_event', pos: [1, 1, 1] },
      { type: 'laser_hit', shooter: 'nobody', target: 'nobody' },
      { type: 'explosion', pos: [1, 2] },
      { type: 42 },
      null,
      'not an object',
    ];
    frame.mechs.green_0 = { team: 'green', class: 'walker', pos: [10, 10, 2], yaw: 0.5, hp: 50, hp_max: 100, alive: true };
    frame.mechs.ghost_0 = { team: 'red', hp: 10 };
  });
  return { ...base, frames };
}

test('smoke, odd events and odd mechs are drawn without errors', async () => {
  const { page, server, session } = viewer;
  await pushReplay(server.url, oddReplay(), { replayId: 'odd-1' });
  await waitForHook(page, (h) => h.replayId === 'odd-1' && h.complete);
  await setPlaying(page, false);
  await page.locator('#scrub').fill('5');
  await waitForHook(page, (h) => h.smokeCloudsDrawn === 2 && h.mechIds().includes('green_0'));
  assert.equal((await page.evaluate(() => window.__echelon.mechIds())).includes('ghost_0'), false);

  const spawnedBefore = await hook(page, 'effectsSpawned');
  await setPlaying(page, true);
  await waitForHook(page, (h, n) => h.effectsSpawned > n && h.time > 6, spawnedBefore);
  await page.locator('#scrub').fill('20');
  await waitForHook(page, (h) => h.smokeCloudsDrawn === 0);
  assert.deepEqual(session.consoleErrors, []);
});
