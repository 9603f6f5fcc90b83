// The viewer under its Content-Security-Policy (issue 15): the real server sends
// a policy that allows only the viewer's own origin (plus the hash of its inline
// import map), nosniff and frame-ancestors 'none'; the viewer still connects,
// loads a pushed replay, renders it and plays it, and the browser reports no CSP
// violation on the way. A script injected inline at the end is blocked and
// reported, which shows the policy is enforced and the check can fail.
//
// Only against the real binary (ECHELON_SERVER_BIN): the mock server sends no policy.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';
import { ServerUnderTest, waitFor } from './server_harness.mjs';

const realServer = Boolean(process.env.ECHELON_SERVER_BIN);
let server = null;
let browser = null;
let page = null;
let documentHeaders = null;
const violations = [];
const cspConsoleMessages = [];

// Reads the test hook without page-side eval (the policy forbids 'unsafe-eval').
const state = (key) => page.evaluate((name) => window.__echelon && window.__echelon[name], key);

before(async () => {
  if (!realServer) return;
  server = await ServerUnderTest.start();
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  page = await context.newPage();
  await page.exposeFunction('__reportCspViolation', (violation) => violations.push(violation));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation({
        directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile, line: event.lineNumber,
      });
    });
  });
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspConsoleMessages.push(message.text());
  });
  const response = await page.goto(`${server.url}/`);
  documentHeaders = response.headers();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the page comes with a same-origin policy, nosniff and no framing', { skip: !realServer && 'needs ECHELON_SERVER_BIN' }, () => {
  const policy = documentHeaders['content-security-policy'];
  assert.ok(policy, 'no Content-Security-Policy header');
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(documentHeaders['x-content-type-options'], 'nosniff');
});

test('the viewer plays a replay with no CSP violation', { skip: !realServer && 'needs ECHELON_SERVER_BIN' }, async () => {
  await waitFor(async () => (await state('connection')) === 'connected', { timeoutMs: 30000, what: 'connected' });
  const replay = loadFixtureReplay('w40x40x20_s3');
  await pushReplay(server.url, replay, { replayId: 'csp-test' });
  await waitFor(async () => (await state('replayId')) === 'csp-test' && (await state('complete'))
    && (await state('worldShown')) === (await state('worldHash')), { timeoutMs: 30000, what: 'the replay and its world loaded' });
  assert.ok(await state('voxelsDrawn') > 100, 'the world was drawn');
  const t0 = await state('time');
  await waitFor(async () => (await state('time')) > t0 + 0.5, { timeoutMs: 30000, what: 'playback advancing' });
  const pixels = await page.evaluate(() => window.__echelon.samplePixels(8));
  assert.ok(pixels.distinctColors > 4, JSON.stringify(pixels));
  assert.deepEqual(violations, []);
  assert.deepEqual(cspConsoleMessages, []);
});

test('an injected inline script is blocked and reported', { skip: !realServer && 'needs ECHELON_SERVER_BIN' }, async () => {
  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__injectedRan = true;';
    document.head.append(script);
    return window.__injectedRan === true;
  });
  assert.equal(ran, false);
  await waitFor(() => violations.length > 0, { timeoutMs: 5000, what: 'the violation report' });
  assert.match(violations[0].directive, /^script-src/);
});
