// The viewer end to end: offline page load, connection, streaming a fixture
// replay, playback and scrubbing, the nav graph and paths, mech inspection.
// Steps run in order against one server and one page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, waitForText, saveScreenshot, setPlaying } from './browser.mjs';
import { loadFixtureReplay, pushReplay, goldenNavNodeCount } from './pusher.mjs';

const FIXTURE = 'w100x100x20_s4_p2'; // 480 frames: 5 chunks of 100
const viewer = connectedViewerSuite();

test('the page loads offline and the indicator reaches "connected"', async () => {
  const { page, session } = viewer;
  await waitForHook(page, (h) => h.connection === 'connected');
  await waitForText(page, '#connection-text', /^Connected/);
  assert.equal(await page.locator('h1').innerText(), 'ECHELON LIVE');
  assert.match(await hook(page, 'streamUrl'), /^\/events\?world=0$/);
  assert.equal(await hook(page, 'streamShared'), true);
  assert.deepEqual(session.externalRequests, []);
  assert.deepEqual(session.consoleErrors, []);
});

test('the removed controls are gone', async () => {
  const { page } = viewer;
  for (const selector of ['input[type=file]', 'text=Load from JSON', 'text=Channel', 'select#file-list']) {
    assert.equal(await page.locator(selector).count(), 0, selector);
  }
});

test('pushing a fixture replay loads every chunk and starts playback', async () => {
  const { page, server } = viewer;
  const replay = loadFixtureReplay(FIXTURE);
  const answers = await pushReplay(server.url, replay, { replayId: 'viewer-test-1', meta: { run: { name: 'browser-test' } } });
  assert.equal(answers.length, 5);
  assert.ok(answers.every((answer) => answer.clients_notified >= 1));

  await waitForHook(page, (h) => h.replayId === 'viewer-test-1' && h.complete && h.chunksReceived === 5);
  assert.equal(await hook(page, 'chunksTotal'), 5);
  assert.deepEqual(await hook(page, 'gaps'), []);
  await waitForText(page, '#progress-text', /chunk 5\/5/);
  assert.equal(await page.locator('#gap-warning').isVisible(), false);
  // The world is meshed in a worker: it may come a moment after the last chunk.
  await waitForHook(page, (h, hash) => h.worldShown === hash, replay.worldHash);
  assert.ok(await hook(page, 'voxelsDrawn') > 1000);
});

test('the canvas really renders the world', async () => {
  const { page } = viewer;
  const pixels = await page.evaluate(() => window.__echelon.samplePixels(16));
  assert.ok(pixels.distinctColors > 8, JSON.stringify(pixels));
  assert.ok(pixels.nonBackground > pixels.samples / 4, JSON.stringify(pixels));
});

test('playback time advances', async () => {
  const { page } = viewer;
  assert.equal(await hook(page, 'playing'), true);
  const before = await hook(page, 'time');
  await waitForHook(page, (h, t0) => h.time > t0 + 1, before);
  await waitForText(page, '#time', /^\d\d:\d\d \/ 01:59$/);
  assert.ok(await hook(page, 'effectsSpawned') >= 0);
});

