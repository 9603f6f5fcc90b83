// Debian's chromium, headless, driven by playwright-core, and a page on the viewer
// that records console errors and blocks (and records) any request that leaves
// the server under test: the viewer must work on an offline LAN.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { before, after } from 'node:test';
import { REPO_ROOT } from './pusher.mjs';
import { ServerUnderTest } from './server_harness.mjs';

const require = createRequire(path.join(REPO_ROOT, 'viewer', 'package.json'));
const { chromium } = require('playwright-core');

// docs/screenshots shows the real server: runs against the mock save theirs elsewhere.
export const SCREENSHOT_DIR = process.env.ECHELON_SCREENSHOT_DIR
  || (process.env.ECHELON_SERVER_BIN ? path.join(REPO_ROOT, 'docs', 'screenshots') : path.join(os.tmpdir(), 'echelon-viewer-screenshots'));
export const CHROMIUM = process.env.ECHELON_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // No GPU here: WebGL runs on SwiftShader, which chromium only enables on request.
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

/**
 * A fresh browser (playwright gives each launch its own temporary profile).
 * `gpuCompositing: true` drops --disable-gpu: the page is then composited in the GPU
 * process (on SwiftShader here) as on a machine with a GPU. With --disable-gpu the
 * compositor is software and reads every WebGL frame back on the page's main thread,
 * so each frame's software rasterization (60-100 ms on this 2-core machine, for any
 * world) counts as a main-thread task: right for functional tests, wrong for timing them.
 */
export function launchBrowser({ gpuCompositing = false } = {}) {
  const args = gpuCompositing ? CHROMIUM_ARGS.filter((arg) => arg !== '--disable-gpu') : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/**
 * Opens the viewer at `baseUrl` in a new context.
 * Returns {page, context, consoleErrors, externalRequests}. The /events connection is made
 * by the viewer's stream worker, whose requests the page does not see: read it from the hook.
 */
export async function openViewer(browser, baseUrl, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const origin = new URL(baseUrl).origin;
  const session = { context, consoleErrors: [], externalRequests: [] };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue();
    session.externalRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  session.page = page;
  page.on('console', (message) => {
    if (message.type() === 'error') session.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => session.consoleErrors.push(`pageerror: ${error.message}`));
  await page.goto(`${baseUrl}/`);
  await page.waitForFunction(() => Boolean(window.__echelon));
  return session;
}

/**
 * The setup every browser test file shares: registers a `before` hook that starts
 * a server and a browser, opens the viewer and waits for "connected", and an
 * `after` hook that closes both (`connected: false` skips the wait, e.g. behind a login;
 * `serverArgs` go to the server, `viewport` to the page, `gpuCompositing` to launchBrowser).
 * Returns getters for what the hooks made: {server, browser, session, page} (session as returned by openViewer).
 */
export function connectedViewerSuite({ serverArgs = [], viewport, connected = true, gpuCompositing = false } = {}) {
  let server = null;
  let browser = null;
  let session = null;
  before(async () => {
    server = await ServerUnderTest.start({ extraArgs: serverArgs });
    browser = await launchBrowser({ gpuCompositing });
    session = await openViewer(browser, server.url, viewport);
    if (connected) await waitForHook(session.page, (h) => h.connection === 'connected');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() { return server; },
    get browser() { return browser; },
    get session() { return session; },
    get page() { return session.page; },
  };
}

/** Reads one property of window.__echelon. */
export function hook(page, name) {
  return page.evaluate((key) => window.__echelon[key], name);
}

/** Waits until `predicate(window.__echelon)` (a function run in the page) is truthy. */
export async function waitForHook(page, predicate, arg, timeoutMs = 30000) {
  try {
    // Polled from here with page.evaluate(expression): playwright compiles that over the DevTools
    // protocol, which the page's CSP (no eval) allows; waitForFunction would eval in the page.
    const expression = `(() => { const h = window.__echelon; return h ? (${predicate.toString()})(h, ${JSON.stringify(arg ?? null)}) : null; })()`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await page.evaluate(expression);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    const state = await page.evaluate(() => {
      const h = window.__echelon;
      const keys = ['connection', 'replayId', 'chunksReceived', 'chunksTotal', 'complete', 'gaps', 'time',
        'chunkIndex', 'playing', 'speed', 'worldShown', 'worldError', 'navState', 'navNodesDrawn', 'selectedMechId'];
      return h ? Object.fromEntries(keys.map((key) => [key, h[key]])) : null;
    }).catch(() => null);
    error.message += `\n  waiting for: ${predicate}\n  viewer state: ${JSON.stringify(state)}`;
    throw error;
  }
}

/**
 * Waits until the text of `selector` matches `pattern`. The UI shows a state on the
 * animation frame after it changed, so check text with this, not right after waitForHook.
 */
export async function waitForText(page, selector, pattern, timeoutMs = 30000) {
  try {
    await page.waitForFunction(([sel, source, flags]) => {
      const element = document.querySelector(sel);
      return Boolean(element) && new RegExp(source, flags).test(element.textContent);
    }, [selector, pattern.source, pattern.flags], { timeout: timeoutMs, polling: 100 });
  } catch (error) {
    const text = await page.evaluate((sel) => document.querySelector(sel)?.textContent, selector).catch(() => null);
    error.message += `\n  waiting for ${selector} to match ${pattern}; its text: ${JSON.stringify(text)}`;
    throw error;
  }
}

/** Clicks play/pause if needed (a replay that reached its end has stopped by itself) and waits for the state. */
export async function setPlaying(page, playing) {
  if (await hook(page, 'playing') !== playing) await page.click('#play-pause');
  await waitForHook(page, (h, wanted) => h.playing === wanted, playing);
}

/**
 * Saves a screenshot. `docs: true` marks a screenshot of a feature that docs/ shows:
 * it goes to docs/screenshots even against the mock (the mock serves the same page).
 */
export async function saveScreenshot(page, name, { docs = false } = {}) {
  const dir = docs && !process.env.ECHELON_SCREENSHOT_DIR ? path.join(REPO_ROOT, 'docs', 'screenshots') : SCREENSHOT_DIR;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  await page.screenshot({ path: file });
  return file;
}

/** Two animation frames: what the page changed is on screen (the UI refreshes on animation frames). */
export function nextFrames(page) {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** GET `path` of the server as JSON (throws on a non-200 answer). */
export async function getJson(baseUrl, path) {
  const response = await fetch(`${baseUrl}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}
