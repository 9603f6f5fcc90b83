// Many tabs, one stream: every viewer tab of a browser shares one /events
// connection (a SharedWorker), so 12 tabs all play a live replay to the end while
// the server counts one viewer; a tab opened mid-replay still gets the replay's
// start and earlier chunks; where SharedWorker is missing each tab falls back to
// its own worker.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openViewer, waitForHook, getJson } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';
import { ServerUnderTest, waitFor } from './server_harness.mjs';

const TABS = 12;
let server = null;
let browser = null;

before(async () => {
  server = await ServerUnderTest.start();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test(`${TABS} tabs in one browser play a live replay to the end over one connection`, async () => {
  // Small tabs: 13 pages rendering WebGL in software share this machine's cores.
  const first = await openViewer(browser, server.url, { width: 480, height: 360 });
  const sessions = [first];
  for (let i = 1; i < TABS; i += 1) {
    const page = await first.context.newPage();
    const session = { page, consoleErrors: [] };
    page.on('console', (message) => { if (message.type() === 'error') session.consoleErrors.push(message.text()); });
    page.on('pageerror', (error) => session.consoleErrors.push(`pageerror: ${error.message}`));
    await page.goto(`${server.url}/`);
    sessions.push(session);
  }
  for (const { page } of sessions) await waitForHook(page, (h) => h.connection === 'connected' && h.streamShared);
  assert.equal((await getJson(server.url, '/health')).clients, 1);
  assert.equal(await sessions[0].page.evaluate(() => window.__echelon.streamTabs), TABS);

  // 8x, kept across replays, so each tab plays the replay in seconds.
  for (const { page } of sessions) {
    await page.selectOption('#speed', '8');
    await page.check('#speed-pinned');
  }

  // A live push, chunk by chunk; a 13th tab joins in the middle of it.
  const fixture = loadFixtureReplay('w40x40x20_s3'); // 120 frames: 4 chunks of 30
  let lateTab = null;
  const pushing = pushReplay(server.url, fixture, { replayId: 'tabs-1', chunkSize: 30, delayMs: 800 });
  await waitForHook(sessions[0].page, (h) => h.replayId === 'tabs-1' && h.chunksReceived >= 2);
  lateTab = await first.context.newPage();
  await lateTab.goto(`${server.url}/`, { timeout: 90000 });
  await pushing;

  for (const page of [...sessions.map((s) => s.page), lateTab]) {
    await waitForHook(page, (h) => h.replayId === 'tabs-1' && h.complete && h.chunksReceived === 4 && h.gaps.length === 0, null, 60000);
  }
  // Every tab plays it to the end.
  await lateTab.selectOption('#speed', '8');
  for (const page of [...sessions.map((s) => s.page), lateTab]) await waitForHook(page, (h) => h.atEnd && !h.playing, null, 90000);
  assert.equal((await getJson(server.url, '/health')).clients, 1);
  for (const session of sessions) assert.deepEqual(session.consoleErrors, []);
  await first.context.close();
  await waitFor(async () => (await getJson(server.url, '/health')).clients === 0, { what: 'the shared stream to close with its tabs' });
});

test('without SharedWorker each tab falls back to a worker of its own', async () => {
  const context = await browser.newContext({ viewport: { width: 480, height: 360 } });
  await context.addInitScript(() => { delete window.SharedWorker; });
  const pages = [await context.newPage(), await context.newPage()];
  for (const page of pages) {
    await page.goto(`${server.url}/`);
    await waitForHook(page, (h) => h.connection === 'connected' && h.streamShared === false);
  }
  assert.equal((await getJson(server.url, '/health')).clients, 2);
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'tabs-fallback' });
  for (const page of pages) await waitForHook(page, (h) => h.replayId === 'tabs-fallback' && h.complete);
  await context.close();
});
