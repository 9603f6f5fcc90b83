// A server with a view token: /events answers 401 until the browser logs in
// (POST /session sets a cookie, issue 15). The viewer shows a login prompt from
// that 401 alone, rejects a wrong token with the server's reason, and after a
// right one reconnects and plays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, waitForText, saveScreenshot } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const VIEW_TOKEN = 'browser-view-token';
const viewer = connectedViewerSuite({ serverArgs: ['--view-token', VIEW_TOKEN], connected: false });

test('a 401 on /events shows the login prompt; a wrong token is refused, the right one connects', async () => {
  const { page, server } = viewer;
  await waitForHook(page, (h) => h.connection === 'unauthorized' && h.loginVisible);
  await page.locator('#login-token').waitFor({ state: 'visible' });
  assert.equal((await fetch(`${server.url}/events`)).status, 401);
  await saveScreenshot(page, 'login-prompt.png', { docs: true });

  await page.fill('#login-token', 'wrong');
  await page.click('#login-submit');
  await waitForText(page, '#login-error', /\S/);
  assert.equal(await hook(page, 'connection'), 'unauthorized');

  await page.fill('#login-token', VIEW_TOKEN);
  await page.click('#login-submit');
  await waitForHook(page, (h) => h.connection === 'connected' && !h.loginVisible);
  const cookies = await page.context().cookies();
  assert.ok(cookies.some((cookie) => cookie.httpOnly && cookie.sameSite === 'Strict'), JSON.stringify(cookies));

  // The world, the stream and the library all work with the session cookie.
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'login-1', authorization: `Bearer ${VIEW_TOKEN}` });
  await waitForHook(page, (h) => h.replayId === 'login-1' && h.complete && h.worldShown === h.worldHash);
  await page.click('#open-picker');
  await page.locator('#picker-list [data-replay-id="login-1"][data-live=""]').waitFor();
  const unexpected = viewer.session.consoleErrors.filter((text) => !/401|Unauthorized/.test(text));
  assert.deepEqual(unexpected, []);
});
