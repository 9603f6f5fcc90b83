// States and keys: the empty page's push hint, a friendlier header, the expected
// length of a live replay, keys (Space/arrows after using the slider, speed,
// start/end), speed reset per replay unless kept, the help overlay, and the
// connection-lost banner with "retry now".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, waitForText, saveScreenshot, setPlaying } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const viewer = connectedViewerSuite();

test('the empty page says how to push a replay', async () => {
  const { page, server } = viewer;
  await page.locator('#empty-hint').waitFor({ state: 'visible' });
  assert.match(await page.locator('#empty-hint').innerText(), new RegExp(`echelon-push --http ${server.url} replay.json`));
  await saveScreenshot(page, 'empty-page-hint.png', { docs: true });
});

test('a live replay shows its expected length from the chunk count; the header reads in plain words', async () => {
  const { page, server } = viewer;
  const fixture = loadFixtureReplay('w100x100x20_s4_p2'); // 480 frames, t = 0.25 .. 120
  const pushing = pushReplay(server.url, fixture, { replayId: 'keys-live', chunkSize: 100, delayMs: 4000,
    meta: { update: 12, run: { name: 'keys-run' } } });
  await waitForHook(page, (h) => h.replayId === 'keys-live' && h.chunksReceived >= 1 && !h.complete);
  await waitForText(page, '#replay-info', /^Run keys-run · update 12 · live$/);
  assert.ok(Math.abs(await hook(page, 'expectedEndTime') - 125) < 0.01); // 5 chunks x 100 frames x 0.25 s
  await waitForText(page, '#time', /\/ \d\d:\d\d \(~02:05\)$/);
  const maxBefore = Number(await page.locator('#scrub').getAttribute('max'));
  await waitForText(page, '#rates', /^receiving [\d.]+ frames\/s · drawing \d+\/s$/);
  await waitForHook(page, (h) => h.chunksReceived >= 2, null, 60000);
  // The bar does not rescale as chunks arrive.
  assert.equal(Number(await page.locator('#scrub').getAttribute('max')), maxBefore);
  await pushing;
  await waitForHook(page, (h) => h.complete);
});

test('keys: Space and arrows after the slider, Home/End, speed keys; the help overlay lists them', async () => {
  const { page } = viewer;
  await setPlaying(page, false);
  await page.locator('#scrub').fill('50');
  await page.locator('#scrub').focus(); // as after dragging it
  await page.keyboard.press(' ');
  await waitForHook(page, (h) => h.playing);
  await page.keyboard.press(' ');
  await waitForHook(page, (h) => !h.playing);
  const t0 = await hook(page, 'time');
  await page.keyboard.press('ArrowRight');
  const t1 = await waitForHook(page, (h, t) => h.time > t && h.time - t < 1 && h.time, t0);
  await page.keyboard.press('ArrowLeft');
  await waitForHook(page, (h, t) => h.time < t, t1);
  await page.keyboard.press('ArrowRight');
  await waitForHook(page, (h, t) => Math.abs(h.time - t) < 1e-9, t1);
  await page.keyboard.press('End');
  await waitForHook(page, (h) => h.time === h.endTime);
  await page.keyboard.press('Home');
  await waitForHook(page, (h) => h.time === h.startTime);
  await page.keyboard.press('+');
  await waitForHook(page, (h) => h.speed === 2);
  await page.keyboard.press('+');
  await page.keyboard.press('-');
  await page.keyboard.press('-');
  await page.keyboard.press('-');
  await waitForHook(page, (h) => h.speed === 0.5);

  await page.keyboard.press('?');
  await page.locator('#help').waitFor({ state: 'visible' });
  const help = await page.locator('#help').innerText();
  for (const text of ['Play / pause', 'Previous / next marker', 'Follow the selected mech', 'Reset the view', 'Slower / faster', 'start / end']) {
    assert.ok(help.includes(text), text);
  }
  await saveScreenshot(page, 'help-overlay.png', { docs: true });
  await page.keyboard.press('Escape');
  await page.locator('#help').waitFor({ state: 'hidden' });
});

test('speed resets for each replay unless it is kept', async () => {
  const { page, server } = viewer;
  await page.selectOption('#speed', '4');
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'keys-speed-1' });
  await waitForHook(page, (h) => h.replayId === 'keys-speed-1' && h.speed === 1);
  await page.selectOption('#speed', '4');
  await page.check('#speed-pinned');
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'keys-speed-2' });
  await waitForHook(page, (h) => h.replayId === 'keys-speed-2' && h.complete);
  assert.equal(await hook(page, 'speed'), 4);
  await page.uncheck('#speed-pinned');
});

test('a lost connection shows a banner in the view; "retry now" reconnects at once', async () => {
  const { page, server } = viewer;
  await server.stop();
  await page.locator('#connection-banner').waitFor({ state: 'visible' });
  await waitForText(page, '#connection-banner-text', /Connection to the server lost/);
  // Wait for the backoff to grow past 4 s, then bring the server back: "retry now" beats the timer.
  await waitForHook(page, (h) => h.nextReconnectDelayMs >= 8000, null, 30000);
  await saveScreenshot(page, 'connection-lost-banner.png', { docs: true });
  await server.start();
  const clickedAt = Date.now();
  await page.click('#retry-now');
  await waitForHook(page, (h) => h.connection === 'connected', null, 3000);
  assert.ok(Date.now() - clickedAt < 3000);
  await page.locator('#connection-banner').waitFor({ state: 'hidden' });
  const unexpected = viewer.session.consoleErrors.filter((text) => !/ERR_CONNECTION_REFUSED|Failed to load resource|Failed to fetch/.test(text));
  assert.deepEqual(unexpected, []);
});
