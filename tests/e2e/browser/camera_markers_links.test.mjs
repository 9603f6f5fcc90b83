// Follow camera, mech labels, timeline markers with the result banner, and deep links.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, waitForText, saveScreenshot, setPlaying, nextFrames } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const FIXTURE = 'w100x100x20_s1'; // 189 frames, 7 deaths, blue reaches the zone score to win at t = 26.5
const viewer = connectedViewerSuite();

/** Deaths computed here from the fixture, independently of the viewer: alive true -> false between frames. */
function expectedDeaths(frames) {
  const deaths = [];
  for (let i = 1; i < frames.length; i += 1) {
    for (const [id, mech] of Object.entries(frames[i].mechs)) {
      if (frames[i - 1].mechs[id] && frames[i - 1].mechs[id].alive !== false && mech.alive === false) deaths.push({ t: frames[i].t, team: mech.team, id });
    }
  }
  return deaths;
}

async function doubleClickMech(page) {
  const ids = await page.evaluate(() => window.__echelon.mechIds().filter((id) => window.__echelon.mech(id).alive));
  for (const id of ids) {
    const point = await page.evaluate((mechId) => window.__echelon.mechScreenPosition(mechId), id);
    if (!point) continue;
    await page.mouse.dblclick(point.x, point.y);
    if (await hook(page, 'followedMechId') === id) return id;
  }
  throw new Error('no mech could be double-clicked');
}

const distance2d = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);

test('markers: every death, the zone capture and the result, in team colours, with hover text', async () => {
  const { page, server } = viewer;
  const replay = loadFixtureReplay(FIXTURE);
  await pushReplay(server.url, replay, { replayId: 'tools-1', chunkSize: 50 });
  await waitForHook(page, (h) => h.replayId === 'tools-1' && h.complete && h.result !== null);
  const markers = await page.evaluate(() => window.__echelon.markers());
  const deaths = markers.filter((m) => m.kind === 'death');
  const expected = expectedDeaths(replay.frames);
  assert.equal(expected.length, 7);
  assert.deepEqual(deaths.map((m) => [m.t, m.team]), expected.map((d) => [d.t, d.team]));
  assert.ok(deaths.every((m, i) => m.text.startsWith(`${expected[i].id} destroyed`)));
  const captures = markers.filter((m) => m.kind === 'capture');
  assert.deepEqual(captures.map((m) => [m.t, m.team]), [[26.50000000000024, 'blue']]);
  const result = await hook(page, 'result');
  assert.equal(result.team, 'blue');
  // Other event types found in the frames become markers too (kill, assist, ... from the data).
  const types = new Set(markers.filter((m) => m.kind === 'event').map((m) => m.type));
  for (const type of new Set(replay.frames.flatMap((f) => f.events.map((e) => e.type)))) assert.ok(types.has(type), type);

  // Drawn on the scrub bar in team colours; hovering one says what happened.
  await nextFrames(page);
  const death = page.locator('#markers .marker-death').first();
  assert.ok(await page.locator('#markers .marker-death').count() >= 6); // same-pixel deaths of one team share a mark
  const color = await death.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.ok(['rgb(61, 139, 255)', 'rgb(255, 77, 77)'].includes(color), color);
  await death.hover();
  await page.locator('#marker-tip').waitFor({ state: 'visible' });
  assert.match(await page.locator('#marker-tip').innerText(), /\d\d:\d\d \S+ destroyed/);
  assert.equal(await page.locator('#markers .marker-capture').count(), 1);

  // ] and [ jump between markers.
  await setPlaying(page, false);
  await page.keyboard.press('Home');
  await waitForHook(page, (h) => h.time === h.startTime);
  const shown = (await page.evaluate(() => window.__echelon.markers(true))).map((m) => m.t).sort((a, b) => a - b);
  await page.keyboard.press(']');
  await waitForHook(page, (h, t) => Math.abs(h.time - t) < 1e-6, shown.find((t) => t > shown[0] - 1e-9 && t > (0.25 + 1e-3)) ?? shown[0]);
  const afterNext = await hook(page, 'time');
  await page.keyboard.press(']');
  await waitForHook(page, (h, t) => h.time > t, afterNext);
  await page.keyboard.press('[');
  await waitForHook(page, (h, t) => Math.abs(h.time - t) < 1e-6, afterNext);

  // The result banner at the end of the match.
  await page.keyboard.press('End');
  await waitForHook(page, (h) => h.atEnd);
  await page.locator('#result-banner').waitFor({ state: 'visible' });
  assert.match(await page.locator('#result-banner').innerText(), /^Blue wins/);
  await saveScreenshot(page, 'timeline-markers-result.png', { docs: true });
  await page.keyboard.press('Home');
  await page.locator('#result-banner').waitFor({ state: 'hidden' });
});

