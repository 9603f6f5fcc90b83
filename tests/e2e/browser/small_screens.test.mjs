// Small screens: at 640x480, 800x600, 1280x800 and 1920x1080 the page has no
// horizontal overflow, every key control is inside the viewport and the 3D view
// is centred.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openViewer, waitForHook, saveScreenshot } from './browser.mjs';
import { loadFixtureReplay, pushReplay } from './pusher.mjs';
import { ServerUnderTest } from './server_harness.mjs';

const SIZES = [[640, 480], [800, 600], [1280, 800], [1920, 1080]];
const KEY_CONTROLS = ['#play-pause', '#step-back', '#step-forward', '#scrub', '#time', '#speed', '#stay-on-current',
  '#connection', '#open-picker', '#copy-link', '#open-help', '#toggle-nav', '#progress'];

let server = null;
let browser = null;
before(async () => {
  server = await ServerUnderTest.start();
  browser = await launchBrowser();
  await pushReplay(server.url, loadFixtureReplay('w100x100x20_s1'), { replayId: 'layout-1', meta: { update: 7, run: { name: 'layout-run' } } });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const [width, height] of SIZES) {
  test(`usable at ${width}x${height}`, async () => {
    const session = await openViewer(browser, server.url, { width, height });
    const { page } = session;
    await waitForHook(page, (h) => h.replayId === 'layout-1' && h.complete && h.worldShown === h.worldHash);
    await page.click('#inspector-close', { trial: true }).catch(() => {});
    const layout = await page.evaluate((selectors) => {
      const outside = [];
      for (const selector of selectors) {
        const rect = document.querySelector(selector).getBoundingClientRect();
        if (rect.width === 0 || rect.left < 0 || rect.top < 0 || rect.right > window.innerWidth + 0.5 || rect.bottom > window.innerHeight + 0.5) {
          outside.push(`${selector} ${JSON.stringify(rect)}`);
        }
      }
      const canvas = document.querySelector('canvas').getBoundingClientRect();
      return { scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth,
        innerWidth: window.innerWidth, outside, canvas: { left: canvas.left, right: canvas.right, width: canvas.width, height: canvas.height } };
    }, KEY_CONTROLS);
    assert.ok(layout.scrollWidth <= layout.innerWidth && layout.bodyScrollWidth <= layout.innerWidth, JSON.stringify(layout));
    assert.deepEqual(layout.outside, []);
    // The view spans the width (so it is centred) and keeps a usable height.
    assert.ok(Math.abs(layout.canvas.left) < 1 && Math.abs(layout.canvas.right - width) < 1, JSON.stringify(layout.canvas));
    assert.ok(layout.canvas.height >= height * 0.45, JSON.stringify(layout.canvas));
    // The controls work at this size.
    await page.click('#play-pause');
    await page.click('#open-picker');
    await page.locator('#picker').waitFor({ state: 'visible' });
    const picker = await page.locator('#picker').boundingBox();
    assert.ok(picker.x >= 0 && picker.x + picker.width <= width, JSON.stringify(picker));
    await page.keyboard.press('Escape');
    await saveScreenshot(page, `layout-${width}x${height}.png`, { docs: true });
    assert.deepEqual(session.consoleErrors, []);
    await session.context.close();
  });
}
