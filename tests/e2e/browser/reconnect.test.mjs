// Losing the server: the indicator says "reconnecting in N s", attempts back off
// 1 s -> 2 s -> 4 s..., and a restarted server brings it back to "connected"
// with the backoff reset and the last event id passed on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedViewerSuite, hook, waitForHook, waitForText } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';

const viewer = connectedViewerSuite();

/** Console errors other than the browser's own reports of refused /events connections. */
function unexpectedConsoleErrors() {
  return viewer.session.consoleErrors.filter((text) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(text));
}

test('stopping the server shows "reconnecting"; restarting it returns to "connected"', async () => {
  const { page, server } = viewer;
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'before-restart' });
  await waitForHook(page, (h) => h.replayId === 'before-restart' && h.complete);
  const lastEventId = await hook(page, 'lastEventId');
  assert.ok(Number(lastEventId) > 0, `last event id ${lastEventId}`);

  // The connection lives in the shared stream worker: its attempts are read from the hook.
  const stoppedAt = Date.now();
  await server.stop();
  await waitForHook(page, (h) => h.connection === 'reconnecting');
  await waitForText(page, '#connection-text', /^Reconnecting/);
  assert.equal(await page.locator('#connection').getAttribute('data-state'), 'reconnecting');

  // Stay down for three attempts: the delays between them double (1 s, 2 s, 4 s).
  const attemptsSince = async () => (await hook(page, 'streamAttemptTimes')).filter((t) => t >= stoppedAt);
  const deadline = Date.now() + 20000;
  let attempts = await attemptsSince();
  while (attempts.length < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    attempts = await attemptsSince();
  }
  assert.ok(attempts.length >= 3, `only ${attempts.length} reconnect attempts`);
  const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
  assert.ok(gaps[0] >= 1500 && gaps[0] <= 3500, `second delay ${gaps[0]} ms (want ~2 s)`);
  assert.ok(await hook(page, 'nextReconnectDelayMs') >= 4000);
  assert.match(await page.locator('#connection-text').innerText(), /^Reconnecting/);

  await server.start();
  await waitForHook(page, (h) => h.connection === 'connected', null, 30000);
  await waitForText(page, '#connection-text', /^Connected/);
  assert.equal(await hook(page, 'nextReconnectDelayMs'), 1000);
  const resumeUrl = await hook(page, 'streamUrl');
  assert.match(resumeUrl, new RegExp(`[?&]last_event_id=${lastEventId}(&|$)`));
  assert.match(resumeUrl, /[?&]world=0(&|$)/);

  // The stream works again after the restart.
  await pushReplay(server.url, loadFixtureReplay('w40x40x20_s3'), { replayId: 'after-restart' });
  await waitForHook(page, (h) => h.replayId === 'after-restart' && h.complete);
  assert.deepEqual(unexpectedConsoleErrors(), []);
});