test('scrubbing moves playback to the chosen time', async () => {
  const { page } = viewer;
  await setPlaying(page, false);
  await page.locator('#scrub').fill('80');
  const time = await waitForHook(page, (h) => Math.abs(h.time - 80) <= 0.25 && h.time);
  assert.ok(Math.abs(time - 80) <= 0.25, `time ${time}`);
  await waitForText(page, '#time', /^01:20 \//);
  assert.equal(await hook(page, 'chunkIndex'), 3); // frames 300..399 cover t = 75.25..100
  await page.click('#step-forward');
  await waitForHook(page, (h) => h.time > 80);
  await page.click('#step-back');
  await page.click('#step-back');
  await waitForHook(page, (h) => h.time < 80);
  await setPlaying(page, true);
  await waitForHook(page, (h) => h.playing && h.time > 80);
});

test('speed can be set from 0.25x to 8x', async () => {
  const { page } = viewer;
  const options = await page.locator('#speed option').allInnerTexts();
  assert.deepEqual(options, ['0.25x', '0.5x', '1x', '2x', '4x', '8x']);
  await page.selectOption('#speed', '8');
  await waitForHook(page, (h) => h.speed === 8);
  await page.selectOption('#speed', '1');
  await waitForHook(page, (h) => h.speed === 1);
});

test('the Nav Graph toggle draws every node of the graph and hides it instantly', async () => {
  const { page } = viewer;
  const expectedNodes = goldenNavNodeCount(FIXTURE);
  await page.click('#toggle-nav');
  await waitForHook(page, (h) => h.navState === 'ready', null, 60000);
  assert.equal(await hook(page, 'navNodesDrawn'), expectedNodes);
  assert.ok(await hook(page, 'navEdgesDrawn') > expectedNodes);
  assert.ok(await hook(page, 'navFetchMs') > 0);
  await waitForText(page, '#nav-status', /nodes · \d+ ms/);
  await saveScreenshot(page, 'playback-nav-graph.png');

  // Off and on again: no second fetch.
  const graphRequests = [];
  page.on('request', (request) => { if (request.url().endsWith('/nav/graph')) graphRequests.push(request.url()); });
  await page.click('#toggle-nav');
  assert.equal(await hook(page, 'navGraphVisible'), false);
  await page.click('#toggle-nav');
  assert.equal(await hook(page, 'navGraphVisible'), true);
  assert.equal(await hook(page, 'navNodesDrawn'), expectedNodes);
  assert.deepEqual(graphRequests, []);
});

test('the Paths toggle draws A* paths from living mechs to the objective', async () => {
  const { page } = viewer;
  await page.click('#toggle-paths');
  await waitForHook(page, (h) => h.pathsRequested > 0 && h.pathsDrawn > 0, null, 60000);
  await waitForText(page, '#paths-status', /\d+\/\d+ found/);
});

test('clicking a mech opens its inspection panel, which follows playback', async () => {
  const { page } = viewer;
  await setPlaying(page, false);
  await page.locator('#scrub').fill('60'); // mid-battle
  await waitForHook(page, (h) => Math.abs(h.time - 60) <= 0.25);
  // Living mechs first: they make the better screenshot.
  const ids = await page.evaluate(() => {
    const h = window.__echelon;
    return h.mechIds().sort((a, b) => Number(h.mech(b).alive) - Number(h.mech(a).alive));
  });
  assert.ok(ids.length > 0);
  let selected = null;
  for (const id of ids) {
    const point = await page.evaluate((mechId) => window.__echelon.mechScreenPosition(mechId), id);
    if (!point) continue;
    await page.mouse.click(point.x, point.y);
    selected = await hook(page, 'selectedMechId');
    if (selected === id) break;
  }
  assert.ok(selected, 'no mech could be clicked');
  await page.locator('#inspector').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#inspector-title').innerText(), selected);
  for (const field of ['team', 'class', 'pos', 'vel', 'yaw', 'hp', 'hp_max', 'heat', 'alive', 'ecm_on']) {
    assert.equal(await page.locator(`#inspector-fields td[data-field="${field}"]`).count(), 1, field);
  }
  await saveScreenshot(page, 'inspection-panel.png');

  // The panel shows the selected mech as it is in the current frame, while playing too.
  await assertPanelMatchesFrame();
  await page.locator('#scrub').fill('40');
  await setPlaying(page, true);
  await waitForHook(page, (h) => h.frameIndex >= 163); // four frames after t = 40
  await setPlaying(page, false);
  await assertPanelMatchesFrame();
  await page.locator('#scrub').fill('20');
  await waitForHook(page, (h) => h.time <= 20);
  await assertPanelMatchesFrame();

  await page.keyboard.press('Escape');
  await page.locator('#inspector').waitFor({ state: 'hidden' });
  assert.equal(await hook(page, 'selectedMechId'), null);
});

/** Every field in the panel shows the selected mech's value in the current frame. */
async function assertPanelMatchesFrame() {
  const { page } = viewer;
  // The panel is refreshed by the render loop: let two frames pass first.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const { expected, shown } = await page.evaluate(async () => {
    const { formatField } = await import('/src/inspector.js');
    const mech = window.__echelon.selectedMech();
    const cells = [...document.querySelectorAll('#inspector-fields td[data-field]')];
    return {
      expected: Object.fromEntries(Object.entries(mech).map(([key, value]) => [key, formatField(value)])),
      shown: Object.fromEntries(cells.filter((cell) => !cell.parentElement.hidden)
        .map((cell) => [cell.dataset.field, cell.textContent])),
    };
  });
  assert.deepEqual(shown, expected);
}

test('no console errors and no requests off the server during the session', () => {
  const { session } = viewer;
  assert.deepEqual(session.consoleErrors, []);
  assert.deepEqual(session.externalRequests, []);
});