test('follow camera: double-click follows a mech while playing and scrubbing; Escape, a drag and R end it', async () => {
  const { page } = viewer;
  await page.locator('#scrub').fill('10');
  await waitForHook(page, (h) => Math.abs(h.time - 10) < 0.3);
  const id = await doubleClickMech(page);
  await page.locator('#follow-status').waitFor({ state: 'visible' });
  await page.selectOption('#speed', '2');
  await setPlaying(page, true);
  await waitForHook(page, (h) => h.time > 14);
  // The orbit target stays on the mech (smoothly: within a couple of metres while it moves).
  await waitForHook(page, (h, mechId) => {
    const m = h.mech(mechId);
    return m && Math.hypot(h.cameraTarget[0] - m.pos[0], h.cameraTarget[1] - m.pos[1]) < 2.5;
  }, id);
  // Scrubbing moves the camera along.
  await setPlaying(page, false);
  await page.locator('#scrub').fill('30');
  await waitForHook(page, (h, mechId) => {
    const m = h.mech(mechId);
    return m && Math.hypot(h.cameraTarget[0] - m.pos[0], h.cameraTarget[1] - m.pos[1]) < 0.5;
  }, id);
  assert.ok(await hook(page, 'labelsVisible') >= 5);
  await saveScreenshot(page, 'follow-camera-labels.png', { docs: true });

  await page.keyboard.press('Escape');
  await waitForHook(page, (h) => h.followedMechId === null);

  // F follows the selected mech again; a drag on the view ends it.
  await page.keyboard.press('f');
  await waitForHook(page, (h, mechId) => h.followedMechId === mechId, id);
  const box = await page.locator('canvas').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 10, { steps: 5 });
  await page.mouse.up();
  await waitForHook(page, (h) => h.followedMechId === null);

  // R frames the whole world again.
  await page.keyboard.press('r');
  await waitForHook(page, (h) => Math.abs(h.cameraTarget[0] - 50) < 0.01 && Math.abs(h.cameraTarget[1] - 50) < 0.01);
});

test('labels keep their size at any zoom', async () => {
  const { page } = viewer;
  const sizes = [];
  for (const deltaY of [0, -2000, 4000]) {
    const box = await page.locator('canvas').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    if (deltaY) await page.mouse.wheel(0, deltaY);
    await nextFrames(page);
    await nextFrames(page);
    sizes.push(await page.evaluate(() => {
      const label = [...document.querySelectorAll('.mech-label')].find((el) => !el.hidden);
      return label ? parseFloat(getComputedStyle(label).fontSize) : 0;
    }));
  }
  assert.ok(sizes.every((size) => size >= 10 && size === sizes[0]), JSON.stringify(sizes));
});

test('a link restores replay, time, followed mech and camera; "copy link" makes it', async () => {
  const { page, browser, server } = viewer;
  await page.locator('#scrub').fill('20');
  await waitForHook(page, (h) => Math.abs(h.time - 20) < 0.3);
  const id = await doubleClickMech(page);
  await nextFrames(page);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.click('#copy-link');
  await waitForText(page, '#link-status', /Link copied/);
  const link = await hook(page, 'lastLink');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  assert.equal(await page.evaluate(() => window.location.href), link);
  const fragment = new URLSearchParams(new URL(link).hash.slice(1));
  assert.equal(fragment.get('replay'), 'tools-1');
  assert.equal(fragment.get('follow'), id);
  assert.ok(Math.abs(Number(fragment.get('t')) - 20) < 0.3);
  assert.equal(fragment.get('cam').split(',').length, 6);

  // A fresh browser context (a colleague) opens it, after a newer replay went live.
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'tools-newer' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const other = { context, page: await context.newPage() };
  await other.page.goto(link);
  await waitForHook(other.page, (h) => h.replayId === 'tools-1' && h.pendingLink === null && h.complete, null, 60000);
  assert.ok(Math.abs(await hook(other.page, 'time') - Number(fragment.get('t'))) < 0.3);
  assert.equal(await hook(other.page, 'followedMechId'), id);
  assert.equal(await hook(other.page, 'playing'), false);
  assert.equal(await hook(other.page, 'stayOnCurrent'), true);
  await saveScreenshot(other.page, 'deep-link-restored.png', { docs: true });
  await other.context.close();
  assert.deepEqual(viewer.session.consoleErrors, []);
});
